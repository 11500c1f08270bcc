"""Dashboard test helpers: a small portfolio and its initiatives' ids."""

from __future__ import annotations

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
