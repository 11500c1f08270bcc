"""Allocations: person-days of a funded initiative given to a team in a quarter."""

from __future__ import annotations

from sqlmodel import Session, col, select

from pmo_saas.capacity import portfolio_link
from pmo_saas.capacity.models import Allocation
from pmo_saas.capacity.schemas import AllocationRow, Choice
from pmo_saas.capacity.services.common import (
    MAX_PERSON_DAYS,
    clean_number,
    clean_quarter,
    get_team,
    require_manage,
)
from pmo_saas.db import get_in_org
from pmo_saas.identity import audit
from pmo_saas.identity.models import Team
from pmo_saas.kernel.context import TenantContext
from pmo_saas.kernel.errors import NotFound, ValidationFailed

NOT_FUNDED = "Only initiatives funded in their portfolio's published plan take allocations."


def funded_choices(*, session: Session, ctx: TenantContext) -> list[Choice]:
    return [
        Choice(value=str(f.id), label=f.title)
        for f in portfolio_link.funded_initiatives(session=session, ctx=ctx)
    ]


def allocate(
    *,
    session: Session,
    ctx: TenantContext,
    initiative_id: int,
    team_id: int,
    quarter: str,
    person_days: object,
) -> AllocationRow:
    """Give a team person-days of a funded initiative in a quarter (replaces an earlier
    allocation of the same initiative, team and quarter)."""
    require_manage(ctx)
    team = get_team(session, team_id)
    quarter = clean_quarter(quarter)
    days = clean_number(person_days, what="person-days", maximum=MAX_PERSON_DAYS)
    funded = {f.id: f for f in portfolio_link.funded_initiatives(session=session, ctx=ctx)}
    labels = portfolio_link.initiative_labels(session, [initiative_id])
    if initiative_id not in labels:
        raise NotFound("That initiative")
    if initiative_id not in funded:
        raise ValidationFailed(NOT_FUNDED, field="initiative")
    row = session.exec(
        select(Allocation).where(
            Allocation.initiative_id == initiative_id,
            Allocation.team_id == team_id,
            Allocation.quarter == quarter,
        )
    ).first() or Allocation(
        initiative_id=initiative_id, team_id=team_id, quarter=quarter, created_by_id=ctx.user_id
    )
    row.person_days = days
    session.add(row)
    session.flush()
    title, stream = labels[initiative_id]
    audit.record(
        session=session,
        ctx=ctx,
        action="capacity.allocated",
        target=title,
        detail=f"{team.name} {quarter}: {days:g} person-days",
    )
    assert row.id is not None and team.id is not None
    return AllocationRow(
        id=row.id,
        initiative_id=initiative_id,
        initiative_title=title,
        value_stream=stream,
        team_id=team.id,
        team_name=team.name,
        quarter=quarter,
        person_days=days,
    )


def remove_allocation(*, session: Session, ctx: TenantContext, allocation_id: int) -> None:
    require_manage(ctx)
    row = get_in_org(session, Allocation, allocation_id, "That allocation")
    session.delete(row)
    session.flush()


def list_allocations(*, session: Session, ctx: TenantContext) -> list[AllocationRow]:
    rows = session.exec(
        select(Allocation, Team.name)
        .join(Team, col(Team.id) == Allocation.team_id)
        .order_by(col(Allocation.quarter), col(Team.name), col(Allocation.id))
    ).all()
    labels = portfolio_link.initiative_labels(session, (a.initiative_id for a, _ in rows))
    result = []
    for a, team_name in rows:
        assert a.id is not None
        title, stream = labels.get(a.initiative_id, ("(removed initiative)", ""))
        result.append(
            AllocationRow(
                id=a.id,
                initiative_id=a.initiative_id,
                initiative_title=title,
                value_stream=stream,
                team_id=a.team_id,
                team_name=team_name,
                quarter=a.quarter,
                person_days=a.person_days,
            )
        )
    return result
