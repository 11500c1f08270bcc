"""Bad input: a missing owner is refused, a past due date warns, deleting a goal asks first."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlmodel import select

from pmo_saas.coaching.models import CoachingAction, CoachingGoal
from pmo_saas.coaching.schemas import ActionInput
from pmo_saas.coaching.services.actions import add_action, set_action_status, update_action
from pmo_saas.coaching.services.common import today
from pmo_saas.coaching.services.goals import ConfirmationRequired, add_goal, delete_goal
from pmo_saas.coaching.services.plans import create_plan, delete_plan, get_plan, list_plans
from pmo_saas.coaching.services.sessions import log_session
from pmo_saas.db import tenant_session
from pmo_saas.identity.models import AuditEvent
from pmo_saas.kernel.context import TenantContext
from pmo_saas.kernel.errors import ValidationFailed
from tests.coaching import helpers


def _plan(w: helpers.World) -> int:
    with tenant_session(w.coach) as session:
        return create_plan(session=session, ctx=w.coach, title="P", team_id=w.alpha).id


def test_a_missing_owner_is_refused(org_a: TenantContext) -> None:
    w = helpers.world(org_a)
    plan_id = _plan(w)
    with tenant_session(w.coach) as session:
        with pytest.raises(ValidationFailed, match="Choose the owner") as error:
            add_action(session=session, ctx=w.coach, plan_id=plan_id, title="x", owner_user_id=None)
        assert error.value.field == "owner"
        with pytest.raises(ValidationFailed, match="Choose the owner"):
            log_session(
                session=session,
                ctx=w.coach,
                plan_id=plan_id,
                held_on=today(),
                attendee_user_ids=[w.alice.user_id or 0],
                follow_ups=[ActionInput(title="follow-up", owner_user_id=None)],
            )
    with tenant_session(w.coach) as session:
        # nothing half-written: neither the action nor the session with the bad follow-up
        assert session.exec(select(CoachingAction)).all() == []
        assert get_plan(session=session, ctx=w.coach, plan_id=plan_id).sessions == []


def test_a_past_due_date_warns_but_saves(org_a: TenantContext) -> None:
    w = helpers.world(org_a)
    plan_id = _plan(w)
    yesterday = today() - timedelta(days=1)
    with tenant_session(w.coach) as session:
        action = add_action(
            session=session,
            ctx=w.coach,
            plan_id=plan_id,
            title="Late",
            owner_user_id=w.alice.user_id,
            due_date=yesterday,
        )
        goal = add_goal(
            session=session, ctx=w.coach, plan_id=plan_id, title="G", due_date=yesterday
        )
        fine = add_action(
            session=session,
            ctx=w.coach,
            plan_id=plan_id,
            title="Fine",
            owner_user_id=w.alice.user_id,
            due_date=today(),
        )
    assert action.overdue is True
    assert len(action.warnings) == 1 and "in the past" in action.warnings[0]
    assert goal.warnings and "in the past" in goal.warnings[0]
    assert fine.warnings == [] and fine.overdue is False
    with tenant_session(w.coach) as session:
        assert session.get(CoachingAction, action.id) is not None


def test_other_bad_input_gets_clear_messages(org_a: TenantContext) -> None:
    w = helpers.world(org_a)
    plan_id = _plan(w)
    with tenant_session(w.coach) as session:
        with pytest.raises(ValidationFailed, match="not a date"):
            add_action(
                session=session,
                ctx=w.coach,
                plan_id=plan_id,
                title="x",
                owner_user_id=w.alice.user_id,
                due_date="31/12/2026",
            )
        with pytest.raises(ValidationFailed, match="Enter a"):
            add_action(
                session=session,
                ctx=w.coach,
                plan_id=plan_id,
                title="  ",
                owner_user_id=w.alice.user_id,
            )
        with pytest.raises(ValidationFailed, match="target maturity level"):
            add_goal(session=session, ctx=w.coach, plan_id=plan_id, title="g", target_level=0)
        with pytest.raises(ValidationFailed, match="one team or for one person"):
            create_plan(session=session, ctx=w.coach, title="x")
        with pytest.raises(ValidationFailed, match="status"):
            set_action_status(
                session=session,
                ctx=w.coach,
                action_id=add_action(
                    session=session,
                    ctx=w.coach,
                    plan_id=plan_id,
                    title="ok",
                    owner_user_id=w.alice.user_id,
                ).id,
                status="finished",
            )
        with pytest.raises(ValidationFailed, match="took place"):
            log_session(
                session=session,
                ctx=w.coach,
                plan_id=plan_id,
                held_on=today() + timedelta(days=1),
                attendee_user_ids=[],
            )


def test_deleting_a_goal_with_actions_asks_first_and_is_audited(org_a: TenantContext) -> None:
    w = helpers.world(org_a)
    plan_id = _plan(w)
    with tenant_session(w.coach) as session:
        goal = add_goal(session=session, ctx=w.coach, plan_id=plan_id, title="Flow")
        add_action(
            session=session,
            ctx=w.coach,
            plan_id=plan_id,
            goal_id=goal.id,
            title="Limit WIP",
            owner_user_id=w.alice.user_id,
        )
        empty = add_goal(session=session, ctx=w.coach, plan_id=plan_id, title="Empty")
    with (
        tenant_session(w.coach) as session,
        pytest.raises(ConfirmationRequired, match="confirm"),
    ):
        delete_goal(session=session, ctx=w.coach, goal_id=goal.id)
    with tenant_session(w.coach) as session:
        assert session.get(CoachingGoal, goal.id) is not None
        delete_goal(session=session, ctx=w.coach, goal_id=goal.id, confirm=True)
        delete_goal(session=session, ctx=w.coach, goal_id=empty.id)  # no actions
    with tenant_session(w.coach) as session:
        assert session.get(CoachingGoal, goal.id) is None
        assert session.exec(select(CoachingAction)).all() == []
        events = session.exec(
            select(AuditEvent).where(AuditEvent.action == "coaching.goal_deleted")
        ).all()
    assert {e.target for e in events} == {"Flow", "Empty"}
    flow = next(e for e in events if e.target == "Flow")
    assert "1 action(s) deleted" in flow.detail and "Limit WIP" in flow.detail
    assert flow.actor_id == w.coach.user_id


def test_deleting_a_plan_with_actions_asks_first(org_a: TenantContext) -> None:
    w = helpers.world(org_a)
    plan_id = _plan(w)
    with tenant_session(w.coach) as session:
        add_action(
            session=session,
            ctx=w.coach,
            plan_id=plan_id,
            title="a",
            owner_user_id=w.alice.user_id,
        )
    with (
        tenant_session(w.coach) as session,
        pytest.raises(ConfirmationRequired, match="confirm"),
    ):
        delete_plan(session=session, ctx=w.coach, plan_id=plan_id)
    with tenant_session(w.coach) as session:
        delete_plan(session=session, ctx=w.coach, plan_id=plan_id, confirm=True)
    with tenant_session(w.coach) as session:
        assert list_plans(session=session, ctx=w.coach) == []
        assert (
            session.exec(select(AuditEvent).where(AuditEvent.action == "coaching.plan_deleted"))
            .one()
            .target
            == "P"
        )


def test_editing_an_action_revalidates_and_goals_turn_overdue(org_a: TenantContext) -> None:
    w = helpers.world(org_a)
    plan_id = _plan(w)
    last_week = today() - timedelta(days=7)
    with tenant_session(w.coach) as session:
        goal = add_goal(
            session=session, ctx=w.coach, plan_id=plan_id, title="G", due_date=last_week
        )
        action = add_action(
            session=session,
            ctx=w.coach,
            plan_id=plan_id,
            goal_id=goal.id,
            title="a",
            owner_user_id=w.alice.user_id,
        )
        with pytest.raises(ValidationFailed, match="Choose the owner"):
            update_action(
                session=session,
                ctx=w.coach,
                action_id=action.id,
                title="a",
                owner_user_id=None,
                due_date=None,
                goal_id=goal.id,
                scope="team",
            )
        edited = update_action(
            session=session,
            ctx=w.coach,
            action_id=action.id,
            title="b",
            owner_user_id=w.bob.user_id,
            due_date=last_week,
            goal_id=goal.id,
            scope="team",
        )
        assert (edited.title, edited.owner_name, edited.overdue) == ("b", "Bob", True)
        assert edited.warnings
        detail = get_plan(session=session, ctx=w.coach, plan_id=plan_id)
        assert detail.goals[0].overdue is True
        set_action_status(session=session, ctx=w.coach, action_id=action.id, status="done")
        detail = get_plan(session=session, ctx=w.coach, plan_id=plan_id)
        assert detail.goals[0].overdue is False  # every action done
        assert detail.progress_percent == 100
