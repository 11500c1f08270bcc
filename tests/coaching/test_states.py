"""The coaching pages' states enforce roles and tenancy on the server, whatever the page shows.

Each handler runs as the websocket would run it: a state tree whose router carries the
browser's session cookie and the page URL (tests/state_harness.py).
"""

from __future__ import annotations

from sqlalchemy import func
from sqlmodel import select

from pmo_saas.coaching.models import CoachingAction, CoachingGoal, CoachingSession, Course
from pmo_saas.coaching.pages.board import BoardState
from pmo_saas.coaching.pages.mine import MyActionsState
from pmo_saas.coaching.pages.plan import PlanState
from pmo_saas.coaching.pages.plans import PlansState
from pmo_saas.coaching.pages.training import TrainingState
from pmo_saas.db import system_session, tenant_session
from pmo_saas.identity import services as identity
from pmo_saas.kernel.context import TenantContext
from pmo_saas.practices.services import adoption, playbook
from tests.coaching import helpers
from tests.coaching.test_permissions import _plans
from tests.state_harness import run, state_for


def _count(model) -> int:  # type: ignore[no-untyped-def]
    with system_session() as session:
        return session.exec(select(func.count()).select_from(model)).one()


def _status(action_id: int) -> str:
    with system_session() as session:
        action = session.get(CoachingAction, action_id)
        assert action is not None
        return action.status


def _token(ctx: TenantContext) -> str:
    assert ctx.user_id is not None
    return identity.start_session(user_id=ctx.user_id)


def test_members_update_only_their_own_actions(org_a: TenantContext) -> None:
    w = helpers.world(org_a)
    alpha, beta, alice_action, bob_action = _plans(w)
    token = _token(w.alice)
    path = f"/o/{org_a.org_slug}/coaching/plans/{alpha}"

    async def scenario() -> None:
        plan = await state_for(PlanState, token=token, path=path)
        await plan.load()
        assert plan.error == "" and plan.title == "Alpha"
        assert plan.can_manage is False and plan.people == []
        await plan.set_status(bob_action, "done")
        assert "your own actions" in plan.error
        await plan.set_status(alice_action, "done")
        assert plan.error == "" and plan.actions_done == 1
        await plan.add_action(
            {"action_title": "Sneaky", "action_owner": str(w.alice.user_id), "action_scope": "team"}
        )
        assert plan.error == "Only coaches and admins can change coaching plans."
        mine = await state_for(
            MyActionsState, token=token, path=f"/o/{org_a.org_slug}/coaching/mine"
        )
        await mine.load()
        assert [a.title for a in mine.actions] == []  # her only action is done
        await mine.toggle_done(True)
        assert [a.title for a in mine.actions] == ["Alice's"]
        await mine.set_status(bob_action, "blocked")
        assert "your own actions" in mine.error
        # Another team's plan is not hers to read.
        other = await state_for(
            PlanState, token=token, path=f"/o/{org_a.org_slug}/coaching/plans/{beta}"
        )
        await other.load()
        assert "your own teams" in other.error and other.goals == [] and other.title == ""

    run(scenario())
    assert _status(alice_action) == "done"
    assert _status(bob_action) == "todo"
    assert _count(CoachingAction) == 3


def test_viewers_only_read(org_a: TenantContext) -> None:
    w = helpers.world(org_a)
    alpha, _beta, alice_action, _bob_action = _plans(w)
    token = _token(w.viewer)
    slug = org_a.org_slug

    async def scenario() -> None:
        plans = await state_for(PlansState, token=token, path=f"/o/{slug}/coaching")
        await plans.load()
        assert {p.title for p in plans.plans} == {"Alpha", "Beta"}
        assert plans.rounds == []
        await plans.create_empty({"plan_title": "Mine", "plan_team": str(w.alpha)})
        assert plans.error == "Only coaches and admins can change coaching plans."

        plan = await state_for(PlanState, token=token, path=f"/o/{slug}/coaching/plans/{alpha}")
        await plan.load()
        assert plan.title == "Alpha" and plan.can_manage is False
        await plan.set_status(alice_action, "done")
        assert "your own actions" in plan.error
        await plan.add_goal({"goal_title": "Mine"})
        assert "Only coaches" in plan.error
        await plan.log_session({"held_on": "2026-01-05", "notes": "x"})
        assert "Only coaches" in plan.error

        board = await state_for(BoardState, token=token, path=f"/o/{slug}/coaching/board")
        await board.load()
        assert board.error == "" and board.portfolios == []
        await board.promote({"action_id": str(alice_action), "portfolio": "1"})
        assert board.error != ""

        training = await state_for(TrainingState, token=token, path=f"/o/{slug}/coaching/training")
        await training.load()
        assert training.error == "" and training.can_manage is False
        await training.create_course(
            {"course_name": "Scrum", "course_level": "beginner", "course_hours": "8"}
        )
        assert "Only coaches" in training.error

    run(scenario())
    assert _status(alice_action) == "todo"
    assert _count(CoachingGoal) == 0
    assert _count(CoachingSession) == 0
    assert _count(Course) == 0
    assert _count(CoachingAction) == 3


def test_another_organisation_sees_nothing(org_a: TenantContext, org_b: TenantContext) -> None:
    w = helpers.world(org_a)
    alpha, _beta, alice_action, _bob_action = _plans(w)
    token = _token(org_b)

    async def scenario() -> None:
        # Through org A's address: not a member, so the organisation is not found.
        plan = await state_for(
            PlanState, token=token, path=f"/o/{org_a.org_slug}/coaching/plans/{alpha}"
        )
        await plan.load()
        assert plan.error == "That organisation was not found."
        assert plan.title == "" and plan.goals == []
        plans = await state_for(PlansState, token=token, path=f"/o/{org_a.org_slug}/coaching")
        await plans.load()
        assert plans.error == "That organisation was not found." and plans.plans == []
        # Through its own address with org A's ids: the same "not found" as a missing row.
        own = f"/o/{org_b.org_slug}/coaching/plans/{alpha}"
        plan = await state_for(PlanState, token=token, path=own)
        await plan.load()
        assert plan.error == "That coaching plan was not found."
        await plan.set_status(alice_action, "done")
        assert plan.error == "That action was not found."
        await plan.delete_goal(1)
        assert "not found" in plan.error
        board = await state_for(BoardState, token=token, path=f"/o/{org_b.org_slug}/coaching/board")
        await board.load()
        assert board.items == []
        plans = await state_for(PlansState, token=token, path=f"/o/{org_b.org_slug}/coaching")
        await plans.load()
        assert plans.plans == []

    run(scenario())
    assert _status(alice_action) == "todo"


def test_deleting_a_goal_with_actions_asks_first(org_a: TenantContext) -> None:
    w = helpers.world(org_a)
    alpha, _beta, _alice_action, _bob_action = _plans(w)
    token = _token(w.coach)
    path = f"/o/{org_a.org_slug}/coaching/plans/{alpha}"

    async def scenario() -> None:
        plan = await state_for(PlanState, token=token, path=path)
        await plan.load()
        await plan.add_goal({"goal_title": "Faster reviews", "goal_target": "3"})
        assert plan.error == ""
        goal = plan.goals[-1].id
        await plan.add_action(
            {
                "action_title": "Review within a day",
                "action_owner": str(w.bob.user_id),
                "action_goal": str(goal),
                "action_scope": "team",
                "action_due": "2020-01-01",
            }
        )
        assert plan.error == "" and "in the past" in plan.warning
        await plan.add_action({"action_title": "No owner", "action_scope": "team"})
        assert plan.error == "Choose the owner."
        await plan.delete_goal(goal)
        assert "1 action(s)" in plan.confirm_message and plan.confirm_goal_id == goal
        assert _count(CoachingGoal) == 1
        plan.cancel_delete_goal()
        assert plan.confirm_goal_id == 0
        await plan.delete_goal(goal)
        await plan.confirm_delete_goal()
        assert plan.error == "" and plan.goals == []

    run(scenario())
    assert _count(CoachingGoal) == 0
    assert _count(CoachingAction) == 3


def test_coach_edits_an_action_and_filters_the_plan_list(org_a: TenantContext) -> None:
    w = helpers.world(org_a)
    alpha, _beta, alice_action, _bob_action = _plans(w)
    token = _token(w.coach)
    slug = org_a.org_slug

    async def scenario() -> None:
        plan = await state_for(PlanState, token=token, path=f"/o/{slug}/coaching/plans/{alpha}")
        await plan.load()
        plan.start_edit(alice_action)
        assert plan.edit_id == alice_action and plan.edit_owner == str(w.alice.user_id)
        await plan.save_action(
            {"edit_title": "Alice's", "edit_owner": "", "edit_scope": "organisation"}
        )
        assert plan.error == "Choose the owner." and plan.edit_id == alice_action
        await plan.save_action(
            {
                "edit_title": "Ask for a test environment",
                "edit_owner": str(w.bob.user_id),
                "edit_due": "2020-02-01",
                "edit_scope": "organisation",
            }
        )
        assert plan.error == "" and plan.edit_id == 0 and "in the past" in plan.warning
        edited = next(a for a in plan.loose_actions if a.id == alice_action)
        assert (edited.title, edited.owner_name, edited.scope) == (
            "Ask for a test environment",
            "Bob",
            "organisation",
        )
        assert edited.overdue and plan.overdue_actions == 1

        plans = await state_for(PlansState, token=token, path=f"/o/{slug}/coaching")
        await plans.load()
        assert {p.title for p in plans.plans} == {"Alpha", "Beta"}
        await plans.apply_filters({"team": str(w.beta)})
        assert [p.title for p in plans.plans] == ["Beta"]
        await plans.apply_filters({"overdue": "on"})
        assert [p.title for p in plans.plans] == ["Alpha"]
        assert plans.plans[0].overdue_actions == 1
        await plans.apply_filters({"coach": str(w.coach.user_id), "status": "completed"})
        assert plans.plans == []
        await plans.apply_filters({"coach": str(w.coach.user_id), "status": "active"})
        assert len(plans.plans) == 2

        board = await state_for(BoardState, token=token, path=f"/o/{slug}/coaching/board")
        await board.load()
        assert [i.action.title for i in board.items] == ["Ask for a test environment"]

    run(scenario())


def test_training_catalogue_enrolment_and_coverage(org_a: TenantContext) -> None:
    w = helpers.world(org_a)
    coach_token, alice_token = _token(w.coach), _token(w.alice)
    path = f"/o/{org_a.org_slug}/coaching/training"

    async def scenario() -> None:
        coach = await state_for(TrainingState, token=coach_token, path=path)
        await coach.load()
        await coach.create_course({"course_name": "Kanban", "course_hours": "two"})
        assert "as a number" in coach.error
        await coach.create_course(
            {"course_name": "Kanban basics", "course_level": "beginner", "course_hours": "8"}
        )
        assert coach.error == "" and [c.name for c in coach.courses] == ["Kanban basics"]
        course = str(coach.courses[0].id)
        await coach.enrol({"enrol_course": course, "enrol_person": str(w.bob.user_id)})
        assert coach.error == ""

        alice = await state_for(TrainingState, token=alice_token, path=path)
        await alice.load()
        assert alice.can_manage is False and alice.enrolments == []  # her own only
        await alice.enrol({"enrol_course": course})
        assert alice.error == "" and [e.user_name for e in alice.enrolments] == ["Alice"]
        await alice.complete(alice.enrolments[0].id)
        assert alice.error == "" and alice.enrolments[0].completed_on
        bobs = next(e for e in coach.enrolments if e.user_name == "Bob")
        await alice.complete(bobs.id)
        assert "your own completions" in alice.error
        alpha = next(t for t in alice.coverage if t.team_name == "Alpha")
        assert (alpha.members, alpha.trained, alpha.coverage_percent) == (2, 1, 50)

    run(scenario())


def test_coach_edits_a_goal_and_deletes_the_plan_after_confirming(org_a: TenantContext) -> None:
    w = helpers.world(org_a)
    alpha, _beta, _alice_action, _bob_action = _plans(w)
    token = _token(w.coach)
    path = f"/o/{org_a.org_slug}/coaching/plans/{alpha}"

    async def scenario() -> None:
        plan = await state_for(PlanState, token=token, path=path)
        await plan.load()
        await plan.add_goal({"goal_title": "Faster reviews", "goal_target": "3"})
        goal = plan.goals[-1].id
        plan.start_goal_edit(goal)
        assert (plan.goal_edit_title, plan.goal_edit_target) == ("Faster reviews", "3")
        await plan.save_goal({"goal_edit_title": "Reviews within a day", "goal_edit_target": "11"})
        assert "between 1 and 10" in plan.error and plan.goal_edit_id == goal
        await plan.save_goal({"goal_edit_title": "Reviews within a day", "goal_edit_target": "3.5"})
        assert plan.error == "" and plan.goal_edit_id == 0
        assert (plan.goals[-1].title, plan.goals[-1].target) == ("Reviews within a day", "3.5")

        await plan.delete_plan()
        assert "2 actions" in plan.confirm_plan_message
        plan.cancel_delete_plan()
        assert plan.confirm_plan_message == ""
        redirect = await plan.delete_plan(True)
        assert plan.error == "" and f"/o/{org_a.org_slug}/coaching" in str(redirect)

    run(scenario())
    assert _count(CoachingGoal) == 0
    assert _count(CoachingAction) == 1  # Carol's, in the Beta plan


def _goal_order(plan_id: int) -> list[str]:
    with system_session() as session:
        goals = session.exec(
            select(CoachingGoal)
            .where(CoachingGoal.plan_id == plan_id)
            .order_by(CoachingGoal.position, CoachingGoal.id)  # type: ignore[arg-type]
        ).all()
        return [g.title for g in goals]


def test_a_coach_reorders_goals_by_drag_keys_and_buttons_and_others_cannot(
    org_a: TenantContext, org_b: TenantContext
) -> None:
    """Goal priority: dropped on another goal it takes that place; Up/Down arrows and the
    buttons move it one place; the order is stored (a new page load shows it); a member and
    another organisation's owner change nothing."""
    w = helpers.world(org_a)
    alpha, _beta, _alice_action, _bob_action = _plans(w)
    path = f"/o/{org_a.org_slug}/coaching/plans/{alpha}"

    async def scenario() -> None:
        plan = await state_for(PlanState, token=_token(w.coach), path=path)
        await plan.load()
        for title in ("Flow", "Quality", "Safety"):
            await plan.add_goal({"goal_title": title})
        flow, quality, safety = (g.id for g in plan.goals)
        assert [(g.title, g.place) for g in plan.goals] == [
            ("Flow", 1),
            ("Quality", 2),
            ("Safety", 3),
        ]
        plan.start_goal_drag(safety)
        focus = await plan.drop_goal_on(flow)  # Safety takes Flow's place
        assert plan.error == "" and focus is not None
        assert [g.title for g in plan.goals] == ["Safety", "Flow", "Quality"]
        assert plan.notice == "“Safety” is now priority 1 of 3."
        await plan.goal_key(flow, "ArrowDown")
        assert [g.title for g in plan.goals] == ["Safety", "Quality", "Flow"]
        assert await plan.goal_key(flow, "ArrowDown") is None  # already last: nothing sent
        await plan.goal_key(quality, "Enter")  # not a move key
        await plan.move_goal(safety, 1)
        assert [g.title for g in plan.goals] == ["Quality", "Safety", "Flow"]
        await plan.move_goal(safety, 5)  # a forged step
        assert [g.title for g in plan.goals] == ["Quality", "Safety", "Flow"]

        again = await state_for(PlanState, token=_token(w.coach), path=path, binding="again")
        await again.load()
        assert [g.title for g in again.goals] == ["Quality", "Safety", "Flow"]

        theirs = await state_for(PlanState, token=_token(w.alice), path=path, binding="alice")
        await theirs.load()
        await theirs.goal_key(flow, "ArrowUp")
        assert theirs.error != "" and "coach" in theirs.error.lower()
        outsider = await state_for(
            PlanState,
            token=_token(org_b),
            path=f"/o/{org_b.org_slug}/coaching/plans/{alpha}",
            binding="outsider",
        )
        await outsider.load()
        assert outsider.goals == []
        outsider.goals = plan.goals  # as if it knew the ids: the server still refuses
        await outsider.move_goal(safety, -1)
        assert outsider.error == "That goal was not found."

    run(scenario())
    assert _goal_order(alpha) == ["Quality", "Safety", "Flow"]


def test_a_goal_on_a_dimension_lists_the_practices_that_help_it(org_a: TenantContext) -> None:
    """The Add a goal form's dimension: a known one links the goal to the playbook's practices
    with the plan's team's adoption; a made-up key is refused and adds nothing."""
    w = helpers.world(org_a)
    alpha, _beta, _alice_action, _bob_action = _plans(w)
    with tenant_session(w.coach) as session:
        pairing = playbook.publish_practice(
            session=session, ctx=w.coach, title="Pairing", dimension_keys=["flow"]
        )
        adoption.record_adoption(
            session=session, ctx=w.coach, practice_id=pairing, team_id=w.alpha, status="adopted"
        )
    path = f"/o/{org_a.org_slug}/coaching/plans/{alpha}"

    async def scenario() -> None:
        plan = await state_for(PlanState, token=_token(w.coach), path=path)
        await plan.load()
        assert ("flow", "Flow & delivery") in {(c.value, c.label) for c in plan.dimensions}
        before = _count(CoachingGoal)
        await plan.add_goal({"goal_title": "Made up", "goal_dimension": "no_such_key"})
        assert "dimension" in plan.error and _count(CoachingGoal) == before
        await plan.add_goal({"goal_title": "Smoother flow", "goal_dimension": "flow"})
        assert plan.error == ""
        goal = plan.goals[-1]
        assert (goal.title, goal.dimension) == ("Smoother flow", "Flow & delivery")
        found = plan.goal_practices[str(goal.id)]
        assert [(p.practice_id, p.title, p.status_label) for p in found] == [
            (pairing, "Pairing", "Adopted")
        ]
        theirs = await state_for(PlanState, token=_token(w.alice), path=path, binding="alice")
        await theirs.load()
        assert theirs.dimensions == []  # only those who may add goals get the choices

    run(scenario())
