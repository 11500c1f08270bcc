"""The dashboard's "Feedback on the PMO" tile: the PMO service score of the latest round with
its change, and the trend of the score and of each statement per round, as a chart with its
numbers as a table (the chart's text alternative)."""

from __future__ import annotations

from typing import Any

import reflex as rx

from pmo_saas.surveys.services.pmo_feedback import PMO_QUESTION_LABELS
from pmo_saas.ui.charts import PRIMARY, chart_figure, figures_table, series_colour

# (key, label) of the statements, fixed by the instrument: the chart's lines are static.
STATEMENTS = list(PMO_QUESTION_LABELS.items())
SCORE = "PMO service score (1-5)"


def _table_row(row: Any) -> rx.Component:
    return rx.el.tr(
        rx.el.th(row["round"], scope="row"),
        rx.el.td(row["responses"]),
        rx.el.td(row["score"]),
        *[rx.el.td(row[key]) for key, _ in STATEMENTS],
        rx.el.td(row["note"]),
    )


def pmo_feedback_body(s: type) -> rx.Component:
    """`s` is a DashboardView state: `pmo_title`, `pmo_value`, `pmo_change`, `pmo_reason`,
    `pmo_chart`, `pmo_table`."""
    lines = [
        rx.recharts.line(
            data_key="score", name=SCORE, stroke=PRIMARY, stroke_width=3, is_animation_active=False
        ),
        *[
            rx.recharts.line(
                data_key=key,
                name=label,
                stroke=series_colour(n + 1),
                is_animation_active=False,
            )
            for n, (key, label) in enumerate(STATEMENTS)
        ],
    ]
    body = rx.vstack(
        rx.text(SCORE, size="2", color_scheme="gray"),
        rx.text(s.pmo_value, size="7", weight="bold", aria_label=SCORE),
        rx.cond(s.pmo_reason != "", rx.text(s.pmo_reason, size="1")),
        rx.cond(
            s.pmo_change != "",
            rx.text("Change since the previous round: ", s.pmo_change, size="1"),
        ),
        rx.text(s.pmo_title, size="1", color_scheme="gray"),
        chart_figure(
            "Feedback on the PMO, round by round",
            rx.recharts.line_chart(
                *lines,
                rx.recharts.x_axis(data_key="round"),
                rx.recharts.y_axis(domain=[1, 5], width=30),
                rx.recharts.legend(),
                rx.recharts.graphing_tooltip(),
                data=s.pmo_chart,
                width="100%",
                height=220,
            ),
            figures_table(
                ["Round", "Responses", SCORE, *[label for _, label in STATEMENTS], "Note"],
                s.pmo_table,
                _table_row,
            ),
        ),
        spacing="1",
        align="start",
        width="100%",
    )
    return rx.cond(
        s.pmo_table.length() > 0,
        body,
        rx.text(
            "How the teams rate the PMO's coaching, funding decisions and reports shows here "
            "once a round of feedback on the PMO has closed.",
            size="2",
            color_scheme="gray",
        ),
    )
