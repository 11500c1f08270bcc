"""What the pages show: numbers formatted, hidden spread said so, heat-map colours by scale."""

from __future__ import annotations

from pmo_saas.assessments import views
from pmo_saas.assessments.schemas import (
    DimensionStats,
    HeatMap,
    HeatMapCell,
    TeamProgress,
    TeamResult,
)


def _stats(**kw) -> DimensionStats:  # type: ignore[no-untyped-def]
    base = dict(
        dimension_id=1,
        dimension_key="flow",
        name="Flow",
        respondents=3,
        answers=6,
        mean=10 / 3,
        median=3.5,
        minimum=2,
        maximum=5,
        stddev=1.1055,
        distribution=[0, 2, 1, 2, 1],
        spread_hidden=False,
    )
    base.update(kw)
    return DimensionStats(**base)


def test_team_result_view_formats_numbers_and_change():
    result = TeamResult(
        round_id=1,
        team_id=7,
        team_name="Alpha",
        respondents=3,
        previous_round_id=None,
        scale_min=1,
        scale_max=5,
        dimensions=[
            _stats(previous_mean=3.0, change=1 / 3),
            _stats(
                dimension_id=2,
                name="Quality",
                respondents=2,
                minimum=None,
                maximum=None,
                stddev=None,
                distribution=[],
                spread_hidden=True,
                mean=4.0,
                median=4.0,
            ),
            _stats(
                dimension_id=3,
                name="Empty",
                respondents=0,
                answers=0,
                mean=None,
                median=None,
                minimum=None,
                maximum=None,
                stddev=None,
                distribution=[],
                spread_hidden=True,
            ),
        ],
    )
    view = views.team_result_view(result)
    flow, quality, empty = view.rows
    assert (flow.mean, flow.median, flow.minimum, flow.maximum, flow.stddev) == (
        "3.33",
        "3.50",
        "2",
        "5",
        "1.11",
    )
    assert flow.distribution == "1: 0 · 2: 2 · 3: 1 · 4: 2 · 5: 1"
    assert (flow.previous, flow.change) == ("3.00", "+0.33")
    assert (quality.minimum, quality.stddev, quality.distribution) == ("hidden",) * 3
    assert (empty.mean, empty.minimum, empty.change) == ("-", "-", "-")
    assert "fewer than 3" in view.spread_note
    assert view.radar[0] == {"dimension": "Flow", "This round": 3.33, "Previous round": 3.0}
    assert view.radar[2] == {"dimension": "Empty", "This round": 0, "Previous round": 0}


def test_signed_change():
    assert views.signed(-0.5) == "-0.50"
    assert views.signed(0.001) == "±0.00"
    assert views.signed(None) == "-"


def test_heat_map_view_keeps_alphabetical_rows_and_colours_by_scale():
    heat = HeatMap(
        round_id=1,
        teams=[(1, "Alpha"), (2, "Beta")],
        dimensions=[(10, "Flow"), (11, "Quality")],
        cells=[
            HeatMapCell(team_id=1, dimension_id=10, mean=1.0, answers=2),
            HeatMapCell(team_id=1, dimension_id=11, mean=5.0, answers=1),
            HeatMapCell(team_id=2, dimension_id=10, mean=3.0, answers=4),
        ],
    )
    view = views.heat_map_view(heat, 1, 5)
    assert view.dimensions == ["Flow", "Quality"]
    assert [r.team_name for r in view.rows] == ["Alpha", "Beta"]
    assert [[c.text for c in r.cells] for r in view.rows] == [["1.00", "5.00"], ["3.00", "-"]]
    # Okabe-Ito friendly: strong orange at the bottom, strong blue at the top, neutral between
    assert view.rows[0].cells[0].background == "hsl(35, 75%, 84%)"
    assert view.rows[0].cells[1].background == "hsl(205, 75%, 84%)"
    assert view.rows[1].cells[0].background == "hsl(205, 0%, 84%)"
    assert view.rows[1].cells[1].background == "var(--gray-a3)"
    assert view.rows[1].cells[0].label == "Beta, Flow: 3.00"


def test_progress_view():
    p = views.progress_view(
        TeamProgress(team_id=1, team_name="Alpha", invited=3, started=2, submitted=1)
    )
    assert (p.percent, p.summary) == (33, "1 of 3 submitted")
