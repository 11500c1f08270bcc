"""Grouping (pages/programmes.py, pages/programme.py): programmes of one portfolio each, and
the initiatives in them (an initiative of that portfolio, in one programme at most)."""

from __future__ import annotations

from sqlalchemy import func
from sqlmodel import Session, col, delete, select

from pmo_saas.db import get_in_org
from pmo_saas.identity import audit
from pmo_saas.identity.validation import clean_name, refuse_nul
from pmo_saas.kernel.context import TenantContext
from pmo_saas.kernel.errors import Conflict, NotFound, ValidationFailed
from pmo_saas.kernel.roles import Role
from pmo_saas.portfolio.fields import clean_money
from pmo_saas.portfolio.models import Initiative, Portfolio
from pmo_saas.programmes.models import Programme, ProgrammeInitiative
from pmo_saas.programmes.schemas import Choice

MANAGE_ONLY = "Only coaches and admins can group initiatives into programmes."
MAX_TEXT = 5_000


def require_manage(ctx: TenantContext) -> None:
    ctx.require(Role.COACH, MANAGE_ONLY)


def get_programme(session: Session, programme_id: int) -> Programme:
    return get_in_org(session, Programme, programme_id, "That programme")


def create_programme(
    *,
    session: Session,
    ctx: TenantContext,
    portfolio_id: int,
    name: str,
    description: str = "",
    owner: str = "",
    budget: str | int | None = None,
) -> int:
    require_manage(ctx)
    portfolio = get_in_org(session, Portfolio, portfolio_id, "That portfolio")
    name = clean_name(name, what="name", max_length=120)
    owner = " ".join((owner or "").split())[:120]
    refuse_nul(description or "", what="description")
    refuse_nul(owner, what="owner")
    if len(description or "") > MAX_TEXT:
        raise ValidationFailed(f"The description is longer than {MAX_TEXT} characters.")
    taken = session.exec(
        select(Programme.id).where(func.lower(Programme.name) == func.lower(name))
    ).first()
    if taken is not None:
        raise Conflict(f"There is already a programme called “{name}”.")
    amount = clean_money(budget, what="budget")
    programme = Programme(
        portfolio_id=portfolio.id or 0,
        name=name,
        description=(description or "").strip(),
        owner=owner,
        budget=amount,
    )
    session.add(programme)
    session.flush()
    audit.record(session=session, ctx=ctx, action="programme.created", target=name)
    assert programme.id is not None
    return programme.id


def delete_programme(*, session: Session, ctx: TenantContext, programme_id: int) -> None:
    """The programme goes; its initiatives stay in the portfolio."""
    require_manage(ctx)
    programme = get_programme(session, programme_id)
    session.exec(
        delete(ProgrammeInitiative).where(col(ProgrammeInitiative.programme_id) == programme.id)
    )
    session.delete(programme)
    audit.record(session=session, ctx=ctx, action="programme.deleted", target=programme.name)


def add_initiative(
    *, session: Session, ctx: TenantContext, programme_id: int, initiative_id: int
) -> None:
    require_manage(ctx)
    programme = get_programme(session, programme_id)
    initiative = get_in_org(session, Initiative, initiative_id, "That initiative")
    if initiative.portfolio_id != programme.portfolio_id:
        raise ValidationFailed("Only initiatives of the programme's portfolio can join it.")
    current = session.exec(
        select(ProgrammeInitiative).where(ProgrammeInitiative.initiative_id == initiative.id)
    ).first()
    if current is not None:
        if current.programme_id == programme.id:
            return
        other = session.get(Programme, current.programme_id)
        raise Conflict(
            f"“{initiative.title}” is already in “{other.name if other else 'a programme'}”."
        )
    session.add(
        ProgrammeInitiative(programme_id=programme.id or 0, initiative_id=initiative.id or 0)
    )


def remove_initiative(
    *, session: Session, ctx: TenantContext, programme_id: int, initiative_id: int
) -> None:
    require_manage(ctx)
    programme = get_programme(session, programme_id)
    initiative = get_in_org(session, Initiative, initiative_id, "That initiative")
    row = session.exec(
        select(ProgrammeInitiative).where(
            ProgrammeInitiative.programme_id == programme.id,
            ProgrammeInitiative.initiative_id == initiative.id,
        )
    ).first()
    if row is None:
        raise NotFound("That initiative in this programme")
    session.delete(row)


def portfolio_choices(*, session: Session, ctx: TenantContext) -> list[Choice]:
    return [
        Choice(value=str(pid), label=name)
        for pid, name in session.exec(
            select(Portfolio.id, Portfolio.name)
            .where(col(Portfolio.archived_at).is_(None))
            .order_by(col(Portfolio.name))
        ).all()
    ]


def initiative_choices(*, session: Session, ctx: TenantContext, programme_id: int) -> list[Choice]:
    """The portfolio's initiatives in no programme yet."""
    programme = get_programme(session, programme_id)
    grouped = select(ProgrammeInitiative.initiative_id)
    return [
        Choice(value=str(iid), label=title)
        for iid, title in session.exec(
            select(Initiative.id, Initiative.title)
            .where(
                Initiative.portfolio_id == programme.portfolio_id,
                col(Initiative.archived_at).is_(None),
                col(Initiative.id).not_in(grouped),
            )
            .order_by(col(Initiative.title))
        ).all()
    ]


def ungrouped_initiatives(*, session: Session, ctx: TenantContext) -> list[Choice]:
    """Every active initiative in no programme yet, "portfolio: title"."""
    grouped = select(ProgrammeInitiative.initiative_id)
    return [
        Choice(value=str(iid), label=f"{portfolio}: {title}")
        for iid, title, portfolio in session.exec(
            select(Initiative.id, Initiative.title, Portfolio.name)
            .join(Portfolio, col(Portfolio.id) == Initiative.portfolio_id)
            .where(col(Initiative.archived_at).is_(None), col(Initiative.id).not_in(grouped))
            .order_by(col(Portfolio.name), col(Initiative.title))
        ).all()
    ]
