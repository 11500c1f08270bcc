"""The workspace home per role: each person finds their own work, coaches what they look after,
owners and admins the headline figures and (new organisation) the first-run checklist; the
other organisation's rows never appear."""

from __future__ import annotations

from datetime import timedelta

import pytest

from pmo_saas.assessments.services import catalog
from pmo_saas.assessments.services import rounds as assessment_rounds
from pmo_saas.coaching.services import actions as coaching_actions
from pmo_saas.coaching.services import plans as coaching_plans
from pmo_saas.db import tenant_session
from pmo_saas.home.schemas import WorkspaceHome
from pmo_saas.home.services import workspace_home
from pmo_saas.identity import services as identity
from pmo_saas.kernel import clock
from pmo_saas.kernel.context import TenantContext
from pmo_saas.kernel.roles import Role
from pmo_saas.portfolio.services import rounds as scoring_rounds
from pmo_saas.surveys import services as surveys
from tests import factories
from tests.peers import smtp
from tests.portfolio.builders import make_initiative, make_portfolio

COACH = "cora@home.example"
MEMBER = "milo@home.example"


def home(ctx: TenantContext) -> WorkspaceHome:
    with tenant_session(ctx) as session:
        return workspace_home(session=session, ctx=ctx)


def section(h: WorkspaceHome, key: str) -> list[str]:
    [found] = [s for s in h.sections if s.key == key]
    return [item.title for item in found.todo]


def keys(h: WorkspaceHome) -> list[str]:
    return [s.key for s in h.sections]


@pytest.fixture
def busy_org(org_a):
    """Org A with a member asked to answer a survey and an assessment, to score a round and
    to do a coaching action, coached by a coach, with an initiative waiting for a decision."""
    coach = factories.make_member(org_a, Role.COACH, name="Cora Coach", email=COACH)
    member = factories.make_member(org_a, Role.MEMBER, name="Milo Member", email=MEMBER)
    team_id = factories.make_team(org_a, "Checkout", members=[member])
    pid = make_portfolio(org_a)
    make_initiative(org_a, pid, "Alpha")
    make_initiative(org_a, pid, "Beta", status="reviewing")
    with smtp.smtp_delivery(), tenant_session(coach) as session:
        surveys.launch_survey(
            session=session, ctx=coach, title="Pulse", instrument="enps", team_ids=[team_id]
        )
    with tenant_session(coach) as session:
        catalog.ensure_builtin_models(session=session, ctx=coach)
        model_id = catalog.list_models(session=session, ctx=coach)[0].id
        assessment_rounds.start_round(
            session=session, ctx=coach, model_id=model_id, team_ids=[team_id], title="Spring"
        )
        scoring_rounds.open_scoring_round(
            session=session,
            ctx=coach,
            portfolio_id=pid,
            name="Q1 scoring",
            scorer_user_ids=[member.user_id],
        )
        plan = coaching_plans.create_plan(
            session=session, ctx=coach, title="Checkout growth", team_id=team_id
        )
        coaching_actions.add_action(
            session=session,
            ctx=coach,
            plan_id=plan.id,
            title="Run a retro on flow",
            owner_user_id=member.user_id,
            due_date=(clock.utcnow() - timedelta(days=2)).date(),
        )
    return org_a, coach, member


def test_a_member_sees_their_own_work(busy_org):
    _, _, member = busy_org
    h = home(member)
    assert keys(h) == ["surveys", "assessments", "rounds", "actions"]
    assert section(h, "surveys") == ["Pulse"]
    assert section(h, "assessments") == ["Spring"]
    assert section(h, "rounds") == ["Q1 scoring"]
    assert section(h, "actions") == ["Run a retro on flow"]
    [action] = next(s for s in h.sections if s.key == "actions").todo
    assert action.urgent and action.detail.startswith("Overdue")
    assert h.headlines == [] and h.checklist == []
    # Changes others made, from the audit trail, limited to what every member may read.
    assert any("launched the survey Pulse" in c.title for c in h.changes)
    assert all(c.href == "" for c in h.changes)  # the audit log itself is for admins


def test_a_survey_answered_leaves_the_home(busy_org):
    _, _, member = busy_org
    token = smtp.last_link(MEMBER, r"/s/([\w-]+)")  # the personal link, as SMTP delivered it
    surveys.submit_response(token=token, answers={"enps": 9})
    assert section(home(member), "surveys") == []


def test_a_coach_sees_their_plans_and_the_decisions_waiting(busy_org):
    _, coach, _ = busy_org
    h = home(coach)
    assert keys(h) == ["surveys", "assessments", "rounds", "actions", "plans", "decisions"]
    assert section(h, "plans") == ["Checkout growth"]
    [plan] = next(s for s in h.sections if s.key == "plans").todo
    assert plan.urgent and "1 overdue" in plan.detail
    assert section(h, "decisions") == ["Beta"]
    assert section(h, "surveys") == section(h, "assessments") == []  # not on the team
    assert h.headlines == []


def test_the_owner_sees_headlines_and_the_checklist_ticked_from_real_data(busy_org):
    owner, _, _ = busy_org
    h = home(owner)
    figures = {x.label: x.value for x in h.headlines}
    assert figures["Members"] == 3
    assert figures["Open assessment rounds"] == 1
    assert all(x.href.startswith("/") for x in h.headlines)
    assert h.checklist == []  # every first step taken: nothing left to tick
    # The full trail for an admin, linked to the audit log.
    assert h.changes and all(c.href == "/audit" for c in h.changes)


def test_a_new_organisation_gets_its_checklist_and_empty_states(org_a):
    h = home(org_a)
    assert [(s.label, s.done) for s in h.checklist] == [
        ("Invite people", False),
        ("Create teams", False),
        ("Run a first assessment", False),
        ("Launch a first survey", False),
        ("Create a first portfolio", False),
    ]
    for s in h.sections:
        assert s.todo == [] and s.purpose  # each empty section says what it is for
    surveys_section = next(s for s in h.sections if s.key == "surveys")
    assert (surveys_section.action_label, surveys_section.action_href) == (
        "Launch a survey",
        "/surveys",
    )
    factories.make_team(org_a, "First team")
    make_portfolio(org_a)
    ticked = {s.label: s.done for s in home(org_a).checklist}
    assert ticked["Create teams"] and ticked["Create a first portfolio"]
    assert not ticked["Invite people"]


def test_a_member_is_offered_no_first_step_they_may_not_take(org_a):
    member = factories.make_member(org_a, Role.MEMBER)
    h = home(member)
    assert {s.key: s.action_label for s in h.sections if s.key in ("surveys", "assessments")} == {
        "surveys": "",
        "assessments": "",
    }


def test_a_viewer_sees_the_headlines_but_no_work_sections_of_members(org_a):
    viewer = factories.make_member(org_a, Role.VIEWER)
    h = home(viewer)
    assert keys(h) == ["surveys", "assessments"]
    assert h.headlines and h.checklist == []


def test_changes_since_the_last_visit_start_at_the_previous_sign_in(busy_org):
    _, coach, member = busy_org
    assert member.user_id is not None
    identity.start_session(user_id=member.user_id)
    assert home(member).changes_title == "Recent changes"  # a first visit
    identity.start_session(user_id=member.user_id)  # signed in again, later
    later = home(member)
    assert later.changes_title == "Since your last visit"
    assert later.changes == []  # nothing happened since
    factories.make_team(coach, "Payments")
    assert [c.title for c in home(member).changes] == [f"{COACH} created the team Payments"]


def test_the_other_organisation_sees_nothing_of_it(busy_org, org_b):
    member_b = factories.make_member(org_b, Role.MEMBER)
    coach_b = factories.make_member(org_b, Role.COACH)
    for ctx in (member_b, coach_b):
        h = home(ctx)
        assert all(s.todo == [] for s in h.sections)
        assert h.changes == []
    figures = {x.label: x.value for x in home(org_b).headlines}
    assert figures == {
        "Initiatives in progress": 0,
        "Open risks": 0,
        "Open assessment rounds": 0,
        "Active coaching plans": 0,
        "Members": 3,
    }
    assert len(home(org_b).checklist) == 5
