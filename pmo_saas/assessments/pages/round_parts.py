"""The results parts of a round page: radar charts (a team's, the organisation's) with their
tables, and the organisation radar computed from the teams' results.

The organisation's mean on a dimension is the mean of every raw answer given in the round
(each team's mean weighted by its number of answers), the same basis as the heat map's cells.
"""

from __future__ import annotations

from typing import Any

import reflex as rx

from pmo_saas.assessments import views
from pmo_saas.assessments.schemas import TeamResult
from pmo_saas.ui.charts import BASELINE, PRIMARY, chart_figure, figures_table, row_cells

ORG_RADAR_NAME = "Radar chart of the whole organisation"


def org_radar(results: list[TeamResult]) -> list[dict[str, Any]]:
    """One point per dimension: the round's mean over all teams' answers (0 when none)."""
    if not results:
        return []
    points = []
    for i, d in enumerate(results[0].dimensions):
        pairs = [
            (r.dimensions[i].mean, r.dimensions[i].answers)
            for r in results
            if i < len(r.dimensions) and r.dimensions[i].mean is not None
        ]
        answers = sum(n for _, n in pairs)
        mean = sum((m or 0) * n for m, n in pairs) / answers if answers else None
        points.append(
            {
                "dimension": d.name,
                views.THIS_ROUND: round(mean, 2) if mean is not None else 0,
                "mean": views.number(mean),
                "answers": answers,
            }
        )
    return points


def radar(
    name: str | rx.Var,
    data: rx.Var,
    scale_max: rx.Var | int,
    *,
    previous: rx.Var[bool] | bool = False,
    table: rx.Component | None = None,
) -> rx.Component:
    """A radar on the model's own scale (0 at the centre up to its top level), with a legend."""
    this_round = rx.recharts.radar(
        data_key=views.THIS_ROUND,
        name=views.THIS_ROUND,
        stroke=PRIMARY,
        fill=PRIMARY,
        fill_opacity=0.35,
        is_animation_active=False,
    )
    previous_round = rx.recharts.radar(
        data_key=views.PREVIOUS_ROUND,
        name=views.PREVIOUS_ROUND,
        stroke=BASELINE,
        stroke_dasharray="4 3",
        fill=BASELINE,
        fill_opacity=0.1,
        is_animation_active=False,
    )
    return chart_figure(
        name,
        rx.recharts.radar_chart(
            rx.recharts.polar_grid(),
            rx.recharts.polar_angle_axis(data_key="dimension"),
            rx.recharts.polar_radius_axis(domain=[0, scale_max], angle=90, tick_count=6),
            this_round,
            rx.cond(previous, previous_round),
            rx.recharts.legend(),
            data=data,
            width="100%",
            height=320,
        ),
        table,
        max_width="520px",
    )


def org_radar_section(data: rx.Var, scale_max: rx.Var) -> rx.Component:
    return rx.el.section(
        rx.heading("The whole organisation", size="4", as_="h2"),
        rx.text(
            "Each point is the mean of every answer given on that dimension, all teams together.",
            size="2",
            color_scheme="gray",
        ),
        radar(
            ORG_RADAR_NAME,
            data,
            scale_max,
            table=figures_table(
                ["Dimension", "Mean", "Answers"], data, row_cells("dimension", "mean", "answers")
            ),
        ),
        aria_label="The whole organisation",
        style={"width": "100%"},
    )
