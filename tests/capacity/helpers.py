"""Capacity test data: funded initiatives through the portfolio's own services."""

from __future__ import annotations

from pmo_saas.capacity.services import allocations as allocation_services
from pmo_saas.capacity.services import capacity as capacity_services
from pmo_saas.db import tenant_session
from pmo_saas.kernel.context import TenantContext
from pmo_saas.portfolio.services import funding as funding_services
from tests.portfolio.builders import make_initiative, make_portfolio


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
