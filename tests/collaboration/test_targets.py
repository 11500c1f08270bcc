"""Every object the issue lists takes comments, each seen as the object is: the portfolio's by
its members, a team's plan and goals by that team (and coaches), an assessment round by
coaches and those asked, a survey's results by coaches, a team's survey results by coaches
and those asked in that team, and never while the anonymity rules hide the group. The REST
API reads and posts the same threads; the other organisation finds none of them."""

from __future__ import annotations

import pytest

from pmo_saas.coaching.services import goals as coaching_goals
from pmo_saas.collaboration import targets
from pmo_saas.collaboration.models import Comment
from pmo_saas.collaboration.services import comments
from pmo_saas.db import tenant_session
from pmo_saas.kernel.errors import NotFound, ValidationFailed
from pmo_saas.portfolio.services import funding as funding_services
from pmo_saas.portfolio.services import governance
from pmo_saas.portfolio.services import risks as risk_services
from pmo_saas.portfolio.services import rounds as round_services
from pmo_saas.surveys import services as surveys
from tests.assessments.helpers import small_model, start
from tests.collaboration.events import answered_survey
from tests.collaboration.helpers import mention, post, world
from tests.portfolio.builders import make_initiative, make_portfolio
from tests.rest.helpers import bearer, client, make_key

LISTED = {
    "initiative",
    "scoring_round",
    "scenario",
    "risk",
    "gate_review",
    "coaching_plan",
    "coaching_goal",
    "assessment_round",
    "survey_results",
    "survey_team_results",
}
REST_PATHS = {
    "initiative": "/api/v1/initiatives/{}/comments",
    "scoring_round": "/api/v1/scoring-rounds/{}/comments",
    "scenario": "/api/v1/scenarios/{}/comments",
    "risk": "/api/v1/risks/{}/comments",
    "gate_review": "/api/v1/gate-reviews/{}/comments",
    "coaching_plan": "/api/v1/coaching/plans/{}/comments",
    "coaching_goal": "/api/v1/coaching/goals/{}/comments",
    "assessment_round": "/api/v1/assessments/rounds/{}/comments",
    "survey_results": "/api/v1/surveys/{}/results/comments",
    "survey_team_results": "/api/v1/survey-teams/{}/results/comments",
}


def _thread(ctx, kind, target_id):
    with tenant_session(ctx) as session:
        return comments.comment_thread(
            session=session, ctx=ctx, target_kind=kind, target_id=target_id
        )


def _objects(w):
    """One object of each listed kind in w's organisation, the team ones of team A."""
    pid = make_portfolio(w.owner, "Talked about", budget=100)
    initiative = make_initiative(w.owner, pid, "Topic", cost=10)
    with tenant_session(w.coach) as session:
        scoring_round = round_services.open_scoring_round(
            session=session,
            ctx=w.coach,
            portfolio_id=pid,
            name="R",
            scorer_user_ids=[w.ann.user_id],
        )
        scenario = funding_services.create_scenario(
            session=session, ctx=w.coach, portfolio_id=pid, name="S"
        )
        risk = risk_services.create_risk(
            session=session,
            ctx=w.coach,
            portfolio_id=pid,
            data={"title": "Late", "probability": 2, "impact": 3},
        )
        gate_review = governance.record_gate_review(
            session=session,
            ctx=w.coach,
            initiative_id=initiative,
            decision="proceed",
            decided_on="2026-11-02",
            approvers="Ada",
        )
        goal = coaching_goals.add_goal(
            session=session, ctx=w.coach, plan_id=w.plan_a, title="Faster flow"
        ).id
    s = answered_survey(w.coach)
    with tenant_session(w.coach) as session:
        surveys.close_survey(session=session, ctx=w.coach, survey_id=s.survey_id)
    found = {
        "initiative": initiative,
        "scoring_round": scoring_round,
        "scenario": scenario,
        "risk": risk,
        "gate_review": gate_review,
        "coaching_plan": w.plan_a,
        "coaching_goal": goal,
        "assessment_round": start(w.coach, small_model(w.coach), [w.team_a]),
        "survey_results": s.survey_id,
        "survey_team_results": s.shown_team,
    }
    return found, s


def test_every_listed_object_takes_comments_seen_as_the_object_is(org_a, org_b):
    w = world(org_a)
    objects, s = _objects(w)
    assert set(targets.registered_kinds()) >= LISTED
    assert set(objects) == LISTED
    for kind, target_id in objects.items():
        post(w.coach, kind, target_id, f"On the {kind}")
        assert _thread(w.coach, kind, target_id).total == 1, kind
        with pytest.raises(NotFound):
            _thread(org_b, kind, target_id)
        with pytest.raises(NotFound):
            post(org_b, kind, target_id, "From outside")
    team_only = {"coaching_plan", "coaching_goal", "assessment_round"}
    coaches_only = {"survey_results", "survey_team_results"}
    for kind, target_id in objects.items():
        # Ann is in team A; Bob in team B and not surveyed (the surveyed teams are others).
        if kind in coaches_only:
            expected = {"ann": False, "bob": False}
        elif kind in team_only:
            expected = {"ann": True, "bob": False}
        else:
            expected = {"ann": True, "bob": True}
        for name, person in (("ann", w.ann), ("bob", w.bob)):
            if expected[name]:
                assert _thread(person, kind, target_id).total == 1, (kind, name)
            else:
                with pytest.raises(NotFound):
                    _thread(person, kind, target_id)
    # Those asked in the shown team read and write their team's results thread.
    post(s.shown[0], "survey_team_results", s.shown_team, "We said this")
    assert _thread(s.shown[1], "survey_team_results", s.shown_team).total == 2


def test_the_rest_api_reads_and_posts_every_thread_and_never_the_other_organisations(org_a, org_b):
    w = world(org_a)
    objects, _s = _objects(w)
    _id, read_key = make_key(w.owner, "read")
    _id, write_key = make_key(w.owner, "read_write", name="Bot")
    _id, member_key = make_key(w.owner, "read_write", name="As member", role="member")
    _id, other_key = make_key(org_b, "read_write")
    api = client()
    for kind, target_id in objects.items():
        url = REST_PATHS[kind].format(target_id)
        assert api.get(url, headers=bearer(read_key)).json() == [], kind
        refused = api.post(url, json={"body": "x"}, headers=bearer(read_key))
        assert refused.status_code == 403, kind
        created = api.post(url, json={"body": f"Via the API on {kind}"}, headers=bearer(write_key))
        assert created.status_code == 201, (kind, created.text)
        [top] = api.get(url, headers=bearer(read_key)).json()
        assert top["id"] == created.json()["id"] and top["body"] == f"Via the API on {kind}"
        assert api.get(url, headers=bearer(other_key)).status_code == 404, kind
        assert api.post(url, json={"body": "x"}, headers=bearer(other_key)).status_code == 404
    # A member key (acting for the owner, with role member) reads no survey results.
    for kind in ("survey_results", "survey_team_results"):
        url = REST_PATHS[kind].format(objects[kind])
        assert api.get(url, headers=bearer(member_key)).status_code == 404


def test_a_hidden_survey_group_has_no_conversation(org_a):
    w = world(org_a)
    s = answered_survey(w.coach)
    # While the survey runs no results exist: nothing to discuss yet.
    with pytest.raises(NotFound):
        _thread(w.coach, "survey_team_results", s.shown_team)
    with tenant_session(w.coach) as session:
        surveys.close_survey(session=session, ctx=w.coach, survey_id=s.survey_id)
    hidden = (s.small_team, s.cover_team)
    for team_id in hidden:
        for person in (w.coach, w.owner, s.small[0], s.cover[0]):
            with pytest.raises(NotFound):
                post(person, "survey_team_results", team_id, "About this group")
    # Even a comment that somehow exists (written before a rule changed, or planted in the
    # database) never appears: the thread is refused, to coaches as to the team.
    with tenant_session(w.coach) as session:
        session.add(
            Comment(
                target_kind="survey_team_results",
                target_id=s.small_team,
                author_id=w.coach.user_id,
                body="planted",
                html="<p>planted</p>",
            )
        )
    for person in (w.coach, w.owner, s.small[0], s.small[1]):
        with pytest.raises(NotFound):
            _thread(person, "survey_team_results", s.small_team)
    _id, key = make_key(w.owner, "read")
    url = REST_PATHS["survey_team_results"].format(s.small_team)
    got = client().get(url, headers=bearer(key))
    assert got.status_code == 404 and "planted" not in got.text
    # The shown team's thread: its own people, not the hidden teams', and no mention of them.
    with pytest.raises(NotFound):
        _thread(s.cover[0], "survey_team_results", s.shown_team)
    with pytest.raises(ValidationFailed, match="cannot see"):
        post(w.coach, "survey_team_results", s.shown_team, f"Cf. {mention(s.small[0])}")
    post(w.coach, "survey_team_results", s.shown_team, f"Well done {mention(s.shown[0])}")
    assert _thread(s.shown[0], "survey_team_results", s.shown_team).total == 1


def test_a_member_of_team_a_never_sees_team_bs_goals_either(org_a):
    w = world(org_a)
    with tenant_session(w.coach) as session:
        goal_b = coaching_goals.add_goal(
            session=session, ctx=w.coach, plan_id=w.plan_b, title="B's goal"
        ).id
    post(w.bob, "coaching_goal", goal_b, "Ours")
    assert _thread(w.coach, "coaching_goal", goal_b).total == 1
    with pytest.raises(NotFound):
        _thread(w.ann, "coaching_goal", goal_b)
    with pytest.raises(ValidationFailed, match="cannot see"):
        post(w.bob, "coaching_goal", goal_b, f"Hey {mention(w.ann)}")
