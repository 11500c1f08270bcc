"""The monthly report: the dashboard's key figures on one printable page."""

from __future__ import annotations

from typing import Any

import reflex as rx

from pmo_saas.dashboard import services
from pmo_saas.dashboard.pages.dashboard import (
    WorkspaceDashboard,
    delivery_attention_table,
    response_rates_table,
)
from pmo_saas.identity.auth_state import AuthState
from pmo_saas.ui.components import data_table, error_callout


class ReportState(WorkspaceDashboard, rx.State):
    month: str = ""

    @rx.event
    async def load(self) -> None:
        self.month = services.month_label()
        await self._load()


def _report_row(label: str, value: Any) -> rx.Component:
    return rx.table.row(rx.table.row_header_cell(label), rx.table.cell(value))


@rx.page(
    route="/o/[slug]/dashboard/report",
    title="Monthly report",
    on_load=[AuthState.load_workspace, ReportState.load],
)
def report_page() -> rx.Component:
    s = ReportState
    return rx.box(
        rx.vstack(
            rx.hstack(
                rx.heading("Monthly report: ", s.org_name, size="7", as_="h1"),
                rx.spacer(),
                rx.button(
                    "Print", on_click=rx.call_script("window.print()"), class_name="no-print"
                ),
                width="100%",
            ),
            rx.text(s.month, " · figures as of ", s.generated_at, color_scheme="gray"),
            error_callout(s.error),
            rx.el.section(
                rx.table.root(
                    rx.table.body(
                        _report_row("Budget", s.budget_text),
                        _report_row("Funded (published plan)", s.funded_text),
                        _report_row("Budget used", s.budget_used.to_string() + "%"),
                        _report_row("Initiatives", s.initiatives_total),
                        _report_row("Open risks", s.open_risks),
                        _report_row(
                            "Teams assessed",
                            s.teams_assessed.to_string() + " of " + s.teams_total.to_string(),
                        ),
                        _report_row("Latest maturity", s.maturity_overall),
                        _report_row("Active coaching plans", s.plans_active),
                        _report_row("Plans overdue", s.plans_overdue),
                        _report_row("Training coverage", s.trained_percent.to_string() + "%"),
                        _report_row(
                            "Delivery: on track / at risk / late",
                            s.delivery_on_track.to_string()
                            + " / "
                            + s.delivery_at_risk.to_string()
                            + " / "
                            + s.delivery_late.to_string(),
                        ),
                        _report_row("Delivery: spend vs budget", s.delivery_spend_text),
                        _report_row("Delivery: forecast after plan", s.delivery_forecast_after),
                    ),
                    width="100%",
                ),
                aria_label="Key figures",
                style={"width": "100%"},
            ),
            rx.heading("Culture", size="4", as_="h2"),
            rx.foreach(
                s.culture,
                lambda f: rx.text(
                    f.label,
                    ": ",
                    rx.cond(f.value, f.value.to_string(), "hidden"),
                    " (",
                    f.survey_title,
                    ")",
                ),
            ),
            rx.heading("Top risks", size="4", as_="h2"),
            data_table(
                "Top risks",
                ["Risk", "Initiative", "Exposure", "Status"],
                s.risks,
                lambda r: rx.table.row(
                    rx.table.cell(r.title),
                    rx.table.cell(r.initiative),
                    rx.table.cell(r.exposure),
                    rx.table.cell(r.status),
                ),
                size="1",
            ),
            rx.heading("Response rates", size="4", as_="h2"),
            response_rates_table(s),
            rx.heading("Delivery", size="4", as_="h2"),
            delivery_attention_table(s),
            rx.el.style("@media print { .no-print { display: none !important; } }"),
            width="100%",
            max_width="900px",
            align="start",
            spacing="3",
        ),
        padding="2em",
    )
