"""Pieces the roll-out pages share: links, the progress badge and the progress table."""

from __future__ import annotations

import reflex as rx

from pmo_saas.identity.auth_state import AuthState
from pmo_saas.rollout.schemas import CheckCell, CriterionRow, TeamProgressRow


def rollout_href(suffix: str | rx.Var = "") -> rx.Var:
    return "/o/" + AuthState.org_slug + "/rollout" + suffix


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
