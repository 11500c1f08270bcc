"""Plan-side test data built through the services: a published plan adopted, gates, RAG."""

from __future__ import annotations

from collections.abc import Mapping

from pmo_saas.db import tenant_session
from pmo_saas.delivery.services import plan as plan_services
from pmo_saas.kernel.context import TenantContext
from pmo_saas.portfolio.services import funding as funding_services
from pmo_saas.portfolio.services import governance
from tests.portfolio.builders import make_initiative, make_portfolio, wsjf


def funded_initiative(
    ctx: TenantContext,
    *,
    title: str = "Checkout",
    cost: int = 90_000,
    tranches: int = 3,
    portfolio: str = "Delivery",
    **data: object,
) -> tuple[int, int]:
    """(portfolio id, initiative id): one initiative funded by an adopted published plan."""
    pid = make_portfolio(ctx, portfolio, budget=cost * 2)
    fields: Mapping[str, object] = {
        "cost": cost,
        "start_date": "2026-01-01",
        "end_date": "2026-06-30",
        **data,
    }
    iid = make_initiative(ctx, pid, title, scores=wsjf(8, 5, 3, 5), **fields)
    adopt(ctx, pid, tranches=tranches)
    return pid, iid


def adopt(ctx: TenantContext, portfolio_id: int, *, tranches: int = 3, name: str = "Plan") -> int:
    with tenant_session(ctx) as session:
        sid = funding_services.create_scenario(
            session=session, ctx=ctx, portfolio_id=portfolio_id, name=name
        )
        plan_id = funding_services.publish_scenario(session=session, ctx=ctx, scenario_id=sid)
    with tenant_session(ctx) as session:
        return plan_services.adopt_plan(
            session=session, ctx=ctx, published_plan_id=plan_id, tranches=tranches
        )


def gate(ctx: TenantContext, initiative_id: int, decision: str, on: str = "2026-02-01") -> int:
    with tenant_session(ctx) as session:
        return governance.record_gate_review(
            session=session,
            ctx=ctx,
            initiative_id=initiative_id,
            decision=decision,
            decided_on=on,
            approvers="Sponsor",
            conditions="Keep the scope" if decision == "proceed_with_conditions" else "",
        )


def spend(ctx: TenantContext, initiative_id: int, month: str, amount: int) -> None:
    with tenant_session(ctx) as session:
        plan_services.record_spend(
            session=session, ctx=ctx, initiative_id=initiative_id, month=month, amount=amount
        )


def set_rag(ctx: TenantContext, initiative_id: int, rag: str, reason: str) -> None:
    with tenant_session(ctx) as session:
        plan_services.set_rag(
            session=session, ctx=ctx, initiative_id=initiative_id, rag=rag, reason=reason
        )
