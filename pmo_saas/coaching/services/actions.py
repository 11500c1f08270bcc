"""Coaching actions (pages/plan.py adds and edits them, pages/mine.py lists mine): who does
what by when, with a status; a due date in the past is accepted with a warning.
"""

from __future__ import annotations

from datetime import date, timedelta

from sqlalchemy import select as sa_select
from sqlmodel import Session, col, select

from pmo_saas.coaching import portfolio_link
from pmo_saas.coaching.models import (
    ACTION_DONE,
    ACTION_SCOPES,
    ACTION_STATUSES,
    SCOPE_ORGANISATION,
    SCOPE_TEAM,
    CoachingAction,
    CoachingGoal,
    CoachingPlan,
)
from pmo_saas.coaching.schemas import (
    ActionInput,
    ActionRow,
)
from pmo_saas.coaching.services.common import (
    _action_rows,
    _get,
    _iso,
    _past_due_warning,
    _plan,
    _readable_plan_ids,
    _require_manage,
    _require_member,
    _touch,
    parse_date,
)
from pmo_saas.collaboration.models import ACTION_ASSIGNED, ACTION_OVERDUE
from pmo_saas.collaboration.services.notifications import notify
from pmo_saas.identity import audit
from pmo_saas.identity.services import clean_name
from pmo_saas.kernel.clock import utcnow
from pmo_saas.kernel.context import TenantContext
from pmo_saas.kernel.errors import Forbidden, NotFound, ValidationFailed
from pmo_saas.kernel.roles import Role


def _build_action(
    session: Session,
    *,
    plan: CoachingPlan,
    data: ActionInput,
    session_id: int | None = None,
) -> tuple[CoachingAction, list[str]]:
    """A validated, not yet added action (and its warnings); raises on bad input."""
    title = clean_name(data.title, what="action", max_length=200)
    owner = _require_member(session, data.owner_user_id, what="owner", field="owner")
    due = parse_date(data.due_date, field="due_date", what="due date")
    if data.scope not in ACTION_SCOPES:
        raise ValidationFailed(
            "Choose whether the team can do this alone or leadership must take it up.",
            field="scope",
        )
    if data.goal_id is not None:
        goal = _get(session, CoachingGoal, data.goal_id, "That goal")
        if goal.plan_id != plan.id:
            raise NotFound("That goal")
    assert plan.id is not None
    action = CoachingAction(
        plan_id=plan.id,
        goal_id=data.goal_id,
        session_id=session_id,
        title=title,
        owner_user_id=owner,
        due_date=due,
        scope=data.scope,
    )
    return action, _past_due_warning(due)


def add_action(
    *,
    session: Session,
    ctx: TenantContext,
    plan_id: int,
    title: str,
    owner_user_id: int | None,
    due_date: date | str | None = None,
    goal_id: int | None = None,
    scope: str = SCOPE_TEAM,
) -> ActionRow:
    """A team or organisational growth item. A missing owner is refused; a past date warns."""
    _require_manage(ctx)
    plan = _plan(session, plan_id)
    data = ActionInput(
        title=title,
        owner_user_id=owner_user_id,
        due_date=_iso(due_date) if isinstance(due_date, date) else due_date,
        goal_id=goal_id,
        scope=scope,
    )
    action, warnings = _build_action(session, plan=plan, data=data)
    session.add(action)
    _touch(plan, session)
    session.flush()
    _notify_assigned(session, ctx, action, plan)
    row = _action_rows(session, ctx, [action])[0]
    row.warnings = warnings
    return row


def update_action(
    *,
    session: Session,
    ctx: TenantContext,
    action_id: int,
    title: str,
    owner_user_id: int | None,
    due_date: date | str | None,
    goal_id: int | None,
    scope: str,
) -> ActionRow:
    _require_manage(ctx)
    action = _get(session, CoachingAction, action_id, "That action")
    plan = _plan(session, action.plan_id)
    data = ActionInput(
        title=title,
        owner_user_id=owner_user_id,
        due_date=_iso(due_date) if isinstance(due_date, date) else due_date,
        goal_id=goal_id,
        scope=scope,
    )
    if action.initiative_id is not None and scope != SCOPE_ORGANISATION:
        raise ValidationFailed(
            "This item is in the portfolio as an initiative; it stays an organisational item.",
            field="scope",
        )
    # Validate through the same path as a new action, then copy the clean values.
    probe, warnings = _build_action(session, plan=plan, data=data)
    reassigned = probe.owner_user_id != action.owner_user_id
    action.title, action.owner_user_id, action.due_date = (
        probe.title,
        probe.owner_user_id,
        probe.due_date,
    )
    action.goal_id, action.scope = probe.goal_id, probe.scope
    action.updated_at = utcnow()
    session.add(action)
    _touch(plan, session)
    session.flush()
    if reassigned:
        _notify_assigned(session, ctx, action, plan)
    row = _action_rows(session, ctx, [action])[0]
    row.warnings = warnings
    return row


def _notify_assigned(
    session: Session, ctx: TenantContext, action: CoachingAction, plan: CoachingPlan
) -> None:
    assert plan.id is not None
    notify(
        session=session,
        ctx=ctx,
        kind=ACTION_ASSIGNED,
        recipient_ids=[action.owner_user_id],
        title=f"Action assigned to you: “{action.title}” ({plan.title})",
        target_kind="coaching_plan",
        target_id=plan.id,
    )


# An action overdue for longer than this when the job first sees it (the job was down, or
# the feature is new) is not announced: only newly overdue ones are.
OVERDUE_LOOKBACK = timedelta(days=7)


def notify_overdue_actions(*, session: Session, ctx: TenantContext, today: date) -> int:
    """The job runner's: tell each owner of an open action whose due date has just passed,
    once per action and due date (the event key; a new date may become overdue again)."""
    rows = session.execute(
        sa_select(
            col(CoachingAction.id),
            col(CoachingAction.title),
            col(CoachingAction.owner_user_id),
            col(CoachingAction.due_date),
            col(CoachingAction.plan_id),
            col(CoachingPlan.title),
        )
        .join(CoachingPlan, col(CoachingPlan.id) == CoachingAction.plan_id)
        .where(
            col(CoachingAction.due_date) < today,
            col(CoachingAction.due_date) >= today - OVERDUE_LOOKBACK,
            col(CoachingAction.status) != ACTION_DONE,
            col(CoachingAction.owner_user_id).is_not(None),
        )
        .order_by(col(CoachingAction.id))
    ).all()
    told = 0
    for action_id, title, owner_id, due, plan_id, plan_title in rows:
        told += notify(
            session=session,
            ctx=ctx,
            kind=ACTION_OVERDUE,
            recipient_ids=[owner_id],
            title=f"Overdue since {due.isoformat()}: “{title}” ({plan_title})",
            target_kind="coaching_plan",
            target_id=plan_id,
            event_key=f"action:{action_id}:{due.isoformat()}",
        )
    return told


def set_action_status(
    *, session: Session, ctx: TenantContext, action_id: int, status: str
) -> ActionRow:
    """The action's owner, or a coach, moves it between todo / doing / done / blocked."""
    action = _get(session, CoachingAction, action_id, "That action")
    own = ctx.role != Role.VIEWER and action.owner_user_id == ctx.user_id
    if not ctx.has(Role.COACH) and not own:
        readable = _readable_plan_ids(session, ctx)
        if readable is not None and action.plan_id not in readable:
            raise NotFound("That action")
        raise Forbidden("You can change the status of your own actions only.")
    if status not in ACTION_STATUSES:
        raise ValidationFailed("Choose a status: todo, doing, done or blocked.", field="status")
    if status != action.status:
        action.status = status
        action.done_at = utcnow() if status == ACTION_DONE else None
        action.updated_at = utcnow()
        session.add(action)
        _touch(_plan(session, action.plan_id), session)
        session.flush()
    return _action_rows(session, ctx, [action])[0]


def delete_action(*, session: Session, ctx: TenantContext, action_id: int) -> None:
    _require_manage(ctx)
    action = _get(session, CoachingAction, action_id, "That action")
    plan = _plan(session, action.plan_id)
    audit.record(
        session=session,
        ctx=ctx,
        action="coaching.action_deleted",
        target=action.title,
        detail=f"plan “{plan.title}”",
    )
    if action.initiative_id is not None:
        portfolio_link.actions_deleted(session=session, ctx=ctx, action_ids=[action_id])
    session.delete(action)
    _touch(plan, session)
    session.flush()


def my_actions(*, session: Session, ctx: TenantContext, open_only: bool = True) -> list[ActionRow]:
    """The caller's own actions across plans, overdue first."""
    query = select(CoachingAction).where(CoachingAction.owner_user_id == ctx.user_id)
    if open_only:
        query = query.where(CoachingAction.status != ACTION_DONE)
    actions = session.exec(
        query.order_by(col(CoachingAction.due_date), col(CoachingAction.id))
    ).all()
    rows = _action_rows(session, ctx, actions)
    return sorted(rows, key=lambda r: (not r.overdue, r.due_date or "9999", r.id))
