"""Coaching plans (pages/plans.py lists and creates them, pages/plan.py shows one): for a team
or a person, started blank or from a closed assessment round (goals then carry the
dimension's baseline, and the team's next round measures the change).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from datetime import date

from sqlalchemy import case, func
from sqlmodel import Session, col, select

from pmo_saas.assessments.schemas import RoundSummary
from pmo_saas.assessments.services import results as assessment_results
from pmo_saas.coaching import portfolio_link
from pmo_saas.coaching.models import (
    ACTION_DONE,
    PLAN_STATUSES,
    CoachingAction,
    CoachingGoal,
    CoachingPlan,
)
from pmo_saas.coaching.schemas import (
    ActionRow,
    PlanDetail,
    PlanRow,
)
from pmo_saas.coaching.services.common import (
    _action_rows,
    _fits_id,
    _get,
    _member_role,
    _names,
    _past_due_warning,
    _plan,
    _promoted_action_ids,
    _readable_plan,
    _readable_plan_ids,
    _require_manage,
    _require_member,
    _team_names,
    _touch,
    parse_date,
    today,
)
from pmo_saas.coaching.services.goals import ConfirmationRequired, _goal_row, suggested_target
from pmo_saas.coaching.services.sessions import _session_rows
from pmo_saas.identity import audit
from pmo_saas.identity.models import Team
from pmo_saas.identity.services import clean_name
from pmo_saas.kernel.context import TenantContext
from pmo_saas.kernel.errors import ValidationFailed
from pmo_saas.kernel.roles import Role, at_least


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
    found = assessment_results.latest_closed_round_for_team(
        session=session, ctx=ctx, team_id=team_id
    )
    while found is not None and found.id != round_id:
        found = assessment_results.latest_closed_round_for_team(
            session=session, ctx=ctx, team_id=team_id, before_round_id=found.id
        )
    if found is None:
        # Raises NotFound for a round of another organisation or one the team was not in.
        assessment_results.focus_dimensions(
            session=session, ctx=ctx, round_id=round_id, team_id=team_id
        )
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
    summary = _closed_round(session, ctx, round_id=round_id, team_id=team_id)
    focus = assessment_results.focus_dimensions(
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
    plan = _plan(session, plan_id)
    if status not in PLAN_STATUSES:
        raise ValidationFailed("Choose a status: active, on hold or completed.", field="status")
    changed = []
    if status != plan.status:
        changed.append(f"status {plan.status} -> {status}")
    title = clean_name(title, what="plan title", max_length=160)
    if title != plan.title and (promoted := _promoted_action_ids(session, plan_id=plan_id)):
        team = _team_names(session, [plan.team_id]).get(plan.team_id or 0, "")
        portfolio_link.plan_renamed(
            session=session,
            ctx=ctx,
            action_ids=promoted,
            origin=portfolio_link.origin_title(title, team),
        )
    plan.title = title
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
    portfolio_link.actions_deleted(
        session=session, ctx=ctx, action_ids=_promoted_action_ids(session, plan_id=plan_id)
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
    if not (_fits_id(team_id) and _fits_id(coach_user_id)):
        return []  # no row has an id beyond the column
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
    latest = assessment_results.latest_closed_round_for_team(
        session=session, ctx=ctx, team_id=plan.team_id, model_id=plan.source_model_id
    )
    if latest is None or latest.id == plan.source_round_id:
        return None, {}
    scores = assessment_results.team_dimension_scores(
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
