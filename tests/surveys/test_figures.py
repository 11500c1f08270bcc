"""Stored team figures and the submit path's counter: always what a recount gives.

A closed survey keeps each opened team's figures (services/figures.py); the submit path
counts a response as its first statement. Both are checked here against a recount from the
answers the test itself submitted, on two organisations."""

from __future__ import annotations

from collections import Counter

import pytest
from sqlmodel import select

from pmo_saas.db import tenant_session
from pmo_saas.kernel.errors import Conflict, NotFound
from pmo_saas.surveys import services
from pmo_saas.surveys.models import SurveyTeam
from tests.surveys.helpers import (
    close,
    email_of,
    launch,
    links_from_outbox,
    results,
    team_results,
    team_with,
    westrum_answers,
)

ITEMS = ("information", "messengers", "responsibilities", "bridging", "inquiry", "novelty")


def _run(ctx, values: list[int], small: int) -> tuple[int, int]:
    """A Westrum survey: a team answering `values` (one person each), two smaller ones
    answering 7 (together large enough that neither the team nor the total is hidden)."""
    big, big_members = team_with(ctx, "Alpha", len(values))
    beta, beta_members = team_with(ctx, "Beta", small)
    gamma, gamma_members = team_with(ctx, "Gamma", small)
    tiny_members = beta_members + gamma_members
    survey_id = launch(ctx, [big, beta, gamma])
    links = links_from_outbox(ctx)
    for value, member in zip(values, big_members, strict=True):
        services.submit_response(token=links[email_of(member)][0], answers=westrum_answers(value))
    for member in tiny_members:
        services.submit_response(token=links[email_of(member)][0], answers=westrum_answers(7))
    # A second answer through a used link is refused, and the counter stays as it was.
    with pytest.raises(Conflict):
        services.submit_response(
            token=links[email_of(big_members[0])][0], answers=westrum_answers(1)
        )
    with tenant_session(ctx) as session:
        counts = {
            t.team_name: t.responses
            for t in session.exec(select(SurveyTeam).where(SurveyTeam.survey_id == survey_id))
        }
    assert counts == {"Alpha": len(values), "Beta": small, "Gamma": small}
    close(ctx, survey_id)
    return survey_id, big


def _forget_figures(ctx, survey_id: int) -> None:
    with tenant_session(ctx) as session:
        for team in session.exec(select(SurveyTeam).where(SurveyTeam.survey_id == survey_id)):
            team.figures = team.summary = ""
            session.add(team)


def test_stored_figures_equal_a_recount_on_two_organisations(org_a, org_b):
    runs = {"a": (org_a, [7, 6, 6, 5, 2, 4]), "b": (org_b, [1, 2, 3, 3, 3, 7, 7])}
    surveys = {name: _run(ctx, values, small=3) for name, (ctx, values) in runs.items()}
    for name, (ctx, values) in runs.items():
        survey_id, _team = surveys[name]
        with tenant_session(ctx) as session:
            stored = {
                t.team_name: t.figures
                for t in session.exec(select(SurveyTeam).where(SurveyTeam.survey_id == survey_id))
            }
        # Opened (at or above the threshold): figures kept. Below: still sealed, nothing kept.
        assert stored["Alpha"] and stored["Beta"] == stored["Gamma"] == ""
        shown = results(ctx, survey_id)
        listed = next(g for g in shown.teams if g.label == "Alpha")
        alpha = team_results(ctx, listed.survey_team_id)
        # Listed with each question's count and mean; asked for alone, with its bars too.
        assert listed.bars_omitted and not alpha.bars_omitted
        assert listed == alpha.model_copy(update={"bars_omitted": True, "questions": [
            q.model_copy(update={"bars": []}) for q in alpha.questions
        ]})  # fmt: skip
        expected = Counter(values)
        for question in alpha.questions:
            assert question.answered == len(values)
            assert question.mean == pytest.approx(round(sum(values) / len(values), 2))
            assert [b.count for b in question.bars] == [expected.get(v, 0) for v in range(1, 8)]
        assert alpha.headline.value == pytest.approx(round(sum(values) / len(values), 2))
        # The organisation: both teams (the small one opened in memory), recounted.
        everyone = [*values, *[7] * 6]
        assert shown.org.headline.value == pytest.approx(round(sum(everyone) / len(everyone), 2))
        assert [b.count for b in shown.org.questions[0].bars] == [
            Counter(everyone).get(v, 0) for v in range(1, 8)
        ]
        # The same figures as computed from the counters, without the stored ones.
        _forget_figures(ctx, survey_id)
        assert results(ctx, survey_id).model_dump() == shown.model_dump()
        assert team_results(ctx, listed.survey_team_id) == alpha
        # The dashboard's trend of the organisation alone gives the same headline.
        with tenant_session(ctx) as session:
            alone = services.survey_trend(
                session=session, ctx=ctx, survey_id=survey_id, teams=False
            )
            by_team = services.survey_trend(session=session, ctx=ctx, survey_id=survey_id)
        assert alone[-1].org == by_team[-1].org == shown.org.headline.value
        assert alone[-1].teams == {} and by_team[-1].teams == {"Alpha": alpha.headline.value}
    # Neither organisation reads the other's results.
    with tenant_session(org_b) as session, pytest.raises(NotFound):
        services.survey_results(session=session, ctx=org_b, survey_id=surveys["a"][0])
    with tenant_session(org_a) as session, pytest.raises(NotFound):
        services.survey_trend(session=session, ctx=org_a, survey_id=surveys["b"][0], teams=False)


def test_a_refused_answer_counts_nothing(org_a):
    team, members = team_with(org_a, "Delta", 5)
    survey_id = launch(org_a, [team])
    links = links_from_outbox(org_a)
    token = links[email_of(members[0])][0]
    services.submit_response(token=token, answers=westrum_answers(5), form_key="form-1")
    with pytest.raises(services.AlreadyReceived):  # the same form again: received once
        services.submit_response(token=token, answers=westrum_answers(5), form_key="form-1")
    with pytest.raises(Conflict):  # the link again, another form
        services.submit_response(token=token, answers=westrum_answers(5), form_key="form-2")
    with pytest.raises(Exception, match="Answer the question"):  # incomplete: nothing kept
        services.submit_response(
            token=links[email_of(members[1])][0], answers={k: 5 for k in ITEMS[:3]}
        )
    with tenant_session(org_a) as session:
        row = session.exec(select(SurveyTeam).where(SurveyTeam.survey_id == survey_id)).one()
    assert (row.responses, row.open_responses) == (1, 0)
    # The incomplete form's link still works: its failed answer was rolled back whole.
    services.submit_response(token=links[email_of(members[1])][0], answers=westrum_answers(4))
    with tenant_session(org_a) as session:
        row = session.exec(select(SurveyTeam).where(SurveyTeam.survey_id == survey_id)).one()
    assert row.responses == 2
