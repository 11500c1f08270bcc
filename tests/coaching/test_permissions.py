"""Who may do what with coaching plans, and another organisation sees nothing."""

from __future__ import annotations

import pytest

from pmo_saas.coaching.services.actions import (
    add_action,
    delete_action,
    my_actions,
    set_action_status,
)
from pmo_saas.coaching.services.board import leadership_board, promote_to_portfolio
from pmo_saas.coaching.services.common import today
from pmo_saas.coaching.services.goals import add_goal, delete_goal, update_goal
from pmo_saas.coaching.services.plans import (
    create_plan,
    delete_plan,
    get_plan,
    list_plans,
    update_plan,
)
from pmo_saas.coaching.services.sessions import log_session
from pmo_saas.coaching.services.training import (
    complete_enrolment,
    create_course,
    enrol,
    list_courses,
    list_enrolments,
)
from pmo_saas.db import tenant_session
from pmo_saas.kernel.context import TenantContext
from pmo_saas.kernel.errors import Forbidden, NotFound
from tests.coaching import helpers


def _plans(w: helpers.World) -> tuple[int, int, int, int]:
    """An Alpha plan with actions of Alice and Bob, and a Beta plan with Carol's action."""
    with tenant_session(w.coach) as session:
        alpha = create_plan(session=session, ctx=w.coach, title="Alpha", team_id=w.alpha)
        beta = create_plan(session=session, ctx=w.coach, title="Beta", team_id=w.beta)
        alice_action = add_action(
            session=session,
            ctx=w.coach,
            plan_id=alpha.id,
            title="Alice's",
            owner_user_id=w.alice.user_id,
        ).id
        bob_action = add_action(
            session=session,
            ctx=w.coach,
            plan_id=alpha.id,
            title="Bob's",
            owner_user_id=w.bob.user_id,
        ).id
        add_action(
            session=session,
            ctx=w.coach,
            plan_id=beta.id,
            title="Carol's",
            owner_user_id=w.carol.user_id,
        )
    return alpha.id, beta.id, alice_action, bob_action


def test_members_read_their_teams_plans_and_update_their_own_actions(
    org_a: TenantContext,
) -> None:
    w = helpers.world(org_a)
    alpha, beta, alice_action, bob_action = _plans(w)
    with tenant_session(w.alice) as session:
        assert {p.title for p in list_plans(session=session, ctx=w.alice)} == {"Alpha"}
        plan = get_plan(session=session, ctx=w.alice, plan_id=alpha)
        assert plan.can_manage is False
        assert plan.measurement_visible is False
        with pytest.raises(Forbidden):
            get_plan(session=session, ctx=w.alice, plan_id=beta)
        row = set_action_status(
            session=session, ctx=w.alice, action_id=alice_action, status="doing"
        )
        assert row.status == "doing"
        with pytest.raises(Forbidden, match="your own actions"):
            set_action_status(session=session, ctx=w.alice, action_id=bob_action, status="done")
        assert [a.title for a in my_actions(session=session, ctx=w.alice)] == ["Alice's"]


def test_members_cannot_manage_plans(org_a: TenantContext) -> None:
    w = helpers.world(org_a)
    alpha, _, alice_action, _ = _plans(w)
    with tenant_session(w.alice) as session:
        with pytest.raises(Forbidden, match="coaches and admins"):
            create_plan(session=session, ctx=w.alice, title="Mine", team_id=w.alpha)
        with pytest.raises(Forbidden):
            add_action(
                session=session,
                ctx=w.alice,
                plan_id=alpha,
                title="x",
                owner_user_id=w.alice.user_id,
            )
        with pytest.raises(Forbidden):
            add_goal(session=session, ctx=w.alice, plan_id=alpha, title="g")
        with pytest.raises(Forbidden):
            delete_action(session=session, ctx=w.alice, action_id=alice_action)


def test_viewers_only_read(org_a: TenantContext) -> None:
    w = helpers.world(org_a)
    alpha, beta, alice_action, _ = _plans(w)
    with tenant_session(w.viewer) as session:
        assert {p.title for p in list_plans(session=session, ctx=w.viewer)} == {
            "Alpha",
            "Beta",
        }
        assert get_plan(session=session, ctx=w.viewer, plan_id=beta).title == "Beta"
        with pytest.raises(Forbidden):
            set_action_status(session=session, ctx=w.viewer, action_id=alice_action, status="done")
        with pytest.raises(Forbidden):
            create_plan(session=session, ctx=w.viewer, title="V", team_id=w.alpha)
        with pytest.raises(Forbidden):
            log_session(
                session=session,
                ctx=w.viewer,
                plan_id=alpha,
                held_on=today(),
                attendee_user_ids=[],
            )


def test_coaches_and_admins_manage_plans(org_a: TenantContext) -> None:
    w = helpers.world(org_a)
    admin = helpers.person(org_a, helpers.Role.ADMIN, "Ada Admin")
    alpha, _, alice_action, _ = _plans(w)
    with tenant_session(admin) as session:
        goal = add_goal(session=session, ctx=admin, plan_id=alpha, title="Flow")
        update_goal(
            session=session,
            ctx=admin,
            goal_id=goal.id,
            title="Better flow",
            target_level=4,
            due_date=None,
        )
        row = set_action_status(
            session=session, ctx=admin, action_id=alice_action, status="blocked"
        )
        assert row.status == "blocked"
        update_plan(
            session=session,
            ctx=admin,
            plan_id=alpha,
            title="Alpha 2",
            status="completed",
            coach_user_id=w.coach.user_id,
        )
    with tenant_session(w.coach) as session:
        plan = get_plan(session=session, ctx=w.coach, plan_id=alpha)
    assert (plan.title, plan.status, plan.can_manage) == ("Alpha 2", "completed", True)
    assert plan.goals[0].title == "Better flow" and plan.goals[0].target_level == 4


def test_the_coach_of_a_plan_must_have_the_coach_role(org_a: TenantContext) -> None:
    w = helpers.world(org_a)
    with tenant_session(w.coach) as session, pytest.raises(Exception, match="coach"):
        create_plan(
            session=session,
            ctx=w.coach,
            title="P",
            team_id=w.alpha,
            coach_user_id=w.alice.user_id,
        )


def test_another_organisation_sees_nothing(org_a: TenantContext, org_b: TenantContext) -> None:
    w = helpers.world(org_a)
    alpha, _, alice_action, _ = _plans(w)
    with tenant_session(w.coach) as session:
        goal = add_goal(session=session, ctx=w.coach, plan_id=alpha, title="G")
        course = create_course(session=session, ctx=w.coach, name="Scrum")
        enrolment = enrol(
            session=session, ctx=w.coach, course_id=course.id, user_id=w.alice.user_id or 0
        )
    with tenant_session(org_b) as session:
        assert list_plans(session=session, ctx=org_b) == []
        assert leadership_board(session=session, ctx=org_b) == []
        assert list_courses(session=session, ctx=org_b) == []
        assert list_enrolments(session=session, ctx=org_b) == []
        assert my_actions(session=session, ctx=org_b) == []
        calls = [
            lambda: get_plan(session=session, ctx=org_b, plan_id=alpha),
            lambda: set_action_status(
                session=session, ctx=org_b, action_id=alice_action, status="done"
            ),
            lambda: delete_goal(session=session, ctx=org_b, goal_id=goal.id, confirm=True),
            lambda: add_goal(session=session, ctx=org_b, plan_id=alpha, title="x"),
            lambda: delete_plan(session=session, ctx=org_b, plan_id=alpha, confirm=True),
            lambda: log_session(
                session=session,
                ctx=org_b,
                plan_id=alpha,
                held_on=today(),
                attendee_user_ids=[],
            ),
            lambda: promote_to_portfolio(
                session=session, ctx=org_b, action_id=alice_action, portfolio_id=1
            ),
            lambda: enrol(
                session=session, ctx=org_b, course_id=course.id, user_id=org_b.user_id or 0
            ),
            lambda: complete_enrolment(session=session, ctx=org_b, enrolment_id=enrolment.id),
        ]
        for call in calls:
            with pytest.raises(NotFound):
                call()
        # org_b cannot make org_a's team or people part of its plans either
        with pytest.raises(NotFound):
            create_plan(session=session, ctx=org_b, title="x", team_id=w.alpha)
    with tenant_session(org_b) as session:
        plan = create_plan(session=session, ctx=org_b, title="B's", person_user_id=org_b.user_id)
        with pytest.raises(Exception, match="member of this organisation"):
            add_action(
                session=session,
                ctx=org_b,
                plan_id=plan.id,
                title="x",
                owner_user_id=w.alice.user_id,
            )
    with tenant_session(w.coach) as session:
        assert get_plan(session=session, ctx=w.coach, plan_id=alpha).title == "Alpha"


def test_a_person_reads_their_own_plan(org_a: TenantContext) -> None:
    w = helpers.world(org_a)
    with tenant_session(w.coach) as session:
        plan = create_plan(
            session=session, ctx=w.coach, title="Carol's growth", person_user_id=w.carol.user_id
        )
    with tenant_session(w.carol) as session:
        assert [p.id for p in list_plans(session=session, ctx=w.carol)] == [plan.id]
    with tenant_session(w.alice) as session:
        assert list_plans(session=session, ctx=w.alice) == []
