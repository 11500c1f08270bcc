"""What every coaching services module shares: look-ups inside the organisation, who may
read which plan, dates and texts cleaned, and the action rows every page shows.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import date, datetime
from typing import TypeVar

from sqlmodel import Session, col, select

from pmo_saas.coaching import portfolio_link
from pmo_saas.coaching.models import (
    ACTION_DONE,
    CoachingAction,
    CoachingPlan,
)
from pmo_saas.coaching.schemas import (
    ActionRow,
)
from pmo_saas.db import get_in_org
from pmo_saas.identity.models import Membership, Team, TeamMember, User
from pmo_saas.kernel.clock import as_utc, utcnow
from pmo_saas.kernel.context import TenantContext
from pmo_saas.kernel.errors import Forbidden, ValidationFailed
from pmo_saas.kernel.roles import Role

T = TypeVar("T")


MANAGE_ONLY = "Only coaches and admins can change coaching plans."


DEFAULT_SCALE_MAX = 5


MAX_TARGET_LEVEL = 10


MAX_TEXT = 10_000


def _get(session: Session, cls: type[T], row_id: int | None, what: str) -> T:
    return get_in_org(session, cls, row_id, what)


_ID_MAX = 2**31 - 1  # PostgreSQL `integer`, as db.get_in_org bounds ids


def _fits_id(value: int | None) -> bool:
    """Whether an id filter can match a row at all (one beyond the column crashes the driver:
    OverflowError on SQLite, NumericValueOutOfRange on PostgreSQL)."""
    return value is None or (isinstance(value, int) and -_ID_MAX <= value <= _ID_MAX)


def _require_manage(ctx: TenantContext) -> None:
    ctx.require(Role.COACH, MANAGE_ONLY)


def today() -> date:
    return utcnow().date()


def _iso(value: date | datetime | None) -> str | None:
    if value is None:
        return None
    if isinstance(value, datetime):
        return as_utc(value).isoformat()
    return value.isoformat()


def parse_date(value: date | str | None, *, field: str, what: str = "date") -> date | None:
    if value is None or value == "":
        return None
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    try:
        return date.fromisoformat(value.strip())
    except ValueError:
        raise ValidationFailed(
            f"The {what} “{value}” is not a date; use the form 2026-03-31.", field=field
        ) from None


def _past_due_warning(due: date | None, what: str = "due date") -> list[str]:
    if due is not None and due < today():
        return [f"The {what} {due.isoformat()} is in the past: this will show as overdue."]
    return []


def _clean_text(raw: str | None, *, what: str) -> str:
    text = (raw or "").strip()
    if len(text) > MAX_TEXT:
        raise ValidationFailed(f"The {what} is longer than {MAX_TEXT} characters.", field=what)
    return text


def _member_role(session: Session, user_id: int | None) -> Role | None:
    if user_id is None or not _fits_id(user_id):
        return None
    role = session.exec(select(Membership.role).where(Membership.user_id == user_id)).first()
    return Role(role) if role is not None else None


def _require_member(session: Session, user_id: int | None, *, what: str, field: str) -> int:
    if user_id is None:
        raise ValidationFailed(f"Choose the {what}.", field=field)
    if _member_role(session, user_id) is None:
        raise ValidationFailed(f"The {what} must be a member of this organisation.", field=field)
    return user_id


def _names(session: Session, user_ids: Iterable[int | None]) -> dict[int, str]:
    ids = {u for u in user_ids if u is not None}
    if not ids:
        return {}
    rows = session.exec(select(User.id, User.name).where(col(User.id).in_(ids))).all()
    return {uid: name for uid, name in rows if uid is not None}


def _team_names(session: Session, team_ids: Iterable[int | None]) -> dict[int, str]:
    ids = {t for t in team_ids if t is not None}
    if not ids:
        return {}
    rows = session.exec(select(Team.id, Team.name).where(col(Team.id).in_(ids))).all()
    return {tid: name for tid, name in rows if tid is not None}


def _my_team_ids(session: Session, ctx: TenantContext) -> set[int]:
    if ctx.user_id is None:
        return set()
    return set(
        session.exec(select(TeamMember.team_id).where(TeamMember.user_id == ctx.user_id)).all()
    )


def _reads_everything(ctx: TenantContext) -> bool:
    return ctx.role == Role.VIEWER or ctx.has(Role.COACH)


def _readable_plan_ids(session: Session, ctx: TenantContext) -> set[int] | None:
    """None when ctx reads every plan; else the ids of the plans a member may read."""
    if _reads_everything(ctx):
        return None
    teams = _my_team_ids(session, ctx)
    plan_ids = set(
        session.exec(
            select(CoachingPlan.id).where(
                col(CoachingPlan.team_id).in_(teams)
                | (col(CoachingPlan.person_user_id) == ctx.user_id)
            )
        ).all()
    )
    plan_ids |= set(
        session.exec(
            select(CoachingAction.plan_id).where(CoachingAction.owner_user_id == ctx.user_id)
        ).all()
    )
    return {p for p in plan_ids if p is not None}


def _plan(session: Session, plan_id: int) -> CoachingPlan:
    return _get(session, CoachingPlan, plan_id, "That coaching plan")


def _readable_plan(session: Session, ctx: TenantContext, plan_id: int) -> CoachingPlan:
    plan = _plan(session, plan_id)
    readable = _readable_plan_ids(session, ctx)
    if readable is not None and plan.id not in readable:
        raise Forbidden("You can read the coaching plans of your own teams only.")
    return plan


def _touch(plan: CoachingPlan, session: Session) -> None:
    plan.updated_at = utcnow()
    session.add(plan)


def _is_overdue(action: CoachingAction, on: date) -> bool:
    return action.due_date is not None and action.due_date < on and action.status != ACTION_DONE


def _action_rows(
    session: Session,
    ctx: TenantContext,
    actions: Sequence[CoachingAction],
    *,
    on: date | None = None,
) -> list[ActionRow]:
    on = on or today()
    names = _names(session, (a.owner_user_id for a in actions))
    promoted = [a.initiative_id for a in actions if a.initiative_id is not None]
    states = portfolio_link.initiative_states(session=session, ctx=ctx, initiative_ids=promoted)
    rows = []
    for a in actions:
        assert a.id is not None
        rows.append(
            ActionRow(
                id=a.id,
                plan_id=a.plan_id,
                goal_id=a.goal_id,
                session_id=a.session_id,
                title=a.title,
                owner_user_id=a.owner_user_id,
                owner_name=names.get(a.owner_user_id or 0, "(no owner)"),
                due_date=_iso(a.due_date),
                status=a.status,
                scope=a.scope,
                overdue=_is_overdue(a, on),
                done_at=_iso(a.done_at),
                initiative_id=a.initiative_id,
            )
        )
        state = states.get(a.initiative_id) if a.initiative_id else None
        if state is not None:
            rows[-1].initiative_status = state.status
            rows[-1].funding_status = state.funding
            rows[-1].funding_label = portfolio_link.FUNDING_LABELS[state.funding]
    return rows


def _promoted_action_ids(session: Session, *, plan_id: int) -> list[int]:
    """The plan's actions that are in the portfolio (their initiatives name the plan)."""
    return [
        i
        for i in session.exec(
            select(CoachingAction.id).where(
                CoachingAction.plan_id == plan_id, col(CoachingAction.initiative_id).is_not(None)
            )
        ).all()
        if i is not None
    ]
