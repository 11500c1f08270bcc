"""A wave's teams against its criteria (figures worked out by hand in the comments), and
pilot teams against the rest under the anonymity rules, each figure with its team count."""

from __future__ import annotations

from pmo_saas.db import tenant_session
from pmo_saas.rollout.services import progress
from tests import factories
from tests.assessments.helpers import answered_round
from tests.rollout.helpers import compare, criterion, wave, wave_progress, westrum_survey
from tests.surveys.helpers import team_with


def test_each_team_against_the_exit_criteria_from_its_latest_round_and_survey(org_a):
    alpha, alpha_people = team_with(org_a, "Alpha", 3)
    beta, beta_people = team_with(org_a, "Beta", 3)
    gamma, gamma_people = team_with(org_a, "Gamma", 2)
    pilot = wave(org_a, "Pilot", [alpha, beta, gamma], pilot=True)
    flow = criterion(org_a, pilot, kind="exit", metric="maturity", key="flow", threshold=3)
    culture = criterion(
        org_a, pilot, kind="exit", metric="survey", instrument="westrum", threshold=5
    )
    overall = criterion(org_a, pilot, kind="entry", metric="maturity", operator=">", threshold=2)
    # An older round says Beta is ready; the latest one counts.
    answered_round(org_a, {beta: [(5, 5, 5)]}, title="Old")
    # Alpha: flow (4 + 4) / 2 = 4.00 >= 3 met; every dimension (4 + 4 + 3) / 3 = 3.67 > 2 met.
    # Beta: flow (2 + 3) / 2 = 2.50 not met; every dimension (2 + 3 + 5) / 3 = 3.33 met.
    # Gamma: in no closed round: no data.
    answered_round(org_a, {alpha: [(4, 4, 3)], beta: [(2, 3, 5)]}, title="Latest")
    # Westrum (threshold 3 responses): Alpha 6, 6, 5 on every item: (6 + 6 + 5) / 3 = 5.67
    # >= 5 met; Beta 4, 4, 4: 4.00 not met; Gamma: nobody answered, so hidden.
    westrum_survey(
        org_a,
        {alpha: [6, 6, 5], beta: [4, 4, 4]},
        {alpha: alpha_people, beta: beta_people, gamma: gamma_people},
    )
    result = wave_progress(org_a, pilot)
    by_team = {t.team_name: t for t in result.teams}
    cells = {name: {c.criterion_id: c for c in t.cells} for name, t in by_team.items()}
    assert (cells["Alpha"][flow].status, cells["Alpha"][flow].value) == ("met", 4.0)
    assert cells["Alpha"][flow].label == "4.00 met"
    assert "Latest" in cells["Alpha"][flow].source
    assert (cells["Alpha"][culture].status, cells["Alpha"][culture].value) == ("met", 5.67)
    assert round(cells["Alpha"][overall].value, 2) == 3.67
    assert (cells["Beta"][flow].status, cells["Beta"][flow].value) == ("not_met", 2.5)
    assert (cells["Beta"][culture].status, cells["Beta"][culture].value) == ("not_met", 4.0)
    assert round(cells["Beta"][overall].value, 2) == 3.33
    assert cells["Gamma"][flow].status == "no_data" and "No closed maturity round" in (
        cells["Gamma"][flow].why
    )
    assert cells["Gamma"][culture].status == "hidden" and cells["Gamma"][culture].value is None
    assert "fewer than 3 responses" in cells["Gamma"][culture].why
    assert (by_team["Alpha"].ready, by_team["Alpha"].summary) == (
        True,
        "2 of 2 exit criteria met, 1 of 1 entry",
    )
    assert not by_team["Beta"].ready and by_team["Beta"].exit_met == 0
    assert (result.ready_teams, result.summary) == (
        1,
        "1 of 3 teams meet every exit criterion.",
    )
    with tenant_session(org_a) as session:
        csv_text = progress.export_progress_csv(session=session, ctx=org_a)
    assert "Pilot,Gamma,Exit: Westrum organisational culture score >= 5.00,hidden,," in csv_text
    assert "Pilot,Alpha,Exit: maturity >= 3.00 in Flow,met,4.00," in csv_text


def test_pilot_against_the_rest_maturity_with_team_counts_and_small_groups_hidden(org_a):
    teams = [factories.make_team(org_a, f"T{i}") for i in range(7)]
    wave(org_a, "Pilot", teams[:3], pilot=True)
    wave(org_a, "Wave 1", teams[3:5])
    # Round 1: only two pilot teams answered: both groups hidden (the pilot has 2 < 3).
    answered_round(org_a, {teams[0]: [(1, 1, 1)], teams[1]: [(1, 1, 1)], teams[3]: [(2, 2, 2)],
                           teams[4]: [(2, 2, 2)], teams[5]: [(2, 2, 2)]}, title="R1")  # fmt: skip
    # Round 2: pilot T0 (5,5,4) (4,4,4) = 26, T1 (4,4,3) = 11, T2 (3,4,5) = 12:
    #   49 / 12 answers = 4.08; the rest T3 (2,2,2), T4 (3,2,1), T5 (1,2,3): 18 / 9 = 2.00.
    #   T6 (in no wave) did not answer: the rest rests on 3 of its 4 teams.
    answered_round(
        org_a,
        {
            teams[0]: [(5, 5, 4), (4, 4, 4)],
            teams[1]: [(4, 4, 3)],
            teams[2]: [(3, 4, 5)],
            teams[3]: [(2, 2, 2)],
            teams[4]: [(3, 2, 1)],
            teams[5]: [(1, 2, 3)],
        },
        title="R2",
    )
    result = compare(org_a)
    assert (result.pilot_teams, result.rest_teams, result.threshold) == (3, 4, 3)
    first, second = result.maturity
    assert first.source == "R1" and first.pilot.mean is None and first.rest.mean is None
    assert (first.pilot.label, first.rest.label) == ("hidden (2 teams)", "hidden (3 teams)")
    assert "at least 3 teams" in first.reason
    assert second.source == "R2"
    assert round(second.pilot.mean, 4) == round(49 / 12, 4) and second.rest.mean == 2.0
    assert (second.pilot.label, second.rest.label) == ("4.08 (3 teams)", "2.00 (3 teams)")


def test_culture_trend_counts_only_teams_the_survey_shows(org_a):
    alpha, alpha_people = team_with(org_a, "Alpha", 3)
    beta, beta_people = team_with(org_a, "Beta", 3)
    delta, delta_people = team_with(org_a, "Delta", 3)
    wave(org_a, "Pilot", [alpha, beta], pilot=True)
    # Alpha 6, 6, 6 -> 6.00; Beta nobody answered (hidden); Delta (the rest) 3, 3, 3 -> 3.00.
    westrum_survey(
        org_a,
        {alpha: [6, 6, 6], delta: [3, 3, 3]},
        {alpha: alpha_people, beta: beta_people, delta: delta_people},
    )
    (trend,) = compare(org_a).culture
    assert trend.instrument == "westrum"
    (point,) = trend.points
    assert point.pilot.mean == 6.0 and point.pilot.counted == 1 and point.pilot.teams == 2
    assert point.pilot.label == "6.00 (1 of 2 teams, 3 responses)"
    assert (point.rest.mean, point.rest.label) == (3.0, "3.00 (1 team, 3 responses)")


def test_another_organisations_rounds_and_surveys_never_count(org_a, org_b):
    mine = [factories.make_team(org_a, f"A{i}") for i in range(6)]
    wave(org_a, "Pilot", mine[:3], pilot=True)
    theirs = [factories.make_team(org_b, f"B{i}") for i in range(6)]
    wave(org_b, "Pilot", theirs[:3], pilot=True)
    answered_round(org_a, {t: [(4, 4, 4)] for t in mine})
    answered_round(org_b, {t: [(1, 1, 1)] for t in theirs})
    (point,) = compare(org_a).maturity
    assert (point.pilot.mean, point.rest.mean) == (4.0, 4.0)
