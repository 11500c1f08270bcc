"""The open REST API (`/api/v1`, JSON) and its OpenAPI 3.1 document.

Every endpoint authenticates an organisation API key (`Authorization: Bearer <key>`), then
calls the owning domain's service in one tenant transaction, so the same rules apply as in
the app: another organisation's objects are "not found" (404), survey figures pass the
surveys domain's anonymity rules, writes go through the portfolio services' validation.
A key acts with the coach role (what the dashboard and the portfolio managers see); a read
key is refused every write with 403 before any service runs. Routes and the OpenAPI
document are generated from one table (`ENDPOINTS`), so they cannot drift apart.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from pydantic import BaseModel, TypeAdapter
from pydantic.json_schema import models_json_schema
from sqlmodel import Session
from starlette.requests import Request
from starlette.responses import JSONResponse, RedirectResponse, Response
from starlette.routing import Route

from pmo_saas.assessments.schemas import HeatMap
from pmo_saas.assessments.schemas import RoundSummary as AssessmentRound
from pmo_saas.assessments.services import results as assessment_results
from pmo_saas.assessments.services import rounds as assessment_rounds
from pmo_saas.coaching.schemas import PlanRow
from pmo_saas.coaching.services.plans import list_plans
from pmo_saas.dashboard import apikeys, governance, services
from pmo_saas.dashboard.models import SCOPE_READ_WRITE
from pmo_saas.dashboard.schemas import ApiCaller, Dashboard, Governance
from pmo_saas.db import run_sync, tenant_session
from pmo_saas.kernel.context import TenantContext
from pmo_saas.kernel.errors import (
    Conflict,
    DomainError,
    Forbidden,
    LimitReached,
    NotFound,
    RateLimited,
    ReadOnly,
    ValidationFailed,
)
from pmo_saas.kernel.roles import Role
from pmo_saas.portfolio import fields as portfolio_fields
from pmo_saas.portfolio.schemas import CriterionRow, InitiativeRow, PortfolioRow, Ranking, RiskRow
from pmo_saas.portfolio.services import initiatives as initiative_services
from pmo_saas.portfolio.services import portfolios as portfolio_services
from pmo_saas.portfolio.services import ranking as ranking_services
from pmo_saas.portfolio.services import risks as risk_services
from pmo_saas.settings import get_settings
from pmo_saas.surveys import services as surveys
from pmo_saas.surveys.schemas import SurveyResults, SurveyRow, TrendPoint

PREFIX = "/api/v1"
MAX_ID = 2**31 - 1
MAX_BODY = 64 * 1024
MAX_JSON_DEPTH = 32  # our bodies are 3 levels deep; json.loads recurses per level


class ErrorBody(BaseModel):
    error: str
    message: str


class Problem(Exception):
    def __init__(self, status: int, error: str, message: str) -> None:
        super().__init__(message)
        self.status, self.error, self.message = status, error, message


def _reject_constant(name: str) -> Any:
    raise ValueError(f"{name} is not a JSON number")


def _no_nul(value: Any) -> None:
    """PostgreSQL text cannot hold NUL: refuse it as bad input rather than fail later."""
    if isinstance(value, str) and "\x00" in value:
        raise Problem(422, "validation_failed", "Text cannot contain NUL characters.")
    if isinstance(value, dict):
        for k, v in value.items():
            _no_nul(k)
            _no_nul(v)
    if isinstance(value, list):
        for v in value:
            _no_nul(v)


def _json_depth(raw: bytes) -> int:
    """Deepest bracket nesting, outside strings: a linear scan, before the recursive parser."""
    depth = deepest = 0
    in_string = escaped = False
    for byte in raw:
        if in_string:
            if escaped:
                escaped = False
            elif byte == 0x5C:  # backslash
                escaped = True
            elif byte == 0x22:  # quote
                in_string = False
        elif byte == 0x22:
            in_string = True
        elif byte in (0x5B, 0x7B):  # [ {
            depth += 1
            deepest = max(deepest, depth)
        elif byte in (0x5D, 0x7D):  # ] }
            depth -= 1
    return deepest


async def _json_object(request: Request) -> dict[str, Any]:
    raw = await request.body()
    if len(raw) > MAX_BODY:
        raise Problem(413, "too_large", "The request body is larger than 64 KiB.")
    if _json_depth(raw) > MAX_JSON_DEPTH:
        raise Problem(
            400, "bad_json", f"The request body nests deeper than {MAX_JSON_DEPTH} levels."
        )
    try:
        data = json.loads(raw or b"null", parse_constant=_reject_constant)
    except (ValueError, UnicodeDecodeError, RecursionError):
        raise Problem(400, "bad_json", "The request body is not valid JSON.") from None
    if not isinstance(data, dict):
        raise Problem(422, "validation_failed", "The request body must be a JSON object.")
    _no_nul(data)
    return data


def _path_id(request: Request, name: str) -> int:
    raw = str(request.path_params.get(name, ""))
    if not raw.isascii() or not raw.isdigit() or not 0 < int(raw) <= MAX_ID:
        raise Problem(404, "not_found", "That item was not found.")
    return int(raw)


def _check_text_fields(body: Mapping[str, Any]) -> None:
    """Text fields must be JSON strings (or null where the schema allows): 123 is no title."""
    for name, prop in _INITIATIVE_PROPS.items():
        kinds = prop["type"] if isinstance(prop["type"], list) else [prop["type"]]
        if "string" not in kinds or name not in body:
            continue
        value = body[name]
        if isinstance(value, str) or (value is None and "null" in kinds):
            continue
        allowed = "a string or null" if "null" in kinds else "a string"
        raise Problem(400, "bad_request", f"{name} must be {allowed}, not {_json_type(value)}.")


def _json_type(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, int | float):
        return "a number"
    if isinstance(value, list):
        return "an array"
    if isinstance(value, dict):
        return "an object"
    return "a string"


def _initiative_data(body: Mapping[str, Any]) -> dict[str, Any]:
    _check_text_fields(body)
    deps = body.get("depends_on")
    valid = isinstance(deps, list) and all(
        isinstance(d, int) and not isinstance(d, bool) and 0 < d <= MAX_ID for d in deps
    )
    if deps is not None and not valid:
        raise Problem(
            422, "validation_failed", "depends_on is a list of initiative ids (integers)."
        )
    return dict(body)


def _status_for(error: DomainError) -> tuple[int, str]:
    if isinstance(error, apikeys.InvalidApiKey):
        return 401, "unauthorized"
    if isinstance(error, NotFound):
        return 404, "not_found"
    if isinstance(error, Forbidden | ReadOnly | LimitReached):
        return 403, "forbidden"
    if isinstance(error, ValidationFailed):
        return 422, "validation_failed"
    if isinstance(error, Conflict):
        return 409, "conflict"
    if isinstance(error, RateLimited):
        return 429, "rate_limited"
    return 400, "bad_request"


def _error_response(status: int, error: str, message: str) -> JSONResponse:
    headers = {}
    if status == 401:
        headers["WWW-Authenticate"] = "Bearer"
    if status == 429:
        headers["Retry-After"] = "60"
    return JSONResponse({"error": error, "message": message}, status_code=status, headers=headers)


def caller_context(caller: ApiCaller) -> TenantContext:
    return TenantContext(
        org_id=caller.org_id,
        user_id=caller.created_by_id,
        role=Role.COACH,
        org_slug=caller.org_slug,
    )


Handler = Callable[[Session, TenantContext, dict[str, int], dict[str, Any], Request], Any]


@dataclass(frozen=True)
class Endpoint:
    method: str
    path: str
    summary: str
    handler: Handler
    response: Any  # a pydantic model class or a typing form (list[X])
    write: bool = False
    body: str | None = None  # name of the request body schema
    status: int = 200
    ids: tuple[str, ...] = ()
    query: tuple[dict[str, Any], ...] = field(default_factory=tuple)


def _flag(request: Request, name: str) -> bool:
    return request.query_params.get(name, "").lower() in ("1", "true", "yes")


def _ep_portfolios(s, c, ids, body, r):  # type: ignore[no-untyped-def]
    return portfolio_services.list_portfolios(
        session=s, ctx=c, include_archived=_flag(r, "include_archived")
    )


def _ep_portfolio(s, c, ids, body, r):  # type: ignore[no-untyped-def]
    return portfolio_services.get_portfolio(session=s, ctx=c, portfolio_id=ids["portfolio_id"])


def _ep_criteria(s, c, ids, body, r):  # type: ignore[no-untyped-def]
    return ranking_services.list_criteria(session=s, ctx=c, portfolio_id=ids["portfolio_id"])


def _ep_initiatives(s, c, ids, body, r):  # type: ignore[no-untyped-def]
    status = r.query_params.get("status") or None
    if status is not None and status not in portfolio_fields.STATUSES:
        raise ValidationFailed("Unknown status.", field="status")
    return initiative_services.list_initiatives(
        session=s,
        ctx=c,
        portfolio_id=ids["portfolio_id"],
        include_archived=_flag(r, "include_archived"),
        status=status,
    )


def _ep_create_initiative(s, c, ids, body, r):  # type: ignore[no-untyped-def]
    new_id = initiative_services.create_initiative(
        session=s, ctx=c, portfolio_id=ids["portfolio_id"], data=_initiative_data(body)
    )
    return initiative_services.get_initiative(session=s, ctx=c, initiative_id=new_id)


def _ep_initiative(s, c, ids, body, r):  # type: ignore[no-untyped-def]
    return initiative_services.get_initiative(session=s, ctx=c, initiative_id=ids["initiative_id"])


def _ep_update_initiative(s, c, ids, body, r):  # type: ignore[no-untyped-def]
    initiative_services.update_initiative(
        session=s, ctx=c, initiative_id=ids["initiative_id"], data=_initiative_data(body)
    )
    return initiative_services.get_initiative(session=s, ctx=c, initiative_id=ids["initiative_id"])


def _ep_set_scores(s, c, ids, body, r):  # type: ignore[no-untyped-def]
    scores = body.get("scores")
    if not isinstance(scores, dict):
        raise ValidationFailed('Send {"scores": {"<input>": value, ...}}.', field="scores")
    initiative_services.set_scores(
        session=s, ctx=c, initiative_id=ids["initiative_id"], scores=scores
    )
    return initiative_services.get_initiative(session=s, ctx=c, initiative_id=ids["initiative_id"])


def _ep_ranking(s, c, ids, body, r):  # type: ignore[no-untyped-def]
    return ranking_services.rank_portfolio(session=s, ctx=c, portfolio_id=ids["portfolio_id"])


def _ep_risks(s, c, ids, body, r):  # type: ignore[no-untyped-def]
    return risk_services.list_risks(session=s, ctx=c, portfolio_id=ids["portfolio_id"])


def _ep_governance(s, c, ids, body, r):  # type: ignore[no-untyped-def]
    return governance.get_governance(session=s, ctx=c, initiative_id=ids["initiative_id"])


def _ep_rounds(s, c, ids, body, r):  # type: ignore[no-untyped-def]
    return assessment_rounds.list_rounds(session=s, ctx=c)


def _ep_heatmap(s, c, ids, body, r):  # type: ignore[no-untyped-def]
    return assessment_results.heat_map(session=s, ctx=c, round_id=ids["round_id"])


def _ep_surveys(s, c, ids, body, r):  # type: ignore[no-untyped-def]
    return surveys.list_surveys(session=s, ctx=c)


def _ep_survey_results(s, c, ids, body, r):  # type: ignore[no-untyped-def]
    return surveys.survey_results(session=s, ctx=c, survey_id=ids["survey_id"])


def _ep_survey_trend(s, c, ids, body, r):  # type: ignore[no-untyped-def]
    return surveys.survey_trend(session=s, ctx=c, survey_id=ids["survey_id"])


def _ep_plans(s, c, ids, body, r):  # type: ignore[no-untyped-def]
    return list_plans(session=s, ctx=c)


def _ep_dashboard(s, c, ids, body, r):  # type: ignore[no-untyped-def]
    return services.build_dashboard(session=s, ctx=c)


_ARCHIVED = {
    "name": "include_archived",
    "in": "query",
    "required": False,
    "schema": {"type": "boolean"},
}
_STATUS = {
    "name": "status",
    "in": "query",
    "required": False,
    "schema": {"type": "string", "enum": list(portfolio_fields.STATUSES)},
}

ENDPOINTS: tuple[Endpoint, ...] = (
    Endpoint(
        "GET",
        "/portfolios",
        "List portfolios",
        _ep_portfolios,
        list[PortfolioRow],
        query=(_ARCHIVED,),
    ),
    Endpoint(
        "GET",
        "/portfolios/{portfolio_id}",
        "A portfolio",
        _ep_portfolio,
        PortfolioRow,
        ids=("portfolio_id",),
    ),
    Endpoint(
        "GET",
        "/portfolios/{portfolio_id}/criteria",
        "Custom scoring criteria",
        _ep_criteria,
        list[CriterionRow],
        ids=("portfolio_id",),
    ),
    Endpoint(
        "GET",
        "/portfolios/{portfolio_id}/initiatives",
        "Initiatives with every scoring input",
        _ep_initiatives,
        list[InitiativeRow],
        ids=("portfolio_id",),
        query=(_ARCHIVED, _STATUS),
    ),
    Endpoint(
        "POST",
        "/portfolios/{portfolio_id}/initiatives",
        "Create an initiative",
        _ep_create_initiative,
        InitiativeRow,
        write=True,
        body="InitiativeCreate",
        status=201,
        ids=("portfolio_id",),
    ),
    Endpoint(
        "GET",
        "/portfolios/{portfolio_id}/ranking",
        "Scores and ranking, explained",
        _ep_ranking,
        Ranking,
        ids=("portfolio_id",),
    ),
    Endpoint(
        "GET",
        "/portfolios/{portfolio_id}/risks",
        "The risk register",
        _ep_risks,
        list[RiskRow],
        ids=("portfolio_id",),
    ),
    Endpoint(
        "GET",
        "/initiatives/{initiative_id}",
        "An initiative",
        _ep_initiative,
        InitiativeRow,
        ids=("initiative_id",),
    ),
    Endpoint(
        "PATCH",
        "/initiatives/{initiative_id}",
        "Update an initiative",
        _ep_update_initiative,
        InitiativeRow,
        write=True,
        body="InitiativeUpdate",
        ids=("initiative_id",),
    ),
    Endpoint(
        "PUT",
        "/initiatives/{initiative_id}/scores",
        "Set scoring inputs",
        _ep_set_scores,
        InitiativeRow,
        write=True,
        body="ScoresInput",
        ids=("initiative_id",),
    ),
    Endpoint(
        "GET",
        "/initiatives/{initiative_id}/governance",
        "DSDM lifecycle, gate reviews and decisions",
        _ep_governance,
        Governance,
        ids=("initiative_id",),
    ),
    Endpoint("GET", "/assessments/rounds", "Assessment rounds", _ep_rounds, list[AssessmentRound]),
    Endpoint(
        "GET",
        "/assessments/rounds/{round_id}/heatmap",
        "Mean per team and dimension (aggregates only)",
        _ep_heatmap,
        HeatMap,
        ids=("round_id",),
    ),
    Endpoint(
        "GET", "/surveys", "Culture surveys with participation counts", _ep_surveys, list[SurveyRow]
    ),
    Endpoint(
        "GET",
        "/surveys/{survey_id}/results",
        "Survey aggregates (groups below the anonymity threshold are hidden)",
        _ep_survey_results,
        SurveyResults,
        ids=("survey_id",),
    ),
    Endpoint(
        "GET",
        "/surveys/{survey_id}/trend",
        "Headline figure across rounds",
        _ep_survey_trend,
        list[TrendPoint],
        ids=("survey_id",),
    ),
    Endpoint("GET", "/coaching/plans", "Coaching plans with progress", _ep_plans, list[PlanRow]),
    Endpoint("GET", "/dashboard", "The executive dashboard's figures", _ep_dashboard, Dashboard),
)


def _dump(value: Any) -> Any:
    if isinstance(value, BaseModel):
        return value.model_dump(mode="json")
    if isinstance(value, list):
        return [_dump(v) for v in value]
    return value


def _run(endpoint: Endpoint, caller: ApiCaller, ids: dict[str, int], body: dict[str, Any],
         request: Request) -> Any:  # fmt: skip
    ctx = caller_context(caller)
    with tenant_session(ctx) as session:
        return _dump(endpoint.handler(session, ctx, ids, body, request))


def _make_handler(endpoint: Endpoint) -> Callable[[Request], Any]:
    async def handle(request: Request) -> Response:
        try:
            caller = await run_sync(apikeys.authenticate, request.headers.get("authorization", ""))
            if endpoint.write and caller.scope != SCOPE_READ_WRITE:
                raise Problem(403, "forbidden", "This API key is read-only.")
            ids = {name: _path_id(request, name) for name in endpoint.ids}
            body = await _json_object(request) if endpoint.write else {}
            data = await run_sync(_run, endpoint, caller, ids, body, request)
        except Problem as problem:
            return _error_response(problem.status, problem.error, problem.message)
        except DomainError as error:
            status, code = _status_for(error)
            return _error_response(status, code, str(error))
        return JSONResponse(data, status_code=endpoint.status)

    handle.__name__ = f"api_{endpoint.handler.__name__.removeprefix('_ep_')}"
    return handle


# ---------------------------------------------------------------- OpenAPI


_STATUS_ENUM = list(portfolio_fields.STATUSES)
_INITIATIVE_PROPS: dict[str, Any] = {
    "title": {"type": "string", "minLength": 1, "maxLength": 200},
    "description": {"type": "string", "maxLength": 10000},
    "owner": {"type": "string", "maxLength": 120},
    "value_stream": {"type": "string", "maxLength": 120},
    "status": {"type": "string", "enum": _STATUS_ENUM},
    "cost": {"type": ["integer", "null"], "minimum": 0, "maximum": 10**15},
    "job_size": {"type": ["number", "null"]},
    "start_date": {"type": ["string", "null"], "format": "date"},
    "end_date": {"type": ["string", "null"], "format": "date"},
    "moscow": {"type": ["string", "null"], "enum": ["must", "should", "could", "wont", None]},
    "tags": {"type": "string", "maxLength": 500},
    "depends_on": {"type": "array", "items": {"type": "integer", "minimum": 1}},
}
_REQUEST_SCHEMAS: dict[str, Any] = {
    "InitiativeCreate": {
        "type": "object",
        "properties": _INITIATIVE_PROPS,
        "required": ["title"],
        "additionalProperties": False,
    },
    "InitiativeUpdate": {
        "type": "object",
        "properties": _INITIATIVE_PROPS,
        "additionalProperties": False,
    },
    "ScoresInput": {
        "type": "object",
        "properties": {
            "scores": {
                "type": "object",
                "description": "Input key (e.g. business_value, job_size, c3) to a value, "
                "or null to clear it back to not scored.",
                "additionalProperties": {"type": ["number", "null"]},
            }
        },
        "required": ["scores"],
    },
}

_ERRORS = {
    "401": "Missing, unknown or revoked API key",
    "404": "Not found (or another organisation's)",
    "429": "Rate limit reached",
}


def _response_models() -> list[type[BaseModel]]:
    found: list[type[BaseModel]] = [ErrorBody]
    for endpoint in ENDPOINTS:
        model = endpoint.response
        inner = getattr(model, "__args__", (model,))[0]
        if isinstance(inner, type) and issubclass(inner, BaseModel) and inner not in found:
            found.append(inner)
    return found


def openapi_document() -> dict[str, Any]:
    ref = "#/components/schemas/{model}"
    _, defs = models_json_schema(
        [(m, "serialization") for m in _response_models()], ref_template=ref
    )
    schemas = dict(defs.get("$defs", {}))
    schemas.update(_REQUEST_SCHEMAS)
    paths: dict[str, Any] = {}
    for endpoint in ENDPOINTS:
        adapter: TypeAdapter[Any] = TypeAdapter(endpoint.response)
        response_schema = adapter.json_schema(ref_template=ref, mode="serialization")
        response_schema.pop("$defs", None)
        operation: dict[str, Any] = {
            "summary": endpoint.summary,
            "operationId": endpoint.handler.__name__.removeprefix("_ep_"),
            "parameters": [
                {
                    "name": name,
                    "in": "path",
                    "required": True,
                    "schema": {"type": "integer", "minimum": 1},
                }
                for name in endpoint.ids
            ]
            + list(endpoint.query),
            "responses": {
                str(endpoint.status): {
                    "description": "OK",
                    "content": {"application/json": {"schema": response_schema}},
                },
                **{
                    code: {
                        "description": text,
                        "content": {
                            "application/json": {"schema": {"$ref": ref.format(model="ErrorBody")}}
                        },
                    }
                    for code, text in _ERRORS.items()
                },
            },
        }
        operation["responses"]["409"] = {"description": "Clashes with the current state"}
        if endpoint.write:
            operation["description"] = "Needs a read-and-write key (403 for a read key)."
            operation["responses"]["403"] = {"description": "Read-only key or role refused"}
            operation["responses"]["400"] = {"description": "Body is not JSON"}
            operation["responses"]["422"] = {"description": "Invalid input"}
        else:
            operation["responses"]["403"] = {"description": "Refused"}
            operation["responses"]["422"] = {"description": "Invalid filter"}
        if endpoint.body:
            operation["requestBody"] = {
                "required": True,
                "content": {
                    "application/json": {"schema": {"$ref": ref.format(model=endpoint.body)}}
                },
            }
        paths.setdefault(PREFIX + endpoint.path, {})[endpoint.method.lower()] = operation
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "pmo_saas API",
            "version": "1",
            "description": "The organisation's portfolio, assessments, surveys and coaching "
            "data. Authenticate with an organisation API key: Authorization: Bearer <key>.",
        },
        "servers": [{"url": "/"}],
        "components": {
            "schemas": schemas,
            "securitySchemes": {"bearerAuth": {"type": "http", "scheme": "bearer"}},
        },
        "security": [{"bearerAuth": []}],
        "paths": paths,
    }


async def openapi_json(_request: Request) -> Response:
    return JSONResponse(openapi_document())


def _routes() -> list[Route]:
    by_path: dict[str, list[Endpoint]] = {}
    for endpoint in ENDPOINTS:
        by_path.setdefault(endpoint.path, []).append(endpoint)
    routes = [Route(f"{PREFIX}/openapi.json", openapi_json, methods=["GET"])]
    for path, group in by_path.items():
        handlers = {e.method: _make_handler(e) for e in group}

        async def dispatch(request: Request, handlers: dict[str, Any] = handlers) -> Response:
            method = "GET" if request.method == "HEAD" else request.method
            return await handlers[method](request)  # type: ignore[no-any-return]

        routes.append(Route(PREFIX + path, dispatch, methods=list(handlers)))
    return routes


# ---------------------------------------------------------------- share links

SHARE_COOKIE = "pmo_share"
SHARED_PAGE = "/shared"


async def open_share_link(request: Request) -> Response:
    """`/share/<token>`: the token goes into an HttpOnly cookie and the browser on to the
    page without it, so the token is in no page URL (Reflex's router data, which the state
    store persists, nor history or Referer); the page reads it from the websocket handshake.
    """
    from pmo_saas.api import frontend_url  # api mounts this module's routes

    token = str(request.path_params.get("token", ""))[:100]
    response = RedirectResponse(frontend_url(SHARED_PAGE), status_code=303)
    response.set_cookie(
        SHARE_COOKIE,
        token,
        max_age=86400,
        path="/",
        httponly=True,
        samesite="lax",
        secure=get_settings().cookie_secure,
    )
    response.headers["Cache-Control"] = "no-store"
    return response


routes: list[Route] = [
    *_routes(),
    Route("/share/{token}", open_share_link, methods=["GET"], name="open_share_link"),
]
