"""eNPS, Westrum and OCAI scoring against values computed by hand."""

from __future__ import annotations

import pytest

from pmo_saas.surveys import scoring, services
from tests.surveys.helpers import close, email_of, launch, links_from_outbox, results, team_with


def test_enps_by_hand():
    # 10 answers: promoters 9,10,10 (3) - detractors 0,5,6,6 (4); passives 7,8,8 (3).
    hist = {0: 1, 5: 1, 6: 2, 7: 1, 8: 2, 9: 1, 10: 2}
    score, promoters, passives, detractors = scoring.enps(hist)
    assert (promoters, passives, detractors) == (30.0, 30.0, 40.0)
    assert score == pytest.approx(-10.0)
    assert scoring.enps({9: 4, 10: 1}) == (100.0, 100.0, 0.0, 0.0)
    assert scoring.enps({}) is None


def test_westrum_by_hand():
    # Item means 6, 5, 4 -> score 5. Item 1: (7+5)/2 = 6; item 2: (5+5)/2; item 3: (1+7)/2.
    assert scoring.westrum_score([{7: 1, 5: 1}, {5: 2}, {1: 1, 7: 1}]) == pytest.approx(5.0)
    assert scoring.mean({1: 1, 2: 1, 6: 1}) == pytest.approx(3.0)
    assert scoring.westrum_score([]) is None


def test_ocai_profile_by_hand():
    # Two dimensions, two respondents. Sums per dimension of the points both gave.
    sums = {
        "character": {
            "now:clan": 100,
            "now:adhocracy": 40,
            "now:market": 40,
            "now:hierarchy": 20,
            "preferred:clan": 80,
            "preferred:adhocracy": 80,
            "preferred:market": 20,
            "preferred:hierarchy": 20,
        },
        "leadership": {
            "now:clan": 60,
            "now:adhocracy": 20,
            "now:market": 80,
            "now:hierarchy": 40,
            "preferred:clan": 120,
            "preferred:adhocracy": 40,
            "preferred:market": 20,
            "preferred:hierarchy": 20,
        },
    }
    profile = scoring.ocai_profile(sums, respondents=2)
    # now clan: (100 + 60) / (2 dims * 2 people) = 40
    assert profile == {
        "now": {"clan": 40.0, "adhocracy": 15.0, "market": 30.0, "hierarchy": 15.0},
        "preferred": {"clan": 50.0, "adhocracy": 30.0, "market": 10.0, "hierarchy": 10.0},
    }
    assert sum(profile["now"].values()) == pytest.approx(100.0)


def _answer_all(ctx, members, answers_for):
    links = links_from_outbox(ctx)
    for n, m in enumerate(members):
        services.submit_response(token=links[email_of(m)][0], answers=answers_for(n))


def test_enps_through_the_database(org_a):
    team, members = team_with(org_a, "Alpha", 6)
    survey_id = launch(org_a, [team], instrument="enps")
    scores = [10, 9, 8, 6, 3, 10]  # 3 promoters, 1 passive, 2 detractors -> 50 - 33.3
    _answer_all(org_a, members, lambda n: {"enps": scores[n]})
    close(org_a, survey_id)
    org = results(org_a, survey_id).org
    assert org.headline.value == pytest.approx(16.7)
    assert org.headline.detail == "50% promoters, 17% passives, 33% detractors"
    bars = {b.label: b.count for b in org.questions[0].bars}
    assert bars["10"] == 2 and bars["6"] == 1 and sum(bars.values()) == 6


def test_westrum_through_the_database(org_a):
    team, members = team_with(org_a, "Alpha", 5)
    survey_id = launch(org_a, [team], instrument="westrum")
    items = ("information", "messengers", "responsibilities", "bridging", "inquiry", "novelty")
    # Person n answers n+1 on every item except novelty, which everyone answers 7.
    _answer_all(org_a, members, lambda n: {k: (7 if k == "novelty" else n + 1) for k in items})
    close(org_a, survey_id)
    org = results(org_a, survey_id).org
    means = {q.key: q.mean for q in org.questions}
    assert means["information"] == 3.0 and means["novelty"] == 7.0
    assert org.headline.value == pytest.approx((5 * 3.0 + 7.0) / 6, abs=0.005)


def test_ocai_through_the_database(org_a):
    team, members = team_with(org_a, "Alpha", 5)
    survey_id = launch(org_a, [team], instrument="ocai")
    dims = ("character", "leadership", "people", "glue", "emphasis", "success")

    def answers(n):
        now = {"clan": 10 * n, "adhocracy": 20, "market": 50 - 10 * n, "hierarchy": 30}
        return {
            d: {
                "now": now,
                "preferred": {"clan": 40, "adhocracy": 30, "market": 10, "hierarchy": 20},
            }
            for d in dims
        }

    _answer_all(org_a, members, answers)
    close(org_a, survey_id)
    headline = results(org_a, survey_id).org.headline
    # now clan: mean of 0, 10, 20, 30, 40 = 20; market: mean of 50..10 = 30.
    assert headline.ocai == {
        "now": {"clan": 20.0, "adhocracy": 20.0, "market": 30.0, "hierarchy": 30.0},
        "preferred": {"clan": 40.0, "adhocracy": 30.0, "market": 10.0, "hierarchy": 20.0},
    }
