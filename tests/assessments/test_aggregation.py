"""Aggregation with hand-computed values, including missing answers."""

from __future__ import annotations

import math
import statistics

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pmo_saas.assessments import aggregation
from pmo_saas.assessments.services import results
from pmo_saas.db import tenant_session
from pmo_saas.kernel.context import TenantContext
from pmo_saas.kernel.roles import Role
from tests import factories
from tests.assessments import helpers


def test_stats_by_hand() -> None:
    # answers 1, 2, 2, 5: mean 10/4, median (2+2)/2, variance (2.25+0.25+0.25+6.25)/4
    stats = aggregation.stats_from_counts({1: 1, 2: 2, 5: 1})
    assert stats.answers == 4
    assert stats.mean == 2.5
    assert stats.median == 2.0
    assert (stats.minimum, stats.maximum) == (1, 5)
    assert stats.stddev == 1.5


def test_stats_of_odd_count_and_single_answer() -> None:
    assert aggregation.stats_from_counts({4: 3}).median == 4.0
    one = aggregation.stats_from_counts({3: 1})
    assert (one.mean, one.median, one.stddev) == (3.0, 3.0, 0.0)


def test_stats_of_no_answers() -> None:
    stats = aggregation.stats_from_counts({})
    assert stats == aggregation.Stats(0, None, None, None, None, None)
    assert aggregation.distribution({}, 1, 5) == [0, 0, 0, 0, 0]


@settings(max_examples=60, deadline=None)
@given(st.lists(st.integers(min_value=1, max_value=5), min_size=1, max_size=40))
def test_stats_match_the_statistics_module(values: list[int]) -> None:
    counts: dict[int, int] = {}
    for v in values:
        counts[v] = counts.get(v, 0) + 1
    stats = aggregation.stats_from_counts(counts)
    assert stats.mean == pytest.approx(statistics.fmean(values))
    assert stats.median == pytest.approx(statistics.median(values))
    assert stats.stddev == pytest.approx(statistics.pstdev(values))
    assert sum(aggregation.distribution(counts, 1, 5)) == len(values)


def test_health_colour_and_trend() -> None:
    assert aggregation.health_colour(3.0) == "green"
    assert aggregation.health_colour(2.4) == "amber"
    assert aggregation.health_colour(1.2) == "red"
    assert aggregation.health_colour(None) == ""
    assert aggregation.trend_word(3, 1, 1) == "improving"
    assert aggregation.trend_word(0, 2, 2) == "worsening"
    assert aggregation.trend_word(1, 0, 1) == "stable"


def test_team_result_from_raw_answers_with_missing_ones(org_a: TenantContext) -> None:
    a, b, c = (helpers.person(org_a, Role.MEMBER) for _ in range(3))
    team = factories.make_team(org_a, "Alpha", members=[a, b, c])
    model_id = helpers.small_model(org_a)
    round_id = helpers.start(org_a, model_id, [team])
    helpers.answer(a, round_id, team, {"F1": 2, "F2": 4, "Q1": 5})
    helpers.answer(b, round_id, team, {"F1": 3, "Q1": 4})  # skipped F2
    helpers.answer(c, round_id, team, {"F1": 5, "F2": 5})  # skipped Q1
    with tenant_session(org_a) as session:
        result = results.team_result(session=session, ctx=org_a, round_id=round_id, team_id=team)
        heat = results.heat_map(session=session, ctx=org_a, round_id=round_id)
        scores = results.team_dimension_scores(
            session=session, ctx=org_a, round_id=round_id, team_id=team
        )
    flow, quality = result.dimensions
    # Flow: answers 2, 4, 3, 5, 5
    assert (flow.respondents, flow.answers) == (3, 5)
    assert flow.mean == pytest.approx(3.8)
    assert flow.median == 4.0
    assert (flow.minimum, flow.maximum) == (2, 5)
    assert flow.stddev == pytest.approx(math.sqrt(6.8 / 5))
    assert flow.distribution == [0, 1, 1, 1, 2]
    assert not flow.spread_hidden
    # Quality: answers 5, 4 from two people -> spread hidden
    assert (quality.respondents, quality.answers) == (2, 2)
    assert quality.mean == 4.5 and quality.median == 4.5
    assert quality.spread_hidden
    assert (quality.minimum, quality.maximum, quality.stddev) == (None, None, None)
    assert quality.distribution == []
    assert result.respondents == 3
    # The heat map averages raw answers: 19/5 = 3.8, not the mean of people's means (3.67).
    assert heat.value(team, flow.dimension_id) == pytest.approx(3.8)
    assert heat.value(team, quality.dimension_id) == pytest.approx(4.5)
    assert [(s.dimension_key, s.mean, s.respondents) for s in scores] == [
        ("flow", pytest.approx(3.8), 3),
        ("quality", pytest.approx(4.5), 2),
    ]


def test_dimension_nobody_answered(org_a: TenantContext) -> None:
    a = helpers.person(org_a, Role.MEMBER)
    team = factories.make_team(org_a, "Solo", members=[a])
    round_id = helpers.start(org_a, helpers.small_model(org_a), [team])
    helpers.answer(a, round_id, team, {"Q1": 3})
    with tenant_session(org_a) as session:
        result = results.team_result(session=session, ctx=org_a, round_id=round_id, team_id=team)
    flow = result.dimensions[0]
    assert (flow.mean, flow.median, flow.respondents, flow.answers) == (None, None, 0, 0)
    assert flow.spread_hidden
