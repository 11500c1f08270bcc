"""Coaching sessions log, the leadership board and promotion to the portfolio."""

from __future__ import annotations

from datetime import timedelta

import pytest

from pmo_saas.coaching.schemas import ActionInput
from pmo_saas.coaching.services import common
from pmo_saas.coaching.services.actions import add_action, set_action_status
from pmo_saas.coaching.services.board import (
    initiative_origin,
    leadership_board,
    promote_to_portfolio,
)
from pmo_saas.coaching.services.goals import add_goal
from pmo_saas.coaching.services.plans import create_plan, get_plan, list_plans
from pmo_saas.coaching.services.sessions import log_session
from pmo_saas.db import tenant_session
from pmo_saas.kernel.context import TenantContext
from pmo_saas.kernel.errors import Conflict, ValidationFailed
from pmo_saas.portfolio.services import funding as funding_services
from pmo_saas.portfolio.services import initiatives as initiative_services
from pmo_saas.portfolio.services import portfolios as portfolio_services
from tests.coaching import helpers


def test_a_session_log_puts_its_follow_ups_in_the_plan(org_a: TenantContext) -> None:
    w = helpers.world(org_a)
    today = common.today()
    with tenant_session(w.coach) as session:
        plan = create_plan(session=session, ctx=w.coach, title="Alpha", team_id=w.alpha)
        goal = add_goal(session=session, ctx=w.coach, plan_id=plan.id, title="Flow")
        logged = log_session(
            session=session,
            ctx=w.coach,
            plan_id=plan.id,
            held_on=today - timedelta(days=1),
            attendee_user_ids=[w.alice.user_id or 0, w.bob.user_id or 0, w.alice.user_id or 0],
            notes="Looked at the cycle-time chart.",
            decisions="Limit WIP to 3.",
            follow_ups=[
                ActionInput(
                    title="Set WIP limits on the board",
                    owner_user_id=w.bob.user_id,
                    goal_id=goal.id,
                    due_date=(today + timedelta(days=7)).isoformat(),
                ),
                ActionInput(
                    title="Ask for a dedicated test environment",
                    owner_user_id=w.owner.user_id,
                    scope="organisation",
                ),
            ],
        )
    assert logged.attendee_names == ["Alice", "Bob"]
    assert logged.warnings == []
    with tenant_session(w.alice) as session:  # a team member reads the log
        detail = get_plan(session=session, ctx=w.alice, plan_id=plan.id)
    assert [s.decisions for s in detail.sessions] == ["Limit WIP to 3."]
    assert detail.sessions[0].notes == "Looked at the cycle-time chart."
    assert len(detail.sessions[0].follow_up_action_ids) == 2
    assert [a.title for a in detail.goals[0].actions] == ["Set WIP limits on the board"]
    assert detail.goals[0].actions[0].session_id == logged.id
    assert [a.title for a in detail.loose_actions] == ["Ask for a dedicated test environment"]
    assert detail.actions_total == 2


def _org_items(w: helpers.World) -> tuple[int, int]:
    today = common.today()
    with tenant_session(w.coach) as session:
        alpha = create_plan(session=session, ctx=w.coach, title="Alpha", team_id=w.alpha)
        beta = create_plan(session=session, ctx=w.coach, title="Beta", team_id=w.beta)
        add_action(
            session=session,
            ctx=w.coach,
            plan_id=alpha.id,
            title="Team-only item",
            owner_user_id=w.alice.user_id,
        )
        late = add_action(
            session=session,
            ctx=w.coach,
            plan_id=beta.id,
            title="Stable release budget",
            owner_user_id=w.owner.user_id,
            scope="organisation",
            due_date=today - timedelta(days=3),
        )
        later = add_action(
            session=session,
            ctx=w.coach,
            plan_id=alpha.id,
            title="Fewer approval steps",
            owner_user_id=w.owner.user_id,
            scope="organisation",
            due_date=today + timedelta(days=3),
        )
    return late.id, later.id


def test_organisational_items_roll_up_to_the_leadership_board(org_a: TenantContext) -> None:
    w = helpers.world(org_a)
    late, later = _org_items(w)
    with tenant_session(w.viewer) as session:
        board = leadership_board(session=session, ctx=w.viewer)
    assert [(i.action.title, i.team_name, i.action.overdue) for i in board] == [
        ("Stable release budget", "Beta", True),  # overdue first
        ("Fewer approval steps", "Alpha", False),
    ]
    with tenant_session(w.alice) as session:  # members see the items of their teams' plans
        assert [i.action.id for i in leadership_board(session=session, ctx=w.alice)] == [later]
    with tenant_session(w.coach) as session:
        set_action_status(session=session, ctx=w.coach, action_id=late, status="done")
        assert len(leadership_board(session=session, ctx=w.coach)) == 1
        assert len(leadership_board(session=session, ctx=w.coach, include_done=True)) == 2


def test_promotion_to_the_portfolio_links_both_ways(org_a: TenantContext) -> None:
    w = helpers.world(org_a)
    late, _ = _org_items(w)
    with tenant_session(w.coach) as session:
        portfolio_id = portfolio_services.create_portfolio(
            session=session, ctx=w.coach, name="Change"
        )
        row = promote_to_portfolio(
            session=session, ctx=w.coach, action_id=late, portfolio_id=portfolio_id
        )
        assert row.initiative_id is not None
        assert (row.initiative_status, row.funding_status) == ("funnel", "undecided")
        # the portfolio side: the initiative exists and knows where it came from
        initiative = initiative_services.get_initiative(
            session=session, ctx=w.coach, initiative_id=row.initiative_id
        )
        assert initiative.title == "Stable release budget"
        assert "Beta" in initiative.description
        origin = initiative_origin(session=session, ctx=w.coach, initiative_id=row.initiative_id)
        assert origin is not None
        assert (origin.action_id, origin.plan_title, origin.team_name) == (late, "Beta", "Beta")
        with pytest.raises(Conflict, match="already"):
            promote_to_portfolio(
                session=session, ctx=w.coach, action_id=late, portfolio_id=portfolio_id
            )
        # the portfolio funds it: the plan shows the funding status
        initiative_services.update_initiative(
            session=session,
            ctx=w.coach,
            initiative_id=row.initiative_id,
            data={"cost": 1000, "moscow": "must"},
        )
        scenario = funding_services.create_scenario(
            session=session, ctx=w.coach, portfolio_id=portfolio_id, name="Q1", budget=5000
        )
        funding_services.publish_scenario(session=session, ctx=w.coach, scenario_id=scenario)
    with tenant_session(w.viewer) as session:
        board = leadership_board(session=session, ctx=w.viewer)
    promoted = next(i.action for i in board if i.action.id == late)
    assert promoted.funding_status == "funded"
    assert promoted.funding_label == "Funded in the published plan"


def test_only_organisational_items_are_promoted_by_coaches(org_a: TenantContext) -> None:
    w = helpers.world(org_a)
    late, _ = _org_items(w)
    with tenant_session(w.coach) as session:
        portfolio_id = portfolio_services.create_portfolio(
            session=session, ctx=w.coach, name="Change"
        )
        plan = list_plans(session=session, ctx=w.coach, team_id=w.alpha)[0]
        team_item = add_action(
            session=session,
            ctx=w.coach,
            plan_id=plan.id,
            title="Pairing",
            owner_user_id=w.alice.user_id,
        )
        with pytest.raises(ValidationFailed, match="organisational"):
            promote_to_portfolio(
                session=session, ctx=w.coach, action_id=team_item.id, portfolio_id=portfolio_id
            )
    with tenant_session(w.viewer) as session, pytest.raises(Exception, match="coaches"):
        promote_to_portfolio(
            session=session, ctx=w.viewer, action_id=late, portfolio_id=portfolio_id
        )
