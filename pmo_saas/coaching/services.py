"""Coaching plans, goals, actions, coaching sessions, the leadership board and agile training.

Every function takes a tenant session and `ctx` (keyword-only). Rows of another organisation
are invisible to the session, so they raise the same NotFound as missing rows.

Who may do what:
- coaches, admins and owners manage plans, goals, actions, session logs and the course
  catalogue, and promote organisational items to the portfolio;
- members read the plans of their teams (and their own person plan, and any plan where they
  own an action), change the status of the actions they own, enrol themselves in courses and
  record their own completions;
- viewers read plans, the leadership board and training coverage, and change nothing.

Bad input never half-writes: a missing owner is refused; a due date in the past is accepted
with a warning in the returned row; deleting a goal that has actions needs `confirm=True`.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Iterable, Sequence
from datetime import date, datetime
from typing import TypeVar

from sqlalchemy import case, func
from sqlmodel import Session, col, select

from pmo_saas.assessments import services as assessments
from pmo_saas.assessments.schemas import RoundSummary
from pmo_saas.billing import entitlements
from pmo_saas.coaching import portfolio_link
from pmo_saas.coaching.models import (
    ACTION_DONE,
    ACTION_SCOPES,
    ACTION_STATUSES,
    COURSE_LEVELS,
    PLAN_STATUSES,
    SCOPE_ORGANISATION,
    SCOPE_TEAM,
    CoachingAction,
    CoachingGoal,
    CoachingPlan,
    CoachingSession,
    Course,
    Enrolment,
    SessionAttendee,
)
from pmo_saas.coaching.schemas import (
    ActionInput,
    ActionRow,
    BoardItem,
    CourseRow,
    EnrolmentRow,
    GoalRow,
    InitiativeOrigin,
    PlanDetail,
    PlanRow,
    SessionRow,
    TeamCoverage,
)
from pmo_saas.db import get_in_org
from pmo_saas.identity import audit
from pmo_saas.identity.models import Membership, Team, TeamMember, User
from pmo_saas.identity.services import clean_name
from pmo_saas.kernel.clock import as_utc, utcnow
from pmo_saas.kernel.context import TenantContext
from pmo_saas.kernel.errors import Conflict, Forbidden, NotFound, ValidationFailed
from pmo_saas.kernel.roles import Role, at_least

T = TypeVar("T")

MANAGE_ONLY = "Only coaches and admins can change coaching plans."
DEFAULT_SCALE_MAX = 5
MAX_TARGET_LEVEL = 10
MAX_TEXT = 10_000


class ConfirmationRequired(Conflict):
    """The action destroys more than the user may expect: ask, then call again with confirm."""


# ---------------------------------------------------------------- helpers


def _get(session: Session, cls: type[T], row_id: int | None, what: str) -> T:
    return get_in_org(session, cls, row_id, what)


def _write(session: Session, ctx: TenantContext) -> None:
    entitlements.check_writable(session=session, ctx=ctx)


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
    if user_id is None:
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


# ---------------------------------------------------------------- rows


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


def _action_counts(
    session: Session, plan_ids: Iterable[int], on: date
) -> dict[int, tuple[int, int, int]]:
    """plan id -> (actions, done, overdue), counted in the database."""
    ids = list(plan_ids)
    if not ids:
        return {}
    done = case((col(CoachingAction.status) == ACTION_DONE, 1), else_=0)
    overdue = case(
        (
            (col(CoachingAction.status) != ACTION_DONE)
            & col(CoachingAction.due_date).is_not(None)
            & (col(CoachingAction.due_date) < on),
            1,
        ),
        else_=0,
    )
    rows = session.exec(
        select(
            CoachingAction.plan_id,
            func.count(col(CoachingAction.id)),
            func.sum(done),
            func.sum(overdue),
        )
        .where(col(CoachingAction.plan_id).in_(ids))
        .group_by(col(CoachingAction.plan_id))
    ).all()
    return {pid: (int(n), int(d or 0), int(o or 0)) for pid, n, d, o in rows}


def _plan_rows(session: Session, plans: Sequence[CoachingPlan], on: date) -> list[PlanRow]:
    counts = _action_counts(session, (p.id for p in plans if p.id is not None), on)
    names = _names(session, [p.coach_user_id for p in plans] + [p.person_user_id for p in plans])
    teams = _team_names(session, (p.team_id for p in plans))
    rows = []
    for p in plans:
        assert p.id is not None
        total, done, overdue = counts.get(p.id, (0, 0, 0))
        rows.append(
            PlanRow(
                id=p.id,
                title=p.title,
                team_id=p.team_id,
                team_name=teams.get(p.team_id or 0, ""),
                person_user_id=p.person_user_id,
                person_name=names.get(p.person_user_id or 0, ""),
                coach_user_id=p.coach_user_id,
                coach_name=names.get(p.coach_user_id or 0, ""),
                status=p.status,
                actions_total=total,
                actions_done=done,
                overdue_actions=overdue,
                progress_percent=round(100 * done / total) if total else 0,
            )
        )
    return rows


# ---------------------------------------------------------------- plans


def _check_coach(session: Session, coach_user_id: int | None) -> int | None:
    if coach_user_id is None:
        return None
    role = _member_role(session, coach_user_id)
    if role is None:
        raise ValidationFailed("The coach must be a member of this organisation.", field="coach")
    if not at_least(role, Role.COACH):
        raise ValidationFailed("The coach must have the coach, admin or owner role.", field="coach")
    return coach_user_id


def _new_plan(
    session: Session,
    ctx: TenantContext,
    *,
    title: str,
    team_id: int | None,
    person_user_id: int | None,
    coach_user_id: int | None,
) -> CoachingPlan:
    if (team_id is None) == (person_user_id is None):
        raise ValidationFailed("A coaching plan is for one team or for one person: choose one.")
    if team_id is not None:
        _get(session, Team, team_id, "That team")
    if person_user_id is not None:
        _require_member(session, person_user_id, what="person", field="person")
    plan = CoachingPlan(
        org_id=ctx.org_id,
        title=clean_name(title, what="plan title", max_length=160),
        team_id=team_id,
        person_user_id=person_user_id,
        coach_user_id=_check_coach(
            session, coach_user_id if coach_user_id is not None else ctx.user_id
        ),
        created_by_id=ctx.user_id,
    )
    session.add(plan)
    session.flush()
    return plan


def create_plan(
    *,
    session: Session,
    ctx: TenantContext,
    title: str,
    team_id: int | None = None,
    person_user_id: int | None = None,
    coach_user_id: int | None = None,
) -> PlanDetail:
    """An empty plan for a team or for one person; the coach defaults to the caller."""
    _require_manage(ctx)
    _write(session, ctx)
    plan = _new_plan(
        session,
        ctx,
        title=title,
        team_id=team_id,
        person_user_id=person_user_id,
        coach_user_id=coach_user_id,
    )
    audit.record(session=session, ctx=ctx, action="coaching.plan_created", target=plan.title)
    assert plan.id is not None
    return get_plan(session=session, ctx=ctx, plan_id=plan.id)


def _closed_round(
    session: Session, ctx: TenantContext, *, round_id: int, team_id: int
) -> RoundSummary:
    """The round as a summary, when it is closed and the team took part (else a clear error)."""
    found = assessments.latest_closed_round_for_team(session=session, ctx=ctx, team_id=team_id)
    while found is not None and found.id != round_id:
        found = assessments.latest_closed_round_for_team(
            session=session, ctx=ctx, team_id=team_id, before_round_id=found.id
        )
    if found is None:
        # Raises NotFound for a round of another organisation or one the team was not in.
        assessments.focus_dimensions(session=session, ctx=ctx, round_id=round_id, team_id=team_id)
        raise ValidationFailed("Plans start from a closed round: close the round first.")
    return found


def create_plan_from_round(
    *,
    session: Session,
    ctx: TenantContext,
    round_id: int,
    team_id: int,
    title: str = "",
    coach_user_id: int | None = None,
    goal_due_date: date | str | None = None,
) -> PlanDetail:
    """A team plan whose goals are the round's focus dimensions, with current and target level.

    Each goal starts from the team's mean on the dimension in the round (its baseline) and a
    suggested target one level up; the team's next closed round of the same model then
    measures the change per goal (see `get_plan`).
    """
    _require_manage(ctx)
    _write(session, ctx)
    summary = _closed_round(session, ctx, round_id=round_id, team_id=team_id)
    focus = assessments.focus_dimensions(
        session=session, ctx=ctx, round_id=round_id, team_id=team_id
    )
    if not focus:
        raise ValidationFailed(
            "No focus dimensions are marked for this team in this round. Mark the dimensions "
            "to work on in the round's results first."
        )
    due = parse_date(goal_due_date, field="due_date", what="due date")
    team = _get(session, Team, team_id, "That team")
    plan = _new_plan(
        session,
        ctx,
        title=title or f"{team.name}: growth plan after {summary.title}"[:160],
        team_id=team_id,
        person_user_id=None,
        coach_user_id=coach_user_id,
    )
    plan.source_round_id = summary.id
    plan.source_model_id = summary.model_id
    plan.source_round_title = summary.title
    session.add(plan)
    assert plan.id is not None
    for position, dim in enumerate(focus):
        target = suggested_target(dim.mean)
        session.add(
            CoachingGoal(
                org_id=ctx.org_id,
                plan_id=plan.id,
                title=f"Raise {dim.name} to level {target:g}",
                dimension_key=dim.dimension_key,
                dimension_name=dim.name,
                baseline_score=dim.mean,
                target_level=target,
                due_date=due,
                position=position,
            )
        )
    session.flush()
    audit.record(
        session=session,
        ctx=ctx,
        action="coaching.plan_created",
        target=plan.title,
        detail=f"from round {summary.title} with {len(focus)} goals",
    )
    detail = get_plan(session=session, ctx=ctx, plan_id=plan.id)
    detail.warnings = _past_due_warning(due, "goals' due date")
    return detail


def update_plan(
    *,
    session: Session,
    ctx: TenantContext,
    plan_id: int,
    title: str,
    status: str,
    coach_user_id: int | None,
) -> PlanRow:
    _require_manage(ctx)
    _write(session, ctx)
    plan = _plan(session, plan_id)
    if status not in PLAN_STATUSES:
        raise ValidationFailed("Choose a status: active, on hold or completed.", field="status")
    changed = []
    if status != plan.status:
        changed.append(f"status {plan.status} -> {status}")
    plan.title = clean_name(title, what="plan title", max_length=160)
    plan.status = status
    plan.coach_user_id = _check_coach(session, coach_user_id)
    _touch(plan, session)
    audit.record(
        session=session,
        ctx=ctx,
        action="coaching.plan_updated",
        target=plan.title,
        detail="; ".join(changed),
    )
    return _plan_rows(session, [plan], today())[0]


def delete_plan(
    *, session: Session, ctx: TenantContext, plan_id: int, confirm: bool = False
) -> None:
    _require_manage(ctx)
    _write(session, ctx)
    plan = _plan(session, plan_id)
    actions = session.exec(
        select(func.count()).select_from(CoachingAction).where(CoachingAction.plan_id == plan_id)
    ).one()
    if actions and not confirm:
        raise ConfirmationRequired(
            f"This plan has {actions} actions. Deleting it deletes its goals, actions and "
            "session log too: confirm to go ahead."
        )
    audit.record(
        session=session,
        ctx=ctx,
        action="coaching.plan_deleted",
        target=plan.title,
        detail=f"{actions} actions deleted",
    )
    session.delete(plan)
    session.flush()


def list_plans(
    *,
    session: Session,
    ctx: TenantContext,
    team_id: int | None = None,
    coach_user_id: int | None = None,
    status: str | None = None,
    overdue_only: bool = False,
) -> list[PlanRow]:
    """The plans the caller may read, filtered by team, coach, status and overdue actions."""
    query = select(CoachingPlan)
    if team_id is not None:
        query = query.where(CoachingPlan.team_id == team_id)
    if coach_user_id is not None:
        query = query.where(CoachingPlan.coach_user_id == coach_user_id)
    if status:
        if status not in PLAN_STATUSES:
            raise ValidationFailed("Unknown plan status.", field="status")
        query = query.where(CoachingPlan.status == status)
    readable = _readable_plan_ids(session, ctx)
    if readable is not None:
        query = query.where(col(CoachingPlan.id).in_(readable))
    plans = session.exec(
        query.order_by(col(CoachingPlan.updated_at).desc(), col(CoachingPlan.id).desc())
    ).all()
    rows = _plan_rows(session, plans, today())
    if overdue_only:
        rows = [r for r in rows if r.overdue_actions]
    return rows


def _measurement(
    session: Session, ctx: TenantContext, plan: CoachingPlan
) -> tuple[RoundSummary | None, dict[str, float | None]]:
    """The team's latest closed round of the plan's model after its source round, and scores."""
    if plan.team_id is None or plan.source_round_id is None:
        return None, {}
    latest = assessments.latest_closed_round_for_team(
        session=session, ctx=ctx, team_id=plan.team_id, model_id=plan.source_model_id
    )
    if latest is None or latest.id == plan.source_round_id:
        return None, {}
    scores = assessments.team_dimension_scores(
        session=session, ctx=ctx, round_id=latest.id, team_id=plan.team_id
    )
    return latest, {s.dimension_key: s.mean for s in scores}


def get_plan(*, session: Session, ctx: TenantContext, plan_id: int) -> PlanDetail:
    """A plan with its goals (current vs target, and measured change), actions and sessions."""
    plan = _readable_plan(session, ctx, plan_id)
    on = today()
    row = _plan_rows(session, [plan], on)[0]
    goals = session.exec(
        select(CoachingGoal)
        .where(CoachingGoal.plan_id == plan_id)
        .order_by(col(CoachingGoal.position), col(CoachingGoal.id))
    ).all()
    actions = session.exec(
        select(CoachingAction)
        .where(CoachingAction.plan_id == plan_id)
        .order_by(col(CoachingAction.due_date), col(CoachingAction.id))
    ).all()
    action_rows = _action_rows(session, ctx, actions, on=on)
    by_goal: dict[int | None, list[ActionRow]] = defaultdict(list)
    for action_row in action_rows:
        by_goal[action_row.goal_id].append(action_row)

    visible = ctx.has(Role.COACH)
    measured_round, measured = _measurement(session, ctx, plan) if visible else (None, {})
    goal_rows = []
    for goal in goals:
        goal_row = _goal_row(goal, by_goal.get(goal.id, []), on)
        if measured_round is not None and goal.dimension_key in measured:
            score = measured[goal.dimension_key]
            if score is not None:
                goal_row.measured_score = round(score, 2)
                goal_row.measured_round_id = measured_round.id
                if goal.baseline_score is not None:
                    goal_row.measured_change = round(score - goal.baseline_score, 2)
                if goal.target_level is not None:
                    goal_row.target_reached = score >= goal.target_level
        goal_rows.append(goal_row)

    sessions = _session_rows(session, plan_id, actions)
    return PlanDetail(
        **row.model_dump(),
        source_round_id=plan.source_round_id,
        source_round_title=plan.source_round_title if plan.source_round_id else "",
        measured_round_id=measured_round.id if measured_round else None,
        measured_round_title=measured_round.title if measured_round else "",
        measurement_visible=visible,
        goals=goal_rows,
        loose_actions=by_goal.get(None, []),
        sessions=sessions,
        can_manage=visible,
    )


# ---------------------------------------------------------------- goals


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
    _write(session, ctx)
    plan = _plan(session, plan_id)
    due = parse_date(due_date, field="due_date", what="due date")
    last = session.exec(
        select(func.max(CoachingGoal.position)).where(CoachingGoal.plan_id == plan_id)
    ).one()
    goal = CoachingGoal(
        org_id=ctx.org_id,
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
    _write(session, ctx)
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
    _write(session, ctx)
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
    for action in actions:
        session.delete(action)
    session.delete(goal)
    _touch(plan, session)
    session.flush()


# ---------------------------------------------------------------- actions


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
        org_id=plan.org_id,
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
    _write(session, ctx)
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
    _write(session, ctx)
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
    row = _action_rows(session, ctx, [action])[0]
    row.warnings = warnings
    return row


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
    _write(session, ctx)
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
    _write(session, ctx)
    action = _get(session, CoachingAction, action_id, "That action")
    plan = _plan(session, action.plan_id)
    audit.record(
        session=session,
        ctx=ctx,
        action="coaching.action_deleted",
        target=action.title,
        detail=f"plan “{plan.title}”",
    )
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


# ---------------------------------------------------------------- coaching sessions


def _session_rows(
    session: Session, plan_id: int, actions: Sequence[CoachingAction]
) -> list[SessionRow]:
    logs = session.exec(
        select(CoachingSession)
        .where(CoachingSession.plan_id == plan_id)
        .order_by(col(CoachingSession.held_on).desc(), col(CoachingSession.id).desc())
    ).all()
    if not logs:
        return []
    ids = [s.id for s in logs]
    attendees = session.exec(
        select(SessionAttendee.session_id, SessionAttendee.user_id).where(
            col(SessionAttendee.session_id).in_(ids)
        )
    ).all()
    by_session: dict[int, list[int]] = defaultdict(list)
    for sid, uid in attendees:
        by_session[sid].append(uid)
    names = _names(session, (uid for _, uid in attendees))
    follow_ups: dict[int, list[int]] = defaultdict(list)
    for a in actions:
        if a.session_id is not None and a.id is not None:
            follow_ups[a.session_id].append(a.id)
    rows = []
    for s in logs:
        assert s.id is not None
        people = sorted(by_session.get(s.id, []), key=lambda u: names.get(u, ""))
        rows.append(
            SessionRow(
                id=s.id,
                plan_id=s.plan_id,
                held_on=s.held_on.isoformat(),
                attendee_ids=people,
                attendee_names=[names.get(u, "") for u in people],
                notes=s.notes,
                decisions=s.decisions,
                follow_up_action_ids=follow_ups.get(s.id, []),
            )
        )
    return rows


def log_session(
    *,
    session: Session,
    ctx: TenantContext,
    plan_id: int,
    held_on: date | str | None,
    attendee_user_ids: Sequence[int],
    notes: str = "",
    decisions: str = "",
    follow_ups: Sequence[ActionInput] = (),
) -> SessionRow:
    """Record a coaching session; its follow-up actions land in the plan."""
    _require_manage(ctx)
    _write(session, ctx)
    plan = _plan(session, plan_id)
    held = parse_date(held_on, field="held_on", what="session date")
    if held is None:
        raise ValidationFailed("Enter the date the session took place.", field="held_on")
    if held > today():
        raise ValidationFailed(
            "The log records sessions that took place: choose today or an earlier date.",
            field="held_on",
        )
    people = list(dict.fromkeys(attendee_user_ids))
    for user_id in people:
        _require_member(session, user_id, what="attendee", field="attendees")
    notes = _clean_text(notes, what="notes")
    decisions = _clean_text(decisions, what="decisions")
    # Every follow-up is checked before anything is written.
    built = [_build_action(session, plan=plan, data=data) for data in follow_ups]
    log = CoachingSession(
        org_id=ctx.org_id,
        plan_id=plan_id,
        held_on=held,
        notes=notes,
        decisions=decisions,
        created_by_id=ctx.user_id,
    )
    session.add(log)
    session.flush()
    assert log.id is not None
    for user_id in people:
        session.add(SessionAttendee(org_id=ctx.org_id, session_id=log.id, user_id=user_id))
    created: list[CoachingAction] = []
    warnings: list[str] = []
    for action, action_warnings in built:
        action.session_id = log.id
        session.add(action)
        created.append(action)
        warnings += [f"{action.title}: {w}" for w in action_warnings]
    _touch(plan, session)
    session.flush()
    audit.record(
        session=session,
        ctx=ctx,
        action="coaching.session_logged",
        target=plan.title,
        detail=f"session of {held.isoformat()}, {len(created)} follow-up action(s)",
    )
    row = next(r for r in _session_rows(session, plan_id, created) if r.id == log.id)
    row.warnings = warnings
    return row


# ---------------------------------------------------------------- leadership board, portfolio


def leadership_board(
    *, session: Session, ctx: TenantContext, include_done: bool = False
) -> list[BoardItem]:
    """Organisational growth items across all (readable) plans: overdue first, then by date."""
    query = select(CoachingAction).where(CoachingAction.scope == SCOPE_ORGANISATION)
    if not include_done:
        query = query.where(CoachingAction.status != ACTION_DONE)
    readable = _readable_plan_ids(session, ctx)
    if readable is not None:
        query = query.where(col(CoachingAction.plan_id).in_(readable))
    actions = session.exec(query.order_by(col(CoachingAction.id))).all()
    plans = {
        p.id: p
        for p in session.exec(
            select(CoachingPlan).where(col(CoachingPlan.id).in_({a.plan_id for a in actions}))
        ).all()
    }
    teams = _team_names(session, (p.team_id for p in plans.values()))
    items = []
    for row in _action_rows(session, ctx, actions):
        plan = plans[row.plan_id]
        items.append(
            BoardItem(
                action=row,
                plan_id=row.plan_id,
                plan_title=plan.title,
                team_id=plan.team_id,
                team_name=teams.get(plan.team_id or 0, ""),
            )
        )
    return sorted(
        items, key=lambda i: (not i.action.overdue, i.action.due_date or "9999", i.action.id)
    )


def promote_to_portfolio(
    *, session: Session, ctx: TenantContext, action_id: int, portfolio_id: int
) -> ActionRow:
    """Make an organisational growth item an initiative in a portfolio, linked both ways."""
    _require_manage(ctx)
    _write(session, ctx)
    action = _get(session, CoachingAction, action_id, "That action")
    if action.scope != SCOPE_ORGANISATION:
        raise ValidationFailed(
            "Only organisational growth items go to the portfolio; mark it as one first."
        )
    if action.initiative_id is not None:
        raise Conflict("This item is already in the portfolio.")
    plan = _plan(session, action.plan_id)
    team = _team_names(session, [plan.team_id]).get(plan.team_id or 0, "")
    origin = f"team {team}" if team else "a personal coaching plan"
    initiative_id = portfolio_link.create_initiative(
        session=session,
        ctx=ctx,
        portfolio_id=portfolio_id,
        title=action.title,
        description=(
            f"Organisational growth item from the coaching plan “{plan.title}” ({origin})."
        ),
    )
    action.initiative_id = initiative_id
    action.promoted_at = utcnow()
    action.updated_at = utcnow()
    session.add(action)
    session.flush()
    audit.record(
        session=session,
        ctx=ctx,
        action="coaching.item_promoted",
        target=action.title,
        detail=f"initiative {initiative_id} in portfolio {portfolio_id}",
    )
    return _action_rows(session, ctx, [action])[0]


def initiative_origins(
    *, session: Session, ctx: TenantContext, initiative_ids: Sequence[int]
) -> dict[int, InitiativeOrigin]:
    """For the portfolio: which initiatives came from coaching, and from which plan and team."""
    if not initiative_ids:
        return {}
    actions = session.exec(
        select(CoachingAction).where(col(CoachingAction.initiative_id).in_(list(initiative_ids)))
    ).all()
    plans = {
        p.id: p
        for p in session.exec(
            select(CoachingPlan).where(col(CoachingPlan.id).in_({a.plan_id for a in actions}))
        ).all()
    }
    teams = _team_names(session, (p.team_id for p in plans.values()))
    origins = {}
    for a in actions:
        plan = plans[a.plan_id]
        assert a.initiative_id is not None and a.id is not None and plan.id is not None
        origins[a.initiative_id] = InitiativeOrigin(
            initiative_id=a.initiative_id,
            action_id=a.id,
            action_title=a.title,
            plan_id=plan.id,
            plan_title=plan.title,
            team_id=plan.team_id,
            team_name=teams.get(plan.team_id or 0, ""),
        )
    return origins


def initiative_origin(
    *, session: Session, ctx: TenantContext, initiative_id: int
) -> InitiativeOrigin | None:
    return initiative_origins(session=session, ctx=ctx, initiative_ids=[initiative_id]).get(
        initiative_id
    )


# ---------------------------------------------------------------- agile training


def _clean_course(
    name: str, level: str, duration_hours: float, provider: str
) -> tuple[str, str, float, str]:
    name = clean_name(name, what="course name", max_length=160)
    if level not in COURSE_LEVELS:
        raise ValidationFailed("Choose a level: beginner, intermediate or advanced.", field="level")
    if not 0 < duration_hours <= 1000:
        raise ValidationFailed(
            "Enter the duration in hours, more than 0 and at most 1000.", field="duration_hours"
        )
    return name, level, float(duration_hours), " ".join((provider or "").split())[:120]


def _check_course_name_free(session: Session, name: str, course_id: int | None = None) -> None:
    existing = session.exec(
        select(Course.id).where(func.lower(Course.name) == name.lower())
    ).first()
    if existing is not None and existing != course_id:
        raise Conflict(f"The catalogue already has a course called “{name}”.")


def _course_rows(session: Session, courses: Sequence[Course]) -> list[CourseRow]:
    ids = [c.id for c in courses]
    counts = {
        cid: (int(n), int(d or 0))
        for cid, n, d in session.exec(
            select(
                Enrolment.course_id,
                func.count(col(Enrolment.id)),
                func.sum(case((col(Enrolment.completed_on).is_not(None), 1), else_=0)),
            )
            .where(col(Enrolment.course_id).in_(ids))
            .group_by(col(Enrolment.course_id))
        ).all()
    }
    rows = []
    for c in courses:
        assert c.id is not None
        enrolled, completed = counts.get(c.id, (0, 0))
        rows.append(
            CourseRow(
                id=c.id,
                name=c.name,
                level=c.level,
                duration_hours=c.duration_hours,
                provider=c.provider,
                archived=c.archived_at is not None,
                enrolled=enrolled,
                completed=completed,
            )
        )
    return rows


def create_course(
    *,
    session: Session,
    ctx: TenantContext,
    name: str,
    level: str = "beginner",
    duration_hours: float = 1.0,
    provider: str = "",
) -> CourseRow:
    _require_manage(ctx)
    _write(session, ctx)
    name, level, duration_hours, provider = _clean_course(name, level, duration_hours, provider)
    _check_course_name_free(session, name)
    course = Course(
        org_id=ctx.org_id, name=name, level=level, duration_hours=duration_hours, provider=provider
    )
    session.add(course)
    session.flush()
    audit.record(session=session, ctx=ctx, action="coaching.course_created", target=name)
    return _course_rows(session, [course])[0]


def update_course(
    *,
    session: Session,
    ctx: TenantContext,
    course_id: int,
    name: str,
    level: str,
    duration_hours: float,
    provider: str,
    archived: bool = False,
) -> CourseRow:
    _require_manage(ctx)
    _write(session, ctx)
    course = _get(session, Course, course_id, "That course")
    name, level, duration_hours, provider = _clean_course(name, level, duration_hours, provider)
    _check_course_name_free(session, name, course_id)
    course.name, course.level, course.duration_hours, course.provider = (
        name,
        level,
        duration_hours,
        provider,
    )
    if archived and course.archived_at is None:
        course.archived_at = utcnow()
    elif not archived:
        course.archived_at = None
    session.add(course)
    session.flush()
    return _course_rows(session, [course])[0]


def list_courses(
    *, session: Session, ctx: TenantContext, include_archived: bool = False
) -> list[CourseRow]:
    query = select(Course)
    if not include_archived:
        query = query.where(col(Course.archived_at).is_(None))
    return _course_rows(session, session.exec(query.order_by(Course.name)).all())


def _enrolment_rows(session: Session, enrolments: Sequence[Enrolment]) -> list[EnrolmentRow]:
    courses = {
        c.id: c.name
        for c in session.exec(
            select(Course).where(col(Course.id).in_({e.course_id for e in enrolments}))
        ).all()
    }
    names = _names(session, (e.user_id for e in enrolments))
    rows = []
    for e in enrolments:
        assert e.id is not None
        rows.append(
            EnrolmentRow(
                id=e.id,
                course_id=e.course_id,
                course_name=courses.get(e.course_id, ""),
                user_id=e.user_id,
                user_name=names.get(e.user_id, ""),
                enrolled_at=_iso(e.enrolled_at) or "",
                completed_on=_iso(e.completed_on),
            )
        )
    return rows


def _require_self_or_coach(ctx: TenantContext, user_id: int | None, message: str) -> None:
    if ctx.has(Role.COACH):
        return
    if ctx.role == Role.VIEWER or user_id != ctx.user_id:
        raise Forbidden(message)


def enrol(*, session: Session, ctx: TenantContext, course_id: int, user_id: int) -> EnrolmentRow:
    """Enrol a person in a course: coaches enrol anyone, members themselves."""
    _require_self_or_coach(ctx, user_id, "You can enrol yourself only; a coach enrols others.")
    _write(session, ctx)
    course = _get(session, Course, course_id, "That course")
    if course.archived_at is not None:
        raise ValidationFailed("This course is archived: it takes no new enrolments.")
    _require_member(session, user_id, what="person", field="user")
    exists = session.exec(
        select(Enrolment.id).where(Enrolment.course_id == course_id, Enrolment.user_id == user_id)
    ).first()
    if exists is not None:
        raise Conflict("This person is already enrolled in this course.")
    enrolment = Enrolment(org_id=ctx.org_id, course_id=course_id, user_id=user_id)
    session.add(enrolment)
    session.flush()
    return _enrolment_rows(session, [enrolment])[0]


def complete_enrolment(
    *,
    session: Session,
    ctx: TenantContext,
    enrolment_id: int,
    completed_on: date | str | None = None,
) -> EnrolmentRow:
    """Record a completion (today unless given); not in the future."""
    enrolment = _get(session, Enrolment, enrolment_id, "That enrolment")
    _require_self_or_coach(ctx, enrolment.user_id, "You can record your own completions only.")
    _write(session, ctx)
    done = parse_date(completed_on, field="completed_on", what="completion date") or today()
    if done > today():
        raise ValidationFailed("A completion date cannot be in the future.", field="completed_on")
    enrolment.completed_on = done
    session.add(enrolment)
    session.flush()
    row = _enrolment_rows(session, [enrolment])[0]
    audit.record(
        session=session,
        ctx=ctx,
        action="coaching.training_completed",
        target=row.course_name,
        detail=f"{row.user_name} on {done.isoformat()}",
    )
    return row


def list_enrolments(
    *,
    session: Session,
    ctx: TenantContext,
    user_id: int | None = None,
    course_id: int | None = None,
) -> list[EnrolmentRow]:
    """Coaches and viewers see everyone's enrolments; members their own."""
    if not _reads_everything(ctx):
        if user_id is not None and user_id != ctx.user_id:
            raise Forbidden("You can see your own enrolments only.")
        user_id = ctx.user_id
    query = select(Enrolment)
    if user_id is not None:
        query = query.where(Enrolment.user_id == user_id)
    if course_id is not None:
        query = query.where(Enrolment.course_id == course_id)
    return _enrolment_rows(session, session.exec(query.order_by(col(Enrolment.id))).all())


def training_coverage(*, session: Session, ctx: TenantContext) -> list[TeamCoverage]:
    """Per team: members, members who completed at least one course, and per-course counts."""
    teams = session.exec(select(Team).order_by(Team.name)).all()
    members = session.exec(select(TeamMember.team_id, TeamMember.user_id)).all()
    completions = session.exec(
        select(Enrolment.user_id, Enrolment.course_id).where(
            col(Enrolment.completed_on).is_not(None)
        )
    ).all()
    done_by_user: dict[int, set[int]] = defaultdict(set)
    for uid, cid in completions:
        done_by_user[uid].add(cid)
    team_members: dict[int, set[int]] = defaultdict(set)
    for tid, uid in members:
        team_members[tid].add(uid)
    rows = []
    for team in teams:
        assert team.id is not None
        people = team_members.get(team.id, set())
        trained = [u for u in people if done_by_user.get(u)]
        by_course: dict[int, int] = defaultdict(int)
        for u in people:
            for cid in done_by_user.get(u, ()):
                by_course[cid] += 1
        rows.append(
            TeamCoverage(
                team_id=team.id,
                team_name=team.name,
                members=len(people),
                trained=len(trained),
                coverage_percent=round(100 * len(trained) / len(people)) if people else 0,
                completed_by_course=dict(by_course),
            )
        )
    return rows
