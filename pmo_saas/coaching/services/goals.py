"""A plan's goals (pages/plan.py): a target level on an assessment dimension (its baseline the
team's score in the plan's source round) or a free-text goal, due by a date.
"""

from __future__ import annotations

import math
from datetime import date

from sqlalchemy import func
from sqlmodel import Session, col, select

from pmo_saas.coaching import portfolio_link
from pmo_saas.coaching.models import (
    ACTION_DONE,
    CoachingAction,
    CoachingGoal,
)
from pmo_saas.coaching.schemas import (
    ActionRow,
    GoalRow,
)
from pmo_saas.coaching.services.common import (
    DEFAULT_SCALE_MAX,
    MAX_TARGET_LEVEL,
    _action_rows,
    _get,
    _iso,
    _past_due_warning,
    _plan,
    _require_manage,
    _touch,
    parse_date,
    today,
)
from pmo_saas.identity import audit
from pmo_saas.identity.services import clean_name
from pmo_saas.kernel.context import TenantContext
from pmo_saas.kernel.errors import Conflict, ValidationFailed


class ConfirmationRequired(Conflict):
    """The action destroys more than the user may expect: ask, then call again with confirm."""


def suggested_target(mean: float | None, scale_max: int = DEFAULT_SCALE_MAX) -> float:
    """The next whole maturity level above the current score (capped at the scale's top)."""
    if mean is None:
        return float(math.ceil(scale_max / 2))
    top = max(scale_max, math.ceil(mean))
    return float(min(math.floor(mean) + 1, top))


def _clean_target(value: float | None) -> float | None:
    if value is None:
        return None
    if not 0 < value <= MAX_TARGET_LEVEL:
        raise ValidationFailed(
            f"Choose a target maturity level between 1 and {MAX_TARGET_LEVEL}.",
            field="target_level",
        )
    return float(value)


def _goal_row(goal: CoachingGoal, actions: list[ActionRow], on: date) -> GoalRow:
    assert goal.id is not None
    finished = bool(actions) and all(a.status == ACTION_DONE for a in actions)
    return GoalRow(
        id=goal.id,
        plan_id=goal.plan_id,
        title=goal.title,
        dimension_key=goal.dimension_key,
        dimension_name=goal.dimension_name,
        baseline_score=round(goal.baseline_score, 2) if goal.baseline_score is not None else None,
        target_level=goal.target_level,
        due_date=_iso(goal.due_date),
        overdue=goal.due_date is not None and goal.due_date < on and not finished,
        actions=actions,
    )


def add_goal(
    *,
    session: Session,
    ctx: TenantContext,
    plan_id: int,
    title: str,
    target_level: float | None = None,
    due_date: date | str | None = None,
    dimension_key: str | None = None,
    dimension_name: str = "",
    baseline_score: float | None = None,
) -> GoalRow:
    _require_manage(ctx)
    plan = _plan(session, plan_id)
    due = parse_date(due_date, field="due_date", what="due date")
    last = session.exec(
        select(func.max(CoachingGoal.position)).where(CoachingGoal.plan_id == plan_id)
    ).one()
    goal = CoachingGoal(
        plan_id=plan_id,
        title=clean_name(title, what="goal", max_length=200),
        target_level=_clean_target(target_level),
        due_date=due,
        dimension_key=(dimension_key or "").strip() or None,
        dimension_name=(dimension_name or "").strip()[:120],
        baseline_score=baseline_score,
        position=(last or 0) + 1,
    )
    session.add(goal)
    _touch(plan, session)
    session.flush()
    row = _goal_row(goal, [], today())
    row.warnings = _past_due_warning(due)
    return row


def update_goal(
    *,
    session: Session,
    ctx: TenantContext,
    goal_id: int,
    title: str,
    target_level: float | None,
    due_date: date | str | None,
) -> GoalRow:
    _require_manage(ctx)
    goal = _get(session, CoachingGoal, goal_id, "That goal")
    due = parse_date(due_date, field="due_date", what="due date")
    goal.title = clean_name(title, what="goal", max_length=200)
    goal.target_level = _clean_target(target_level)
    goal.due_date = due
    session.add(goal)
    _touch(_plan(session, goal.plan_id), session)
    session.flush()
    actions = session.exec(select(CoachingAction).where(CoachingAction.goal_id == goal_id)).all()
    row = _goal_row(goal, _action_rows(session, ctx, actions), today())
    row.warnings = _past_due_warning(due)
    return row


def delete_goal(
    *, session: Session, ctx: TenantContext, goal_id: int, confirm: bool = False
) -> None:
    """Delete a goal; when it has actions (deleted with it) only with `confirm=True`."""
    _require_manage(ctx)
    goal = _get(session, CoachingGoal, goal_id, "That goal")
    actions = session.exec(select(CoachingAction).where(CoachingAction.goal_id == goal_id)).all()
    if actions and not confirm:
        raise ConfirmationRequired(
            f"The goal “{goal.title}” has {len(actions)} action(s). Deleting the goal deletes "
            "them too: confirm to go ahead."
        )
    plan = _plan(session, goal.plan_id)
    audit.record(
        session=session,
        ctx=ctx,
        action="coaching.goal_deleted",
        target=goal.title,
        detail=(
            f"plan “{plan.title}”; {len(actions)} action(s) deleted"
            + (": " + "; ".join(a.title for a in actions) if actions else "")
        ),
    )
    portfolio_link.actions_deleted(
        session=session, ctx=ctx, action_ids=[a.id for a in actions if a.initiative_id and a.id]
    )
    for action in actions:
        session.delete(action)
    session.delete(goal)
    _touch(plan, session)
    session.flush()


def place_goal(*, session: Session, ctx: TenantContext, goal_id: int, place: int) -> int:
    """Move a goal to `place` (1 = first) among its plan's goals: the plan's order of
    priority, which the plan page shows and the coach changes by drag and drop or keys.
    A place past either end is that end. Returns the goal's place now."""
    _require_manage(ctx)
    goal = _get(session, CoachingGoal, goal_id, "That goal")
    others = [
        g
        for g in session.exec(
            select(CoachingGoal)
            .where(CoachingGoal.plan_id == goal.plan_id)
            .order_by(col(CoachingGoal.position), col(CoachingGoal.id))
        ).all()
        if g.id != goal.id
    ]
    at = min(max(int(place), 1), len(others) + 1)
    others.insert(at - 1, goal)
    for position, each in enumerate(others, start=1):
        if each.position != position:
            each.position = position
            session.add(each)
    _touch(_plan(session, goal.plan_id), session)
    return at
