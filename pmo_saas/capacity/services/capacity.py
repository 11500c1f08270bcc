"""Each team's capacity per quarter: people x days per person, in person-days."""

from __future__ import annotations

from sqlmodel import Session, col, select

from pmo_saas.capacity.models import TeamCapacity
from pmo_saas.capacity.schemas import CapacityRow
from pmo_saas.capacity.services.common import (
    MAX_DAYS_PER_PERSON,
    MAX_PEOPLE,
    clean_number,
    clean_quarter,
    clean_stream,
    get_team,
    require_manage,
)
from pmo_saas.identity import audit
from pmo_saas.identity.models import Team
from pmo_saas.kernel.clock import utcnow
from pmo_saas.kernel.context import TenantContext


def person_days(people: float, days_per_person: float) -> float:
    return round(people * days_per_person, 2)


def write_capacity(
    session: Session,
    ctx: TenantContext,
    *,
    team_id: int,
    quarter: str,
    people: float,
    days_per_person: float,
    value_stream: str,
) -> TeamCapacity:
    """Insert or replace one team's capacity in one quarter (inputs already cleaned)."""
    row = session.exec(
        select(TeamCapacity).where(TeamCapacity.team_id == team_id, TeamCapacity.quarter == quarter)
    ).first() or TeamCapacity(team_id=team_id, quarter=quarter)
    row.people, row.days_per_person, row.value_stream = people, days_per_person, value_stream
    row.updated_by_id, row.updated_at = ctx.user_id, utcnow()
    session.add(row)
    return row


def set_capacity(
    *,
    session: Session,
    ctx: TenantContext,
    team_id: int,
    quarter: str,
    people: object,
    days_per_person: object,
    value_stream: str = "",
) -> CapacityRow:
    """Enter (or change) a team's capacity for a quarter."""
    require_manage(ctx)
    team = get_team(session, team_id)
    quarter = clean_quarter(quarter)
    n = clean_number(people, what="people", maximum=MAX_PEOPLE)
    days = clean_number(days_per_person, what="days per person", maximum=MAX_DAYS_PER_PERSON)
    row = write_capacity(
        session,
        ctx,
        team_id=team_id,
        quarter=quarter,
        people=n,
        days_per_person=days,
        value_stream=clean_stream(value_stream),
    )
    session.flush()
    audit.record(
        session=session,
        ctx=ctx,
        action="capacity.set",
        target=team.name,
        detail=f"{quarter}: {person_days(n, days):g} person-days",
    )
    assert team.id is not None
    return _row(row, team.name)


def _row(c: TeamCapacity, team_name: str) -> CapacityRow:
    return CapacityRow(
        team_id=c.team_id,
        team_name=team_name,
        quarter=c.quarter,
        people=c.people,
        days_per_person=c.days_per_person,
        value_stream=c.value_stream,
        person_days=person_days(c.people, c.days_per_person),
    )


def list_capacity(*, session: Session, ctx: TenantContext) -> list[CapacityRow]:
    """Every team x quarter entered, by team then quarter."""
    rows = session.exec(
        select(TeamCapacity, Team.name)
        .join(Team, col(Team.id) == TeamCapacity.team_id)
        .order_by(col(Team.name), col(TeamCapacity.quarter))
    ).all()
    return [_row(c, name) for c, name in rows]
