"""The delivery page's charts, each followed by the same figures as a table (its text
alternative), and the figures and forecast cards. Pure components: the page passes its state."""

from __future__ import annotations

from typing import Any

import reflex as rx

from pmo_saas.delivery.columns import COLUMNS
from pmo_saas.ui.components import card, data_table, region
from pmo_saas.ui.palette import BASELINE, OKABE_ITO, PRIMARY

# ui/palette.py's colour-blind-safe series; the backlog grey like a baseline
COLOURS = {
    "backlog": BASELINE,
    "ready": OKABE_ITO[4],
    "doing": OKABE_ITO[0],
    "waiting": OKABE_ITO[1],
    "done": OKABE_ITO[2],
}


def _as_table(summary: str, name: str, headers: list[str], items: rx.Var, row: Any) -> rx.Component:
    return rx.el.details(
        rx.el.summary(summary),
        data_table(name, headers, items, row, size="1"),
        width="100%",
    )


def throughput_chart(s: Any) -> rx.Component:
    return region(
        "Throughput",
        rx.heading("Throughput per week", size="4", as_="h3"),
        rx.recharts.bar_chart(
            rx.recharts.bar(
                data_key="done", fill=PRIMARY, name="Items done", is_animation_active=False
            ),
            rx.recharts.x_axis(data_key="week", font_size=11, min_tick_gap=16),
            rx.recharts.y_axis(allow_decimals=False),
            rx.recharts.legend(),
            rx.recharts.graphing_tooltip(),
            data=s.throughput,
            width="100%",
            height=220,
        ),
        _as_table(
            "Throughput as a table",
            "Throughput table",
            ["Week of", "Items done"],
            s.throughput,
            lambda w: rx.table.row(rx.table.cell(w["week"]), rx.table.cell(w["done"])),
        ),
    )


def cycle_chart(s: Any) -> rx.Component:
    return region(
        "Cycle times",
        rx.heading("Cycle time of each done item", size="4", as_="h3"),
        rx.recharts.scatter_chart(
            rx.recharts.scatter(
                data=s.cycle_points,
                fill=PRIMARY,
                name="Cycle time (days)",
                is_animation_active=False,
            ),
            rx.recharts.x_axis(
                data_key="done", type_="category", name="Done", font_size=11, min_tick_gap=16
            ),
            rx.recharts.y_axis(data_key="days", type_="number", name="Days", allow_decimals=False),
            rx.recharts.legend(),
            rx.recharts.graphing_tooltip(),
            width="100%",
            height=240,
        ),
        _as_table(
            "Cycle times as a table",
            "Cycle time table",
            ["Done on", "Item", "Cycle time (days)"],
            s.cycle_points,
            lambda p: rx.table.row(
                rx.table.cell(p["done"]), rx.table.cell(p["title"]), rx.table.cell(p["days"])
            ),
        ),
    )


def cfd_chart(s: Any) -> rx.Component:
    areas = [
        rx.recharts.area(
            data_key=column,
            name=label,
            stack_id="1",
            stroke=COLOURS[column],
            fill=COLOURS[column],
            type_="monotone",
            is_animation_active=False,
        )
        for column, label in reversed(COLUMNS.items())
    ]
    return region(
        "Cumulative flow",
        rx.heading("Cumulative flow (last 90 days)", size="4", as_="h3"),
        rx.recharts.area_chart(
            *areas,
            rx.recharts.x_axis(data_key="day", font_size=11, min_tick_gap=16),
            rx.recharts.y_axis(allow_decimals=False),
            rx.recharts.legend(),
            rx.recharts.graphing_tooltip(),
            data=s.cfd,
            width="100%",
            height=260,
        ),
        _as_table(
            "Cumulative flow as a table",
            "Cumulative flow table",
            ["Day", *COLUMNS.values()],
            s.cfd,
            lambda d: rx.table.row(
                rx.table.cell(d["day"]), *[rx.table.cell(d[c]) for c in COLUMNS]
            ),
        ),
    )


def figures_card(s: Any) -> rx.Component:
    return card(
        rx.heading("Flow figures", size="4", as_="h3"),
        data_table(
            "Flow figures",
            ["Figure", "Value"],
            s.figures,
            lambda f: rx.table.row(rx.table.cell(f["label"]), rx.table.cell(f["value"])),
            size="1",
        ),
        width="100%",
    )


def forecast_card(s: Any) -> rx.Component:
    return card(
        region(
            "Forecast",
            rx.heading("Forecast beside the plan", size="4", as_="h3"),
            rx.text(s.forecast_sentence, weight="medium"),
            rx.text(
                "Planned end: ",
                rx.cond(s.planned_end != "", s.planned_end, "not set"),
            ),
            rx.cond(
                s.forecast_rows.length() > 0,
                data_table(
                    "Forecast dates",
                    ["Likelihood", "Done by"],
                    s.forecast_rows,
                    lambda r: rx.table.row(rx.table.cell(r["p"]), rx.table.cell(r["date"])),
                    size="1",
                ),
            ),
            rx.text(
                "History used (items done per week): ",
                s.forecast_history,
                size="1",
                color_scheme="gray",
            ),
        ),
        width="100%",
    )
