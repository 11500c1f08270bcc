"""Display shapes for the assessment pages: service results turned into text and colours.

Plain Python (no Reflex): numbers are formatted and heat-map colours chosen here, on the
server, so the pages only lay out strings and the tests can check them without a browser.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel

from pmo_saas.assessments.schemas import DimensionStats, HeatMap, TeamProgress, TeamResult
from pmo_saas.kernel.formatting import fixed, signed_fixed
from pmo_saas.ui import palette

NO_VALUE = "-"
HIDDEN = "hidden"
# radar series names (recharts shows the data key in the legend)
THIS_ROUND = "This round"
PREVIOUS_ROUND = "Previous round"


class ResultRowView(BaseModel):
    dimension_id: int
    dimension_key: str = ""
    name: str
    respondents: int
    mean: str
    median: str
    minimum: str
    maximum: str
    stddev: str
    distribution: str
    previous: str
    change: str
    is_focus: bool
    colour: str
    trend: str
    comments: list[str]


class TeamResultView(BaseModel):
    team_id: int
    team_name: str
    respondents: int
    has_previous: bool
    spread_note: str
    scale_max: int
    # one point per dimension: {dimension, This round, Previous round} (recharts reads dicts)
    radar: list[dict[str, Any]]
    rows: list[ResultRowView]


class HeatCellView(BaseModel):
    text: str
    background: str
    label: str


class HeatRowView(BaseModel):
    team_name: str
    cells: list[HeatCellView]


class HeatMapView(BaseModel):
    dimensions: list[str]
    rows: list[HeatRowView]


class ProgressView(BaseModel):
    team_id: int
    team_name: str
    invited: int
    started: int
    submitted: int
    percent: int
    summary: str


def number(value: float | None) -> str:
    return fixed(value, empty=NO_VALUE)


def signed(value: float | None) -> str:
    return signed_fixed(value, empty=NO_VALUE)


def _row(d: DimensionStats, scale_min: int) -> ResultRowView:
    hidden = HIDDEN if d.spread_hidden and d.answers else NO_VALUE
    return ResultRowView(
        dimension_id=d.dimension_id,
        dimension_key=d.dimension_key,
        name=d.name,
        respondents=d.respondents,
        mean=number(d.mean),
        median=number(d.median),
        minimum=hidden if d.minimum is None else str(d.minimum),
        maximum=hidden if d.maximum is None else str(d.maximum),
        stddev=hidden if d.stddev is None else number(d.stddev),
        distribution=(
            " · ".join(f"{scale_min + i}: {n}" for i, n in enumerate(d.distribution))
            if d.distribution
            else hidden
        ),
        previous=number(d.previous_mean),
        change=signed(d.change),
        is_focus=d.is_focus,
        colour=d.colour,
        trend=d.trend,
        comments=d.comments,
    )


def team_result_view(result: TeamResult) -> TeamResultView:
    hidden = any(d.spread_hidden and d.answers for d in result.dimensions)
    return TeamResultView(
        team_id=result.team_id,
        team_name=result.team_name,
        respondents=result.respondents,
        has_previous=result.previous_round_id is not None,
        scale_max=result.scale_max,
        spread_note=(
            "Spread, distribution and comments are hidden where fewer than 3 people answered."
            if hidden
            else ""
        ),
        radar=[
            {
                "dimension": d.name,
                THIS_ROUND: round(d.mean, 2) if d.mean is not None else 0,
                PREVIOUS_ROUND: round(d.previous_mean, 2) if d.previous_mean is not None else 0,
            }
            for d in result.dimensions
        ],
        rows=[_row(d, result.scale_min) for d in result.dimensions],
    )


def heat_colour(mean: float | None, scale_min: int, scale_max: int) -> str:
    """Pale orange (low) to blue (high) on the model's scale; grey when empty (ui/palette.py)."""
    return palette.heat_colour(mean, scale_min, scale_max)


def heat_map_view(heat: HeatMap, scale_min: int, scale_max: int) -> HeatMapView:
    means = {(c.team_id, c.dimension_id): c.mean for c in heat.cells}
    rows = []
    for team_id, team_name in heat.teams:
        cells = []
        for dimension_id, dimension_name in heat.dimensions:
            mean = means.get((team_id, dimension_id))
            cells.append(
                HeatCellView(
                    text=number(mean),
                    background=heat_colour(mean, scale_min, scale_max),
                    label=f"{team_name}, {dimension_name}: {number(mean)}",
                )
            )
        rows.append(HeatRowView(team_name=team_name, cells=cells))
    return HeatMapView(dimensions=[name for _, name in heat.dimensions], rows=rows)


def progress_view(progress: TeamProgress) -> ProgressView:
    percent = round(100 * progress.submitted / progress.invited) if progress.invited else 0
    return ProgressView(
        team_id=progress.team_id,
        team_name=progress.team_name,
        invited=progress.invited,
        started=progress.started,
        submitted=progress.submitted,
        percent=percent,
        summary=f"{progress.submitted} of {progress.invited} submitted",
    )
