"""The summary parts of a survey's results page: headline figures, heat map, trend.

Stateless: the page passes its vars in, so the same parts could serve another results view.
"""

from __future__ import annotations

import reflex as rx

from pmo_saas.surveys.pages.common import GroupView, HeatRowView
from pmo_saas.ui.charts import PRIMARY, chart_figure


def _heat_row(row: HeatRowView) -> rx.Component:
    return rx.table.row(
        rx.table.row_header_cell(
            row.label,
            rx.cond(~row.visible, rx.text(row.hidden_reason, size="1", color_scheme="gray")),
        ),
        rx.foreach(
            row.cells,
            lambda cell: rx.table.cell(
                cell.text,
                aria_label=cell.label,
                style={"background": cell.background, "textAlign": "center"},
            ),
        ),
    )


def heat_map(columns: rx.Var[list[str]], rows: rx.Var[list[HeatRowView]]) -> rx.Component:
    return rx.cond(
        columns.length() > 0,
        rx.el.section(
            rx.heading("Heat map: teams by questions", size="4", as_="h2"),
            rx.text(
                "Each cell is the group's mean answer; red is low, green is high.",
                size="2",
                color_scheme="gray",
            ),
            rx.table.root(
                rx.table.header(
                    rx.table.row(
                        rx.table.column_header_cell("Group"),
                        rx.foreach(
                            columns,
                            lambda c: rx.table.column_header_cell(
                                rx.text(c, size="1"), style={"minWidth": "7em"}
                            ),
                        ),
                    )
                ),
                rx.table.body(rx.foreach(rows, _heat_row)),
                width="100%",
                size="1",
            ),
            aria_label="Heat map",
            style={"width": "100%", "overflowX": "auto"},
        ),
    )


def _trend_chart(chart_rows: rx.Var, has_domain: rx.Var[bool], domain: rx.Var) -> rx.Component:
    def chart(y_axis: rx.Component) -> rx.Component:
        return rx.recharts.line_chart(
            rx.recharts.cartesian_grid(stroke_dasharray="3 3"),
            rx.recharts.x_axis(data_key="round"),
            y_axis,
            rx.recharts.tooltip(),
            rx.recharts.legend(),
            rx.recharts.line(
                data_key="organisation",
                name="Whole organisation",
                stroke=PRIMARY,
                is_animation_active=False,
                connect_nulls=True,
            ),
            data=chart_rows,
            width="100%",
            height=220,
        )

    return rx.cond(
        has_domain,
        chart(rx.recharts.y_axis(domain=domain, allow_data_overflow=False)),
        chart(rx.recharts.y_axis()),
    )


def trend_section(
    chart_rows: rx.Var, trend_rows: rx.Var, has_domain: rx.Var[bool], domain: rx.Var
) -> rx.Component:
    # The table under the chart is its text alternative (it also names the teams shown).
    return rx.el.section(
        rx.heading("Trend across rounds", size="4", as_="h2"),
        chart_figure(
            "Trend of the whole organisation's headline figure across rounds",
            _trend_chart(chart_rows, has_domain, domain),
        ),
        rx.table.root(
            rx.table.header(
                rx.table.row(
                    *[
                        rx.table.column_header_cell(h)
                        for h in ("Round", "Closed", "Whole organisation", "Teams shown")
                    ]
                )
            ),
            rx.table.body(
                rx.foreach(
                    trend_rows,
                    lambda t: rx.table.row(
                        rx.table.row_header_cell(t.round_label),
                        rx.table.cell(t.closed),
                        rx.table.cell(t.org),
                        rx.table.cell(t.teams),
                    ),
                )
            ),
            width="100%",
            size="1",
        ),
        aria_label="Trend across rounds",
        style={"width": "100%"},
    )


def _headline_row(g: GroupView) -> rx.Component:
    return rx.table.row(
        rx.table.row_header_cell(g.label),
        rx.table.cell(g.responses),
        rx.table.cell(
            rx.cond(
                g.visible,
                rx.cond(g.headline_value != "", g.headline_value, "see the profile below"),
                "hidden",
            )
        ),
        rx.table.cell(rx.cond(g.visible, g.comparison, g.hidden_reason)),
    )


def headlines(org: rx.Var, teams: rx.Var[list[GroupView]]) -> rx.Component:
    """The summary first: every group's headline figure in one small table."""
    return rx.el.section(
        rx.heading("Headline figures", size="4", as_="h2"),
        rx.cond(
            org,
            rx.text(org.to(GroupView).headline_label, size="2", color_scheme="gray"),
        ),
        rx.table.root(
            rx.table.header(
                rx.table.row(
                    *[
                        rx.table.column_header_cell(h)
                        for h in ("Group", "Responses", "Headline", "Compared or hidden")
                    ]
                )
            ),
            rx.table.body(
                rx.cond(org, _headline_row(org.to(GroupView))),
                rx.foreach(teams, _headline_row),
            ),
            width="100%",
            size="1",
        ),
        aria_label="Headline figures",
        style={"width": "100%"},
    )
