"""Portfolio test data, built through the services."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from pmo_saas.db import tenant_session
from pmo_saas.kernel.context import TenantContext
from pmo_saas.portfolio.services import funding as funding_services
from pmo_saas.portfolio.services import initiatives as initiative_services
from pmo_saas.portfolio.services import portfolios as portfolio_services


def make_portfolio(
    ctx: TenantContext, name: str = "Growth", *, model: str = "wsjf", budget: int | None = None
) -> int:
    with tenant_session(ctx) as session:
        pid = portfolio_services.create_portfolio(
            session=session, ctx=ctx, name=name, scoring_model=model
        )
        if budget is not None:
            funding_services.set_budget(session=session, ctx=ctx, portfolio_id=pid, budget=budget)
    return pid


def make_initiative(
    ctx: TenantContext,
    portfolio_id: int,
    title: str,
    *,
    scores: Mapping[str, object] | None = None,
    **data: object,
) -> int:
    with tenant_session(ctx) as session:
        iid = initiative_services.create_initiative(
            session=session, ctx=ctx, portfolio_id=portfolio_id, data={"title": title, **data}
        )
        if scores:
            initiative_services.set_scores(
                session=session, ctx=ctx, initiative_id=iid, scores=scores
            )
    return iid


def wsjf(bv: int, tc: int, rr: int, js: int) -> dict[str, int]:
    return {"business_value": bv, "time_criticality": tc, "risk_reduction": rr, "job_size": js}


def make_budget_session(
    ctx: TenantContext,
    portfolio_id: int,
    stakeholders: Sequence[TenantContext],
    *,
    total: int = 100,
    name: str = "Budget split",
) -> int:
    """A budgeting session across the portfolio's value streams, opened by ctx."""
    from pmo_saas.portfolio.services import budgeting

    with tenant_session(ctx) as session:
        return budgeting.open_budget_session(
            session=session,
            ctx=ctx,
            portfolio_id=portfolio_id,
            name=name,
            total=total,
            stakeholder_user_ids=[p.user_id or 0 for p in stakeholders],
        )


def allocate(ctx: TenantContext, budget_session_id: int, amounts: Mapping[str, object]) -> None:
    from pmo_saas.portfolio.services import budgeting

    with tenant_session(ctx) as session:
        budgeting.submit_allocation(
            session=session, ctx=ctx, budget_session_id=budget_session_id, amounts=amounts
        )
