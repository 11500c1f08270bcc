"""The demo seed: plans from assessment results, sessions, board items and training."""

from __future__ import annotations

from pmo_saas.assessments.demo import seed_demo_assessments
from pmo_saas.coaching.demo import seed_demo_coaching
from pmo_saas.coaching.services.board import leadership_board
from pmo_saas.coaching.services.plans import get_plan, list_plans
from pmo_saas.coaching.services.training import list_courses, training_coverage
from pmo_saas.db import tenant_session
from pmo_saas.kernel.context import TenantContext
from tests.coaching import helpers


def test_demo_coaching_uses_assessment_results(org_a: TenantContext) -> None:
    w = helpers.world(org_a)
    people = [w.alice.user_id or 0, w.bob.user_id or 0, w.carol.user_id or 0]
    with tenant_session(org_a) as session:
        seed_demo_assessments(
            session=session,
            ctx=org_a,
            team_ids=[w.alpha, w.beta],
            respondent_user_ids={w.alpha: people[:2], w.beta: people[2:]},
        )
        seed_demo_coaching(
            session=session,
            ctx=org_a,
            team_ids=[w.alpha, w.beta],
            member_user_ids=people,
            coach_user_id=w.coach.user_id or 0,
        )
        seed_demo_coaching(  # idempotent
            session=session,
            ctx=org_a,
            team_ids=[w.alpha, w.beta],
            member_user_ids=people,
            coach_user_id=w.coach.user_id or 0,
        )
    with tenant_session(w.coach) as session:
        plans = list_plans(session=session, ctx=w.coach)
        assert len(plans) == 3  # two team plans and a leader's plan
        team_plan = next(p for p in plans if p.team_id == w.alpha)
        detail = get_plan(session=session, ctx=w.coach, plan_id=team_plan.id)
        assert detail.source_round_id is not None
        assert detail.goals and all(g.baseline_score is not None for g in detail.goals)
        assert 0 < detail.progress_percent < 100
        assert detail.overdue_actions >= 1
        assert detail.sessions and detail.sessions[0].decisions
        assert leadership_board(session=session, ctx=w.coach)
        assert len(list_courses(session=session, ctx=w.coach)) == 4
        coverage = training_coverage(session=session, ctx=w.coach)
        assert any(c.trained for c in coverage)


def test_demo_coaching_without_rounds(org_a: TenantContext) -> None:
    w = helpers.world(org_a)
    with tenant_session(org_a) as session:
        seed_demo_coaching(
            session=session,
            ctx=org_a,
            team_ids=[w.alpha],
            member_user_ids=[w.alice.user_id or 0],
            coach_user_id=w.coach.user_id or 0,
        )
    with tenant_session(w.coach) as session:
        plan = list_plans(session=session, ctx=w.coach, team_id=w.alpha)[0]
        assert plan.actions_total == 4  # three team actions and one follow-up
