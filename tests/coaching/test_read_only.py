"""A read-only workspace (invoice overdue past the grace period): plans read, nothing writes."""

from __future__ import annotations

import pytest

from pmo_saas.coaching.services.actions import add_action, set_action_status
from pmo_saas.coaching.services.common import today
from pmo_saas.coaching.services.goals import add_goal, delete_goal
from pmo_saas.coaching.services.plans import create_plan, get_plan
from pmo_saas.coaching.services.sessions import log_session
from pmo_saas.coaching.services.training import create_course, enrol
from pmo_saas.db import tenant_session
from pmo_saas.kernel.context import TenantContext
from pmo_saas.kernel.errors import ReadOnly
from tests import factories
from tests.coaching import helpers


def test_every_write_is_refused_in_a_read_only_workspace(
    org_a: TenantContext, billing_on: None
) -> None:
    w = helpers.world(org_a)
    with tenant_session(w.coach) as session:
        plan = create_plan(session=session, ctx=w.coach, title="P", team_id=w.alpha)
        goal = add_goal(session=session, ctx=w.coach, plan_id=plan.id, title="G")
        action = add_action(
            session=session,
            ctx=w.coach,
            plan_id=plan.id,
            title="a",
            owner_user_id=w.alice.user_id,
        )
        course = create_course(session=session, ctx=w.coach, name="Scrum")
    with tenant_session(org_a) as session:
        factories.lapse_subscription(org_a, session)
    writes = [
        (
            w.coach,
            lambda s: create_plan(session=s, ctx=w.coach, title="Q", team_id=w.beta),
        ),
        (w.coach, lambda s: add_goal(session=s, ctx=w.coach, plan_id=plan.id, title="H")),
        (w.coach, lambda s: delete_goal(session=s, ctx=w.coach, goal_id=goal.id)),
        (
            w.alice,
            lambda s: set_action_status(session=s, ctx=w.alice, action_id=action.id, status="done"),
        ),
        (
            w.coach,
            lambda s: log_session(
                session=s,
                ctx=w.coach,
                plan_id=plan.id,
                held_on=today(),
                attendee_user_ids=[],
            ),
        ),
        (
            w.alice,
            lambda s: enrol(
                session=s, ctx=w.alice, course_id=course.id, user_id=w.alice.user_id or 0
            ),
        ),
    ]
    for who, write in writes:
        with tenant_session(who) as session, pytest.raises(ReadOnly):
            write(session)
    with tenant_session(w.alice) as session:
        detail = get_plan(session=session, ctx=w.alice, plan_id=plan.id)
    assert detail.actions_total == 1 and detail.goals[0].title == "G"
