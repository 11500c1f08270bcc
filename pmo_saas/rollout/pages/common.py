"""Pieces the roll-out pages share: links, a wave's form fields, the progress badge and the
progress table."""

from __future__ import annotations

from typing import Any

import reflex as rx

from pmo_saas.identity.auth_state import AuthState
from pmo_saas.rollout.schemas import CheckCell, CriterionRow, TeamProgressRow, WaveRow
from pmo_saas.ui.components import field, text_area


def rollout_href(suffix: str | rx.Var = "") -> rx.Var:
    return "/o/" + AuthState.org_slug + "/rollout" + suffix


def wave_fields(wave: rx.Var[WaveRow] | None = None) -> list[rx.Component]:
    """Title, pilot flag, dates and notes: empty for a new wave (the roadmap), or `wave`'s
    values for its edit (the wave page); read back by `wave_values`."""

    def shown(name: str, attr: str) -> dict[str, Any]:
        return {} if wave is None else {name: getattr(wave, attr)}

    return [
        field("Wave title", "wave_title", **shown("default_value", "title")),
        rx.el.label(
            rx.el.input(
                type="checkbox",
                name="wave_pilot",
                **shown("default_checked", "is_pilot"),
            ),
            rx.text("This is the pilot", as_="span", size="2"),
            style={"display": "flex", "gap": "0.4em", "alignItems": "center"},
        ),
        rx.hstack(
            field(
                "Starts",
                "wave_starts",
                type="date",
                required=False,
                **shown("default_value", "starts_on"),
            ),
            field(
                "Ends",
                "wave_ends",
                type="date",
                required=False,
                **shown("default_value", "ends_on"),
            ),
            width="100%",
        ),
        text_area("Notes", "wave_notes", rows="3", **shown("default_value", "notes")),
    ]


def wave_values(form: dict) -> dict[str, Any]:
    """`wave_fields`' values as the waves service takes them."""
    return {
        "title": str(form.get("wave_title", "")),
        "is_pilot": bool(form.get("wave_pilot")),
        "starts_on": str(form.get("wave_starts", "")),
        "ends_on": str(form.get("wave_ends", "")),
        "notes": str(form.get("wave_notes", "")),
    }


def check_badge(cell: CheckCell) -> rx.Component:
    return rx.tooltip(
        rx.badge(
            cell.label,
            color_scheme=rx.match(
                cell.status, ("met", "green"), ("not_met", "red"), ("hidden", "gray"), "amber"
            ),
        ),
        content=rx.cond(
            cell.why != "", cell.why, rx.cond(cell.source != "", cell.source, cell.label)
        ),
    )


def _team_row(t: TeamProgressRow) -> rx.Component:
    return rx.table.row(
        rx.table.row_header_cell(t.team_name),
        rx.foreach(t.cells, lambda c: rx.table.cell(check_badge(c))),
        rx.table.cell(
            rx.text(t.summary, size="2"),
            rx.cond(t.ready, rx.badge("Ready", color_scheme="green")),
        ),
    )


def progress_table(
    name: str | rx.Var, criteria: rx.Var[list[CriterionRow]], teams: rx.Var[list[TeamProgressRow]]
) -> rx.Component:
    return rx.el.section(
        rx.scroll_area(
            rx.table.root(
                rx.table.header(
                    rx.table.row(
                        rx.table.column_header_cell("Team"),
                        rx.foreach(criteria, lambda c: rx.table.column_header_cell(c.text)),
                        rx.table.column_header_cell("Progress"),
                    )
                ),
                rx.table.body(rx.foreach(teams, _team_row)),
                size="1",
            ),
            type="auto",
            scrollbars="horizontal",
        ),
        aria_label=name,
        style={"width": "100%"},
    )
