"""Plans from assessment results, the measured change per goal, progress and filters."""

from __future__ import annotations

from datetime import timedelta

import pytest

from pmo_saas.assessments.services import rounds as assessment_rounds
from pmo_saas.coaching.services import common
from pmo_saas.coaching.services.actions import add_action, set_action_status
from pmo_saas.coaching.services.goals import suggested_target
from pmo_saas.coaching.services.plans import (
    create_plan,
    create_plan_from_round,
    get_plan,
    list_plans,
    update_plan,
)
from pmo_saas.db import tenant_session
from pmo_saas.kernel.context import TenantContext
from pmo_saas.kernel.errors import ValidationFailed
from pmo_saas.kernel.roles import Role
from tests.coaching import helpers

ROUND_1 = {
    "alice": {"F1": 2, "F2": 2, "Q1": 3, "T1": 4},
    "bob": {"F1": 2, "F2": 3, "Q1": 2, "T1": 4},
}
ROUND_2 = {
    "alice": {"F1": 3, "F2": 4, "Q1": 3, "T1": 4},
    "bob": {"F1": 3, "F2": 3, "Q1": 3, "T1": 5},
}


def _answers(w: helpers.World, ratings: dict[str, dict[str, int]]) -> dict[int, dict[str, int]]:
    assert w.alice.user_id is not None and w.bob.user_id is not None
    return {w.alice.user_id: ratings["alice"], w.bob.user_id: ratings["bob"]}


def _first_round(w: helpers.World) -> tuple[int, int]:
    model_id = helpers.model(w.coach)
    round_id = helpers.answered_round(
        w.coach,
        model_id,
        w.alpha,
        _answers(w, ROUND_1),
        people=[w.alice, w.bob],
        title="Baseline",
        focus=("flow", "quality"),
    )
    return model_id, round_id


def test_plan_from_closed_round_prefills_goals(org_a: TenantContext) -> None:
    w = helpers.world(org_a)
    _, round_id = _first_round(w)
    with tenant_session(w.coach) as session:
        plan = create_plan_from_round(
            session=session, ctx=w.coach, round_id=round_id, team_id=w.alpha
        )
    assert plan.team_name == "Alpha"
    assert plan.coach_user_id == w.coach.user_id
    assert plan.source_round_id == round_id
    assert plan.source_round_title == "Baseline"
    goals = {g.dimension_key: g for g in plan.goals}
    assert set(goals) == {"flow", "quality"}  # the focus dimensions, not teamwork
    assert goals["flow"].baseline_score == pytest.approx(2.25)
    assert goals["flow"].target_level == 3
    assert goals["quality"].baseline_score == pytest.approx(2.5)
    assert goals["quality"].target_level == 3
    assert goals["flow"].title == "Raise Flow to level 3"
    # no later round yet: nothing measured
    assert plan.measured_round_id is None
    assert all(g.measured_change is None for g in plan.goals)


def test_after_the_next_round_the_plan_shows_the_measured_change(org_a: TenantContext) -> None:
    w = helpers.world(org_a)
    model_id, round_id = _first_round(w)
    with tenant_session(w.coach) as session:
        plan_id = create_plan_from_round(
            session=session, ctx=w.coach, round_id=round_id, team_id=w.alpha
        ).id
    # an open second round does not count yet
    second = helpers.answered_round(
        w.coach,
        model_id,
        w.alpha,
        _answers(w, ROUND_2),
        people=[w.alice, w.bob],
        title="Follow-up",
        close=False,
    )
    with tenant_session(w.coach) as session:
        assert get_plan(session=session, ctx=w.coach, plan_id=plan_id).measured_round_id is None
        assessment_rounds.close_round(session=session, ctx=w.coach, round_id=second)
    with tenant_session(w.coach) as session:
        plan = get_plan(session=session, ctx=w.coach, plan_id=plan_id)
    assert plan.measured_round_id == second
    assert plan.measured_round_title == "Follow-up"
    goals = {g.dimension_key: g for g in plan.goals}
    assert goals["flow"].measured_score == pytest.approx(3.25)
    assert goals["flow"].measured_change == pytest.approx(1.0)
    assert goals["flow"].target_reached is True
    assert goals["quality"].measured_score == pytest.approx(3.0)
    assert goals["quality"].measured_change == pytest.approx(0.5)
    assert goals["quality"].target_reached is True


def test_a_plan_needs_a_closed_round_with_focus_dimensions(org_a: TenantContext) -> None:
    w = helpers.world(org_a)
    model_id = helpers.model(w.coach)
    open_round = helpers.answered_round(
        w.coach,
        model_id,
        w.alpha,
        _answers(w, ROUND_1),
        people=[w.alice],
        title="Open",
        close=False,
    )
    with tenant_session(w.coach) as session, pytest.raises(ValidationFailed, match="closed"):
        create_plan_from_round(session=session, ctx=w.coach, round_id=open_round, team_id=w.alpha)
    with tenant_session(w.coach) as session:
        assessment_rounds.close_round(session=session, ctx=w.coach, round_id=open_round)
    with tenant_session(w.coach) as session, pytest.raises(ValidationFailed, match="focus"):
        create_plan_from_round(session=session, ctx=w.coach, round_id=open_round, team_id=w.alpha)


def test_suggested_target_is_the_next_level() -> None:
    assert suggested_target(2.25) == 3
    assert suggested_target(3.0) == 4
    assert suggested_target(4.8) == 5
    assert suggested_target(5.0) == 5
    assert suggested_target(None) == 3


def test_progress_is_the_share_of_actions_done_and_filters_work(org_a: TenantContext) -> None:
    w = helpers.world(org_a)
    other_coach = helpers.person(org_a, Role.COACH, "Otto")
    today = common.today()
    with tenant_session(w.coach) as session:
        alpha = create_plan(session=session, ctx=w.coach, title="Alpha plan", team_id=w.alpha)
        beta = create_plan(
            session=session,
            ctx=w.coach,
            title="Beta plan",
            team_id=w.beta,
            coach_user_id=other_coach.user_id,
        )
        leader = create_plan(
            session=session, ctx=w.coach, title="Leader", person_user_id=w.owner.user_id
        )
        ids = [
            add_action(
                session=session,
                ctx=w.coach,
                plan_id=alpha.id,
                title=f"A{i}",
                owner_user_id=w.alice.user_id,
                due_date=today + timedelta(days=5),
            ).id
            for i in range(4)
        ]
        add_action(
            session=session,
            ctx=w.coach,
            plan_id=beta.id,
            title="Late",
            owner_user_id=w.carol.user_id,
            due_date=today - timedelta(days=2),
        )
        for action_id in ids[:3]:
            set_action_status(session=session, ctx=w.coach, action_id=action_id, status="done")
        update_plan(
            session=session,
            ctx=w.coach,
            plan_id=leader.id,
            title="Leader",
            status="on_hold",
            coach_user_id=w.coach.user_id,
        )
    with tenant_session(w.coach) as session:
        rows = {r.title: r for r in list_plans(session=session, ctx=w.coach)}
        assert rows["Alpha plan"].progress_percent == 75
        assert (rows["Alpha plan"].actions_done, rows["Alpha plan"].actions_total) == (3, 4)
        assert rows["Beta plan"].overdue_actions == 1
        assert rows["Leader"].progress_percent == 0
        assert rows["Leader"].person_name == "Org A Owner"

        def titles(**filters: object) -> set[str]:
            return {r.title for r in list_plans(session=session, ctx=w.coach, **filters)}  # type: ignore[arg-type]

        assert titles(team_id=w.alpha) == {"Alpha plan"}
        assert titles(coach_user_id=other_coach.user_id) == {"Beta plan"}
        assert titles(status="on_hold") == {"Leader"}
        assert titles(overdue_only=True) == {"Beta plan"}
        detail = get_plan(session=session, ctx=w.coach, plan_id=beta.id)
        assert detail.loose_actions[0].overdue is True
