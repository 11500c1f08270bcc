"""Feedback on the PMO: the built-in instrument, launched to every team, answered anonymously
through personal links, its trend per round (headline and statements) under the same rules as
any culture survey, and the dashboard's tile."""

from __future__ import annotations

import pytest

from pmo_saas.dashboard import services as dashboard
from pmo_saas.db import tenant_session
from pmo_saas.kernel.errors import Conflict, Forbidden
from pmo_saas.kernel.roles import Role
from pmo_saas.surveys import instruments as ins
from pmo_saas.surveys.models import Survey, SurveyTeam
from tests import factories
from tests.improvement.helpers import answer, launch_feedback, scores, trend
from tests.surveys.helpers import close, team_with


def test_the_instrument_asks_four_statements_and_a_comment():
    specs = ins.instrument_questions(ins.PMO)
    assert [s.key for s in specs] == ["coaching", "funding", "reports", "serves", "comment"]
    assert [s.kind for s in specs] == [ins.SCALE5] * 4 + [ins.TEXT]
    assert not specs[-1].required and all(s.required for s in specs[:4])


def test_a_round_goes_to_every_team_and_the_next_round_continues_the_series(org_a):
    team_one, _ = team_with(org_a, "One", 5)
    team_two, _ = team_with(org_a, "Two", 2)
    first = launch_feedback(org_a)
    with tenant_session(org_a) as session:
        teams = {t.team_id for t in session.exec(select_teams(first)).all()}
    assert teams == {team_one, team_two}
    with pytest.raises(Conflict):  # one round at a time
        launch_feedback(org_a)
    close(org_a, first)
    team_three, _ = team_with(org_a, "Three", 1)  # a team made since: asked in round 2
    second = launch_feedback(org_a)
    with tenant_session(org_a) as session:
        survey = session.get(Survey, second)
        assert survey is not None
        assert (survey.series_id, survey.round_number) == (first, 2)
        assert team_three in {t.team_id for t in session.exec(select_teams(second)).all()}


def select_teams(survey_id: int):
    from sqlmodel import select

    return select(SurveyTeam).where(SurveyTeam.survey_id == survey_id)


def test_the_trend_shows_the_score_and_each_statement_per_round_checked_by_hand(org_a):
    _, people = team_with(org_a, "One", 5)
    first = launch_feedback(org_a)
    answer(people, [scores(4, 2, 3, 5), scores(4, 2, 3, 4), scores(5, 3, 3, 4),
                    scores(3, 2, 4, 5), scores(4, 1, 2, 2)])  # fmt: skip
    close(org_a, first)
    launch_feedback(org_a)  # round 2 still running
    found = trend(org_a)
    assert [r.round_label for r in found.rounds] == ["Round 1", "Round 2"]
    one, two = found.rounds
    # coaching 20/5 = 4.0, funding 10/5 = 2.0, reports 15/5 = 3.0, serves 20/5 = 4.0
    assert one.questions == {"coaching": 4.0, "funding": 2.0, "reports": 3.0, "serves": 4.0}
    assert one.headline == 3.25 and one.responses == 5
    assert two.running and two.headline is None and "Still running" in two.hidden_reason


def test_a_round_below_the_threshold_shows_no_figure_at_all(org_a):
    _, people = team_with(org_a, "Small", 4)
    survey_id = launch_feedback(org_a)
    answer(people, [scores(5, 5, 5, 5)] * 4)
    close(org_a, survey_id)
    (point,) = trend(org_a).rounds
    assert point.headline is None and point.questions == {}
    assert "hidden" in point.hidden_reason.lower()
    tile = dashboard_for(org_a).pmo_feedback
    assert tile.value is None and tile.chart == []
    assert tile.table[0]["score"] == "hidden" and "5.00" not in str(tile.table)


def test_the_dashboard_tile_and_its_csv_show_the_rounds(org_a):
    _, people = team_with(org_a, "One", 5)
    viewer = factories.make_member(org_a, Role.VIEWER)
    first = launch_feedback(org_a)
    answer(people, [scores(3, 3, 3, 3)] * 5)
    close(org_a, first)
    second = launch_feedback(org_a)
    answer(people, [scores(4, 4, 4, 4)] * 4 + [scores(5, 5, 5, 5)])
    close(org_a, second)
    tile = dashboard_for(viewer).pmo_feedback  # viewers read the dashboard's aggregates
    assert tile.value == 4.2 and tile.change == 1.2
    assert [row["score"] for row in tile.chart] == [3.0, 4.2]
    assert tile.table[1]["coaching"] == "4.20" and tile.table[1]["responses"] == "5"
    with tenant_session(viewer) as session:
        text = dashboard.export_dashboard_csv(session=session, ctx=viewer, table="pmo_feedback")
    assert text.splitlines()[2].startswith("Round 2,5,4.20,4.20")


def test_members_cannot_launch_or_read_the_trend_and_another_org_sees_nothing(org_a, org_b):
    _, people = team_with(org_a, "One", 5)
    survey_id = launch_feedback(org_a)
    answer(people, [scores(2, 2, 2, 2)] * 5)
    close(org_a, survey_id)
    member = factories.make_member(org_a, Role.MEMBER)
    with pytest.raises(Forbidden):
        launch_feedback(member)
    with pytest.raises(Forbidden):
        trend(member)
    assert trend(org_b).rounds == []
    assert dashboard_for(org_b).pmo_feedback.table == []


def dashboard_for(ctx):
    with tenant_session(ctx) as session:
        return dashboard.build_dashboard(session=session, ctx=ctx)
