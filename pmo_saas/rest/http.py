"""The REST API's routes (`/api/v1`, JSON) and its OpenAPI document, mounted by pmo_saas.api.

Every endpoint authenticates an organisation API key (`Authorization: Bearer <key>`), then
calls the owning domain's service in one tenant transaction with the key's role (chosen when
the key was made), so the same rules apply as in the app: another organisation's objects are
"not found" (404), survey figures pass the surveys domain's anonymity rules, writes go
through the portfolio services' validation and role checks. A read key is refused every
write with 403 before any service runs. Routes and the OpenAPI document come from one table
(`ENDPOINTS`), so they cannot drift apart.
"""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from pmo_saas.rest import (
    assessments,
    budgeting,
    coaching,
    collaboration,
    delivery,
    delivery_plan,
    insights,
    operating_model,
    portfolio,
    rollout,
)
from pmo_saas.rest.core import PREFIX, Endpoint, make_handler

__all__ = ["ENDPOINTS", "PREFIX", "routes"]
from pmo_saas.rest.openapi import openapi_document

ENDPOINTS: tuple[Endpoint, ...] = (
    *portfolio.ENDPOINTS,
    *insights.ENDPOINTS,
    *assessments.ENDPOINTS,
    *coaching.ENDPOINTS,
    *delivery.ENDPOINTS,
    *delivery_plan.ENDPOINTS,
    *collaboration.ENDPOINTS,
    *budgeting.ENDPOINTS,
    *operating_model.ENDPOINTS,
    *rollout.ENDPOINTS,
)


async def openapi_json(_request: Request) -> Response:
    return JSONResponse(openapi_document(ENDPOINTS))


def _routes() -> list[Route]:
    by_path: dict[str, list[Endpoint]] = {}
    for endpoint in ENDPOINTS:
        by_path.setdefault(endpoint.path, []).append(endpoint)
    found = [Route(f"{PREFIX}/openapi.json", openapi_json, methods=["GET"])]
    for path, group in by_path.items():
        handlers = {e.method: make_handler(e) for e in group}

        async def dispatch(request: Request, handlers: dict[str, Any] = handlers) -> Response:
            method = "GET" if request.method == "HEAD" else request.method
            return await handlers[method](request)  # type: ignore[no-any-return]

        found.append(Route(PREFIX + path, dispatch, methods=list(handlers)))
    return found


routes: list[Route] = _routes()
