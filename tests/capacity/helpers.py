"""Capacity test data: funded initiatives through the portfolio's own services."""

from __future__ import annotations

from pmo_saas.capacity.services import allocations as allocation_services
from pmo_saas.capacity.services import capacity as capacity_services
from pmo_saas.db import tenant_session
from pmo_saas.kernel.context import TenantContext
from pmo_saas.portfolio.services import funding as funding_services
from tests import factories
from tests.portfolio.builders import make_initiative, make_portfolio, wsjf


def funded_initiatives(
    ctx: TenantContext, streams: dict[str, str], *, unfunded: str | None = None
) -> dict[str, int]:
    """Initiatives (title -> value stream) funded in a published plan; `unfunded` is left out
    of the plan (forced out)."""
    pid = make_portfolio(ctx, "Capacity portfolio")
    ids = {
        title: make_initiative(ctx, pid, title, value_stream=stream, cost=100, moscow="must")
        for title, stream in streams.items()
    }
    if unfunded:
        ids[unfunded] = make_initiative(ctx, pid, unfunded, cost=100, moscow="must")
    with tenant_session(ctx) as session:
        scenario = funding_services.create_scenario(
            session=session,
            ctx=ctx,
            portfolio_id=pid,
            name="Plan",
            budget=100 * (len(ids) + 1),
            overrides={ids[unfunded]: "out"} if unfunded else None,
        )
        funding_services.publish_scenario(session=session, ctx=ctx, scenario_id=scenario)
    return ids


def set_capacity(ctx, team, quarter, people, days, stream=""):
    with tenant_session(ctx) as session:
        return capacity_services.set_capacity(
            session=session,
            ctx=ctx,
            team_id=team,
            quarter=quarter,
            people=people,
            days_per_person=days,
            value_stream=stream,
        )


def allocate(ctx, initiative, team, quarter, days):
    with tenant_session(ctx) as session:
        return allocation_services.allocate(
            session=session,
            ctx=ctx,
            initiative_id=initiative,
            team_id=team,
            quarter=quarter,
            person_days=days,
        )


def funding_portfolio(ctx) -> tuple[int, dict[str, int]]:
    """A, B, C cost 100 each (budget 300 funds all); WSJF values 8, 5 and 3."""
    pid = make_portfolio(ctx, "Capacity funding", budget=300)
    ids = {
        "A": make_initiative(ctx, pid, "A", cost=100, scores=wsjf(8, 5, 3, 2)),
        "B": make_initiative(ctx, pid, "B", cost=100, scores=wsjf(5, 3, 2, 2)),
        "C": make_initiative(ctx, pid, "C", cost=100, scores=wsjf(3, 2, 1, 2)),
    }
    with tenant_session(ctx) as session:
        sid = funding_services.create_scenario(
            session=session, ctx=ctx, portfolio_id=pid, name="All", budget=300
        )
        funding_services.publish_scenario(session=session, ctx=ctx, scenario_id=sid)
    return pid, ids


def alpha_over_capacity(ctx) -> tuple[int, dict[str, int]]:
    pid, ids = funding_portfolio(ctx)
    alpha = factories.make_team(ctx, "Alpha")
    # Alpha in 2027-Q1: 4 people x 10 days = 40 person-days. A asks 30, B 20, C 10: 60 > 40.
    set_capacity(ctx, alpha, "2027-Q1", 4, 10)
    allocate(ctx, ids["A"], alpha, "2027-Q1", 30)
    allocate(ctx, ids["B"], alpha, "2027-Q1", 20)
    allocate(ctx, ids["C"], alpha, "2027-Q1", 10)
    return pid, ids
