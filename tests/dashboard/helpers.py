"""Dashboard test helpers: a small portfolio, API keys, a client for the REST API."""

from __future__ import annotations

from starlette.applications import Starlette
from starlette.testclient import TestClient

from pmo_saas.dashboard import apikeys, http
from pmo_saas.db import tenant_session
from pmo_saas.kernel.context import TenantContext
from pmo_saas.portfolio.services import initiatives as initiative_services
from pmo_saas.portfolio.services import portfolios as portfolio_services


def make_portfolio(ctx: TenantContext, name: str = "Growth", initiatives: int = 2) -> int:
    with tenant_session(ctx) as session:
        portfolio_id = portfolio_services.create_portfolio(session=session, ctx=ctx, name=name)
        for n in range(initiatives):
            initiative_services.create_initiative(
                session=session,
                ctx=ctx,
                portfolio_id=portfolio_id,
                data={"title": f"{name} initiative {n + 1}", "cost": 1000 * (n + 1)},
            )
    return portfolio_id


def initiative_ids(ctx: TenantContext, portfolio_id: int) -> list[int]:
    with tenant_session(ctx) as session:
        rows = initiative_services.list_initiatives(
            session=session, ctx=ctx, portfolio_id=portfolio_id
        )
    return [r.id for r in rows]


def make_key(ctx: TenantContext, scope: str = "read", name: str = "BI tool") -> tuple[int, str]:
    with tenant_session(ctx) as session:
        created = apikeys.create_api_key(session=session, ctx=ctx, name=name, scope=scope)
    return created.row.id, created.key


def client() -> TestClient:
    return TestClient(Starlette(routes=http.routes))


def bearer(key: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {key}"}
