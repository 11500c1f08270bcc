"""Chart frames shared by the pages: a labelled figure with its table behind a disclosure.

Every chart is drawn inside `chart_figure`: the figure is named for screen readers, and the
numbers it draws are one click away in a real table ("Show the figures as a table"), the text
alternative for readers who cannot see the chart. Colours come from ui/palette.py only.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import reflex as rx

from pmo_saas.ui.palette import BASELINE, OKABE_ITO, PRIMARY, SECONDARY, series_colour

__all__ = [
    "BASELINE",
    "OKABE_ITO",
    "PRIMARY",
    "SECONDARY",
    "chart_figure",
    "figures_table",
    "series_colour",
]

TABLE_SUMMARY = "Show the figures as a table"


def figures_table(
    headers: Sequence[str | rx.Var],
    rows: rx.Var | list[Any],
    render_row: Callable[[Any], rx.Component],
    *,
    summary: str | rx.Var = TABLE_SUMMARY,
) -> rx.Component:
    """The chart's numbers as a table, closed by default (the chart's text alternative)."""
    return rx.el.details(
        rx.el.summary(summary, class_name="pmo-summary"),
        rx.el.table(
            rx.el.thead(rx.el.tr(*[rx.el.th(h, scope="col") for h in headers])),
            rx.el.tbody(rx.foreach(rows, render_row)),
            class_name="pmo-small-table",
        ),
        class_name="pmo-figures",
    )


def chart_figure(
    name: str | rx.Var,
    chart: rx.Component,
    table: rx.Component | None = None,
    *,
    max_width: str = "100%",
) -> rx.Component:
    """A named figure: the chart, then the same numbers as a table behind a disclosure."""
    return rx.el.figure(
        chart,
        table if table is not None else rx.fragment(),
        aria_label=name,
        class_name="pmo-chart",
        style={"width": "100%", "maxWidth": max_width, "margin": 0},
    )


def row_cells(*keys: str) -> Callable[[Any], rx.Component]:
    """A table row from a chart record: its first key as the row header, the rest as cells."""

    def render(record: Any) -> rx.Component:
        head, *rest = keys
        return rx.el.tr(
            rx.el.th(record[head], scope="row"),
            *[rx.el.td(record[k]) for k in rest],
        )

    return render
