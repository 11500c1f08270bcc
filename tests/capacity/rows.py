"""Rows of every capacity table for the tenancy matrix (tests/test_tenancy.py)."""

from __future__ import annotations

from sqlmodel import select

from pmo_saas.capacity.services import allocations, capacity
from pmo_saas.db import tenant_session
from pmo_saas.identity.models import Team
from pmo_saas.kernel.context import TenantContext
from tests.capacity.helpers import funded_initiatives


def make_capacity_rows(ctx: TenantContext) -> None:
    """A team's capacity in a quarter and an allocation of a funded initiative to it."""
    ids = funded_initiatives(ctx, {"Tenancy probe initiative": "Probe stream"})
    with tenant_session(ctx) as session:
        team_id = session.exec(select(Team.id)).first()
        assert team_id is not None
        capacity.set_capacity(
            session=session,
            ctx=ctx,
            team_id=team_id,
            quarter="2027-Q1",
            people=4,
            days_per_person=45,
            value_stream="Probe stream",
        )
        allocations.allocate(
            session=session,
            ctx=ctx,
            initiative_id=ids["Tenancy probe initiative"],
            team_id=team_id,
            quarter="2027-Q1",
            person_days=30,
        )


def make_skill_rows(ctx: TenantContext) -> None:
    """A person's skill and a skill a funded initiative needs."""
    from pmo_saas.capacity.services import skills
    from pmo_saas.portfolio.models import Initiative

    with tenant_session(ctx) as session:
        initiative_id = session.exec(select(Initiative.id)).first()
        assert initiative_id is not None
        skills.set_member_skills(
            session=session, ctx=ctx, user_id=ctx.user_id or 0, skills="probe skill"
        )
        skills.set_initiative_skills(
            session=session,
            ctx=ctx,
            initiative_id=initiative_id,
            needs={"probe skill": 2},
        )
