"""A survey's results list each team without its bars; one team's bars come from
`survey_team_results` (the page reads them when the team's answers are opened, the REST API at
/survey-teams/{id}/results). Both decide by the same rules: a team the results hide (below the
threshold, or hidden by the differencing protection although its answers were opened and its
figures kept) gives nothing by the new path either, to a coach, a member, a viewer or another
organisation; and nothing before the close.
"""

from __future__ import annotations

from collections import Counter

import pytest
from sqlmodel import select

from pmo_saas.db import tenant_session
from pmo_saas.identity import services as identity
from pmo_saas.kernel.errors import Conflict, Forbidden, NotFound
from pmo_saas.kernel.roles import Role
from pmo_saas.surveys import services
from pmo_saas.surveys.models import SurveyTeam
from pmo_saas.surveys.pages.results import ResultsState
from pmo_saas.surveys.services.figures import TeamFigures
from tests.rest.helpers import bearer, client, make_key
from tests.state_harness import run, state_for
from tests.surveys.helpers import people, results, team_results
from tests.surveys.test_org_figures import _answered

# Gamma (2) and Delta (1) stay sealed; hidden together they are 3 < 5, so Beta (5), opened
# at the close with its figures kept, is hidden too (differencing protection). Alpha shown.
SIZES = {"Alpha": 11, "Beta": 5, "Gamma": 2, "Delta": 1}


def _team_ids(ctx, survey_id: int) -> dict[str, int]:
    with tenant_session(ctx) as session:
        rows = session.exec(select(SurveyTeam).where(SurveyTeam.survey_id == survey_id)).all()
    return {t.team_name: t.id for t in rows if t.id is not None}


def _kept(ctx, survey_team_id: int) -> tuple[str, str]:
    with tenant_session(ctx) as session:
        team = session.get(SurveyTeam, survey_team_id)
        assert team is not None
        return team.figures, team.summary


def _assert_hidden(group, reason_part: str) -> None:
    assert not group.visible and reason_part in group.hidden_reason
    assert group.headline is None and group.questions == [] and group.comments == []
    assert not group.bars_omitted


def test_a_team_s_bars_come_only_for_a_team_the_results_show(org_a):
    survey_id, _, _ = _answered(org_a, SIZES)
    ids = _team_ids(org_a, survey_id)
    listed = {g.label: g for g in results(org_a, survey_id).teams}
    alpha = listed["Alpha"]
    # Listed: the headline and each question's count and mean, no bars.
    assert alpha.visible and alpha.bars_omitted and alpha.headline is not None
    assert [q.answered for q in alpha.questions] == [11] * 6
    assert all(q.mean is not None and q.bars == [] for q in alpha.questions)
    # Asked for alone: the same team with its bars, a recount of what was submitted.
    alone = team_results(org_a, ids["Alpha"])
    values = [n % 7 + 1 for n in range(11)]
    assert not alone.bars_omitted and alone.headline == alpha.headline
    for question, listed_question in zip(alone.questions, alpha.questions, strict=True):
        assert [b.count for b in question.bars] == [Counter(values)[v] for v in range(1, 8)]
        assert (question.mean, question.answered) == (listed_question.mean, 11)
    assert sorted(alone.comments[0].comments) == sorted(f"Alpha says {n}" for n in range(11))
    # Beta was opened and its figures kept, yet the differencing protection hides it: the
    # new path decides on every read, as the list does, and gives nothing of it.
    figures, summary = _kept(org_a, ids["Beta"])
    assert figures and summary and TeamFigures.model_validate_json(summary).questions
    for name in ("Beta", "Gamma", "Delta"):
        reason = listed[name].hidden_reason
        assert reason and not listed[name].visible
        _assert_hidden(team_results(org_a, ids[name]), reason)
    _assert_hidden(team_results(org_a, ids["Beta"]), "protect a smaller team")
    _assert_hidden(team_results(org_a, ids["Gamma"]), "fewer than 5 responses")


def test_only_coaches_of_the_organisation_read_a_team_and_only_after_the_close(org_a, org_b):
    survey_id, _, _ = _answered(org_a, SIZES)
    alpha = _team_ids(org_a, survey_id)["Alpha"]
    for role in (Role.MEMBER, Role.VIEWER):
        someone = people(org_a, 1, role)[0]
        with tenant_session(someone) as session, pytest.raises(Forbidden, match="coaches"):
            services.survey_team_results(session=session, ctx=someone, survey_team_id=alpha)
    # Another organisation's coach: the same "not found" as a team that does not exist.
    for other in (alpha, 2**31 - 1, 2**40, -1):
        with tenant_session(org_b) as session, pytest.raises(NotFound, match="team's results"):
            services.survey_team_results(session=session, ctx=org_b, survey_team_id=other)
    coach = people(org_a, 1, Role.COACH)[0]
    assert team_results(coach, alpha).visible
    # A running survey's team: no figures before the close (not even a shown-size team's).
    running, _, _ = _answered(org_a, {"Epsilon": 6}, closed=False)
    epsilon = _team_ids(org_a, running)["Epsilon"]
    with tenant_session(org_a) as session, pytest.raises(Conflict, match="once the survey"):
        services.survey_team_results(session=session, ctx=org_a, survey_team_id=epsilon)


def test_the_page_reads_a_shown_team_s_bars_when_opened_and_never_a_hidden_one(org_a, org_b):
    survey_id, _, _ = _answered(org_a, SIZES)
    ids = _team_ids(org_a, survey_id)
    path = f"/o/{org_a.org_slug}/surveys/results/{survey_id}"

    async def scenario() -> None:
        coach = identity.start_session(user_id=people(org_a, 1, Role.COACH)[0].user_id)
        state = await state_for(ResultsState, token=coach, path=path)
        await state.load()
        teams = {t.label: t for t in state.teams}
        # Listed: no bars anywhere in the page state until a team's answers are opened.
        assert teams["Alpha"].bars_pending and teams["Alpha"].questions == []
        assert teams["Alpha"].question_count == 6 and teams["Alpha"].comparison
        assert all(not t.bars_pending and t.questions == [] for t in state.teams[1:])
        assert state.org is not None and not state.org.bars_pending
        await state.show_answers(ids["Alpha"])
        opened = state.teams[0]
        assert state.error == "" and not opened.bars_pending
        assert opened.comparison == teams["Alpha"].comparison
        assert [len(q.bars) for q in opened.questions] == [7] * 6
        assert sum(b["count"] for b in opened.questions[0].bars) == 11
        # A hidden team, a team of no list here, another organisation's: nothing changes.
        before = [t.model_dump() for t in state.teams]
        for other in (ids["Beta"], ids["Gamma"], 2**31 - 1, "x", None):
            await state.show_answers(other)
        assert [t.model_dump() for t in state.teams] == before and state.error == ""
        # A member's page has no teams, and opening one is refused.
        member = identity.start_session(user_id=people(org_a, 1)[0].user_id)
        theirs = await state_for(ResultsState, token=member, path=path)
        await theirs.load()
        assert "coach role" in theirs.error and theirs.teams == []
        await theirs.show_answers(ids["Alpha"])
        assert theirs.teams == []
        outsider = identity.start_session(user_id=org_b.user_id)
        foreign = await state_for(ResultsState, token=outsider, path=path)
        await foreign.load()
        await foreign.show_answers(ids["Alpha"])
        assert foreign.teams == [] and foreign.org is None

    run(scenario())


def test_the_rest_api_serves_a_team_s_bars_under_the_same_rules(org_a, org_b):
    survey_id, _, _ = _answered(org_a, SIZES)
    ids = _team_ids(org_a, survey_id)
    api = client()
    _, coach_key = make_key(org_a)
    listed = api.get(f"/api/v1/surveys/{survey_id}/results", headers=bearer(coach_key)).json()
    alpha_listed = next(t for t in listed["teams"] if t["label"] == "Alpha")
    assert alpha_listed["bars_omitted"] and alpha_listed["questions"][0]["bars"] == []
    alpha = api.get(f"/api/v1/survey-teams/{ids['Alpha']}/results", headers=bearer(coach_key))
    assert alpha.status_code == 200 and not alpha.json()["bars_omitted"]
    assert sum(b["count"] for b in alpha.json()["questions"][0]["bars"]) == 11
    for name in ("Beta", "Gamma", "Delta"):
        hidden = api.get(f"/api/v1/survey-teams/{ids[name]}/results", headers=bearer(coach_key))
        body = hidden.json()
        assert hidden.status_code == 200 and not body["visible"], name
        assert body["headline"] is None and body["questions"] == [] and body["comments"] == []
    _, viewer_key = make_key(org_a, role="viewer", name="Viewer")
    refused = api.get(f"/api/v1/survey-teams/{ids['Alpha']}/results", headers=bearer(viewer_key))
    assert refused.status_code == 403 and "bars" not in refused.text
    _, other_key = make_key(org_b)
    for team_id in (ids["Alpha"], ids["Beta"], 2**31 - 1):
        theirs = api.get(f"/api/v1/survey-teams/{team_id}/results", headers=bearer(other_key))
        assert theirs.status_code == 404, team_id
