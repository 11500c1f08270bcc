"""Demo data: team plans (from assessment results when rounds exist), a leader's plan, a
coaching session log, organisational items on the leadership board and training records."""

from __future__ import annotations

from datetime import timedelta

from sqlmodel import Session, select

from pmo_saas.assessments.services import results as assessment_results
from pmo_saas.coaching.models import (
    ACTION_DOING,
    ACTION_DONE,
    SCOPE_ORGANISATION,
    CoachingPlan,
    Course,
)
from pmo_saas.coaching.schemas import ActionInput, PlanDetail
from pmo_saas.coaching.services.actions import add_action, set_action_status
from pmo_saas.coaching.services.common import today
from pmo_saas.coaching.services.goals import add_goal
from pmo_saas.coaching.services.plans import create_plan, create_plan_from_round
from pmo_saas.coaching.services.sessions import log_session
from pmo_saas.coaching.services.training import complete_enrolment, create_course, enrol
from pmo_saas.identity.models import Team, TeamMember
from pmo_saas.kernel.context import TenantContext
from pmo_saas.kernel.errors import ValidationFailed
from pmo_saas.kernel.roles import Role

COURSES = (
    ("Scrum fundamentals", "beginner", 14.0, "Scrum.org"),
    ("Kanban system design", "intermediate", 16.0, "Kanban University"),
    ("Agile leadership", "advanced", 21.0, "Agile Leadership Academy"),
    ("User story mapping", "beginner", 4.0, "In-house"),
)
TEAM_ACTIONS = (
    ("Run a retrospective focused on this goal", ACTION_DONE, -20),
    ("Make the working agreement visible on the board", ACTION_DOING, 10),
    ("Pair with another team to compare practices", "todo", -3),  # overdue on purpose
)
ORG_ITEMS = (
    "Give teams a stable budget for technical improvement",
    "Reduce approval steps for production releases",
)


def _as_coach(ctx: TenantContext) -> TenantContext:
    if ctx.has(Role.COACH):
        return ctx
    return TenantContext(org_id=ctx.org_id, user_id=ctx.user_id, role=Role.COACH)


def seed_demo_coaching(
    *,
    session: Session,
    ctx: TenantContext,
    team_ids: list[int],
    member_user_ids: list[int],
    coach_user_id: int,
) -> None:
    """Plans, sessions and training records for the demo organisation (idempotent)."""
    if session.exec(select(CoachingPlan.id)).first() is not None:
        return
    ctx = _as_coach(ctx)
    on = today()
    people = list(dict.fromkeys(member_user_ids)) or [coach_user_id]

    for index, team_id in enumerate(team_ids):
        team = session.get(Team, team_id)
        if team is None:
            continue
        members = [
            u
            for u in session.exec(select(TeamMember.user_id).where(TeamMember.team_id == team_id))
            if u in people
        ] or people
        plan = _team_plan(session, ctx, team_id, team.name, coach_user_id)
        goals = plan.goals or [
            add_goal(
                session=session,
                ctx=ctx,
                plan_id=plan.id,
                title="Deliver in smaller batches",
                target_level=3,
                due_date=on + timedelta(days=90),
            )
        ]
        for g, goal in enumerate(goals):
            for a, (title, status, due_in) in enumerate(TEAM_ACTIONS):
                action = add_action(
                    session=session,
                    ctx=ctx,
                    plan_id=plan.id,
                    goal_id=goal.id,
                    title=f"{title} ({goal.dimension_name or goal.title})"[:200],
                    owner_user_id=members[(g + a) % len(members)],
                    due_date=on + timedelta(days=due_in),
                )
                if status != "todo":
                    set_action_status(session=session, ctx=ctx, action_id=action.id, status=status)
        log_session(
            session=session,
            ctx=ctx,
            plan_id=plan.id,
            held_on=on - timedelta(days=7),
            attendee_user_ids=[coach_user_id, *members],
            notes=f"Walked through {team.name}'s assessment result and chose the focus.",
            decisions="Work on one goal at a time; review progress every two weeks.",
            follow_ups=[
                ActionInput(
                    title=ORG_ITEMS[index % len(ORG_ITEMS)],
                    owner_user_id=ctx.user_id or coach_user_id,
                    due_date=(on + timedelta(days=30)).isoformat(),
                    scope=SCOPE_ORGANISATION,
                )
            ],
        )

    if ctx.user_id is not None:
        leader = create_plan(
            session=session,
            ctx=ctx,
            title="Leadership coaching: servant leadership",
            person_user_id=ctx.user_id,
            coach_user_id=coach_user_id,
        )
        goal = add_goal(
            session=session,
            ctx=ctx,
            plan_id=leader.id,
            title="Delegate release decisions to the teams",
            target_level=4,
            due_date=on + timedelta(days=120),
        )
        add_action(
            session=session,
            ctx=ctx,
            plan_id=leader.id,
            goal_id=goal.id,
            title="Agree decision boundaries with each product owner",
            owner_user_id=ctx.user_id,
            due_date=on + timedelta(days=21),
        )

    _seed_training(session, ctx, people)


def _team_plan(
    session: Session,
    ctx: TenantContext,
    team_id: int,
    team_name: str,
    coach_user_id: int,
) -> PlanDetail:
    latest = assessment_results.latest_closed_round_for_team(
        session=session, ctx=ctx, team_id=team_id
    )
    if latest is not None:
        try:
            return create_plan_from_round(
                session=session,
                ctx=ctx,
                round_id=latest.id,
                team_id=team_id,
                coach_user_id=coach_user_id,
                goal_due_date=today() + timedelta(days=90),
            )
        except ValidationFailed:
            pass  # no focus dimensions marked: start an empty plan instead
    return create_plan(
        session=session,
        ctx=ctx,
        title=f"{team_name}: growth plan",
        team_id=team_id,
        coach_user_id=coach_user_id,
    )


def _seed_training(session: Session, ctx: TenantContext, people: list[int]) -> None:
    if session.exec(select(Course.id)).first() is not None:
        return
    courses = [
        create_course(
            session=session,
            ctx=ctx,
            name=name,
            level=level,
            duration_hours=hours,
            provider=provider,
        )
        for name, level, hours, provider in COURSES
    ]
    for p, user_id in enumerate(people):
        for c, course in enumerate(courses):
            if (p + c) % 3 == 2:
                continue
            enrolment = enrol(session=session, ctx=ctx, course_id=course.id, user_id=user_id)
            if (p + c) % 2 == 0:
                complete_enrolment(
                    session=session,
                    ctx=ctx,
                    enrolment_id=enrolment.id,
                    completed_on=today() - timedelta(days=10 + 7 * c),
                )
