"""The organisation radar of a round page: every answer counted once, all teams together."""

from __future__ import annotations

from pmo_saas.assessments import views
from pmo_saas.assessments.pages.round_parts import org_radar
from pmo_saas.assessments.schemas import DimensionStats, TeamResult


def _stats(name: str, mean: float | None, answers: int) -> DimensionStats:
    return DimensionStats(
        dimension_id=hash(name) % 1000,
        dimension_key=name.lower(),
        name=name,
        respondents=answers,
        answers=answers,
        mean=mean,
        median=mean,
        minimum=None,
        maximum=None,
        stddev=None,
        distribution=[],
        spread_hidden=True,
    )


def _team(team_id: int, dims: list[DimensionStats]) -> TeamResult:
    return TeamResult(
        round_id=1,
        team_id=team_id,
        team_name=f"T{team_id}",
        respondents=3,
        previous_round_id=None,
        scale_min=1,
        scale_max=5,
        dimensions=dims,
    )


def test_org_radar_weights_each_team_by_its_answers():
    alpha = _team(1, [_stats("Flow", 20 / 6, 6), _stats("Quality", 3.0, 3)])
    beta = _team(2, [_stats("Flow", 1.5, 2), _stats("Quality", None, 0)])
    points = org_radar([alpha, beta])
    assert [p["dimension"] for p in points] == ["Flow", "Quality"]
    assert points[0]["mean"] == "2.88"  # (20 + 3) / 8, not the mean of the two means (2.42)
    assert points[0][views.THIS_ROUND] == 2.88
    assert points[0]["answers"] == 8
    # a team without answers on a dimension does not pull it down
    assert points[1]["mean"] == "3.00"
    assert points[1]["answers"] == 3


def test_org_radar_of_a_round_without_teams_is_empty_and_unanswered_is_a_dash():
    assert org_radar([]) == []
    (point,) = org_radar([_team(1, [_stats("Flow", None, 0)])])
    assert point["mean"] == views.NO_VALUE
    assert point[views.THIS_ROUND] == 0
