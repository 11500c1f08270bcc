"""One initiative's plan beside what happened (pages/plan.py holds the state): RAG with its
reason and history, spend per month or by CSV, the funding tranches and the gates' releases,
the delivery approach and a traditional project's baseline with its earned value."""

from __future__ import annotations

import reflex as rx

from pmo_saas.delivery.pages.plan import (
    APPROACH_CHOICES,
    CAN_WRITE,
    RAG_CHOICES,
    PlanState,
    facts_table,
    field,
)
from pmo_saas.identity.auth_state import AuthState
from pmo_saas.identity.shell import workspace
from pmo_saas.portfolio.pages.common import portfolio_href, portfolio_nav
from pmo_saas.ui.components import (
    card,
    data_table,
    error_callout,
    info_callout,
    labelled,
    labelled_select,
    page_heading,
    text_area,
)
from pmo_saas.ui.dialogs import busy_button, progress_bar


def _rag_card() -> rx.Component:
    s = PlanState
    return card(
        rx.heading("RAG status", size="4", as_="h2"),
        rx.text(
            "Now: ",
            rx.text.strong(s.rag_label),
            rx.cond(s.rag_reason != "", " - " + s.rag_reason, ""),
        ),
        rx.cond(
            CAN_WRITE,
            rx.form(
                rx.vstack(
                    labelled_select("RAG", "rag", RAG_CHOICES, default="green"),
                    text_area("Reason", "reason", rows="2"),
                    rx.button("Save RAG status", type="submit"),
                    align="start",
                    width="100%",
                ),
                on_submit=s.save_rag,
                key="rag-" + s.form_version.to_string(),
                width="100%",
            ),
        ),
        data_table(
            "RAG history",
            ["When", "RAG", "Reason", "By"],
            s.rag_history,
            lambda r: rx.table.row(
                rx.table.cell(r.set_at),
                rx.table.cell(r.rag_label),
                rx.table.cell(r.reason),
                rx.table.cell(r.set_by),
            ),
            size="1",
            empty="No RAG status yet.",
        ),
        width="100%",
    )


def _spend_card() -> rx.Component:
    s = PlanState
    return card(
        rx.heading("Spend and funding", size="4", as_="h2"),
        rx.text(s.tranche_message, color_scheme=rx.cond(s.flagged, "red", "gray")),
        data_table(
            "Funding tranches",
            ["Tranche", "Amount", "Status", "Released on"],
            s.tranches,
            lambda t: rx.table.row(
                rx.table.cell(t.position),
                rx.table.cell(t.amount),
                rx.table.cell(t.status),
                rx.table.cell(t.released_on),
            ),
            size="1",
            empty="No tranches.",
        ),
        data_table(
            "Spend by month",
            ["Month", "Amount", "Source"],
            s.spend,
            lambda r: rx.table.row(
                rx.table.cell(r.month), rx.table.cell(r.amount), rx.table.cell(r.source)
            ),
            size="1",
            empty="No spend recorded.",
        ),
        rx.cond(
            CAN_WRITE,
            rx.vstack(
                rx.form(
                    rx.hstack(
                        field("Month (YYYY-MM)", "month", width="8em"),
                        field("Amount", "amount", width="10em"),
                        rx.button("Record spend", type="submit"),
                        align="end",
                        wrap="wrap",
                    ),
                    on_submit=s.save_spend,
                    key="spend-" + s.form_version.to_string(),
                ),
                rx.form(
                    text_area("Spend CSV (month,amount)", "csv", rows="3"),
                    busy_button(
                        "Import spend", busy=s.importing_spend, type="submit", margin_top="0.5em"
                    ),
                    progress_bar("Importing spend…", s.spend_progress, shown=s.importing_spend),
                    on_submit=s.import_spend,
                    key="csv-" + s.form_version.to_string(),
                    width="100%",
                ),
                rx.form(
                    rx.hstack(
                        field("Actual start", "actual_start", type="date"),
                        field("Actual end", "actual_end", type="date"),
                        rx.button("Save actual dates", type="submit"),
                        align="end",
                        wrap="wrap",
                    ),
                    on_submit=s.save_dates,
                    key="dates-" + s.form_version.to_string(),
                ),
                width="100%",
                align="start",
            ),
        ),
        width="100%",
    )


def _approach_card() -> rx.Component:
    s = PlanState
    return card(
        rx.heading("Traditional baseline and earned value", size="4", as_="h2"),
        rx.cond(
            AuthState.is_coach,
            labelled(
                "Delivery approach",
                "field-approach",
                rx.el.select(
                    *[rx.el.option(label, value=value) for value, label in APPROACH_CHOICES],
                    id="field-approach",
                    value=s.approach,
                    on_change=s.save_approach,
                    class_name="pmo-select",
                ),
            ),
        ),
        rx.cond(
            s.approach == "traditional",
            rx.vstack(
                rx.cond(s.ev.length() > 0, facts_table(s.ev, "Earned value")),
                rx.cond(
                    AuthState.is_coach,
                    rx.form(
                        rx.hstack(
                            field("Scope (units)", "scope", width="7em"),
                            field("Baseline start", "baseline_start", type="date"),
                            field("Baseline end", "baseline_end", type="date"),
                            field("Baseline budget", "baseline_budget", width="9em"),
                            rx.button("Save baseline", type="submit"),
                            align="end",
                            wrap="wrap",
                        ),
                        on_submit=s.save_baseline,
                        key="base-" + s.form_version.to_string(),
                    ),
                ),
                width="100%",
                align="start",
            ),
            rx.text("Agile: flow and forecasts on the delivery page.", color_scheme="gray"),
        ),
        width="100%",
    )


def _initiative_body() -> rx.Component:
    s = PlanState
    return rx.vstack(
        page_heading("Plan vs actual"),
        rx.heading(s.title, size="5", as_="h2"),
        portfolio_nav(s.portfolio_id),
        rx.hstack(
            rx.link("Back to the delivery plan", href=portfolio_href(s.portfolio_id, "/plan")),
            rx.link(
                "Flow and forecast",
                href=portfolio_href(s.portfolio_id, "/delivery/") + s.initiative_id.to_string(),
            ),
            spacing="4",
        ),
        error_callout(s.error),
        info_callout(s.notice),
        rx.cond(
            s.funded,
            rx.vstack(
                facts_table(s.facts, "Plan vs actual"),
                rx.foreach(s.why, lambda w: rx.text(w, color_scheme="amber")),
                rx.grid(
                    _rag_card(),
                    _spend_card(),
                    columns=rx.breakpoints(initial="1", lg="2"),
                    spacing="4",
                    width="100%",
                ),
                _approach_card(),
                width="100%",
                align="start",
                spacing="4",
            ),
            rx.text("Not in an adopted plan yet.", color_scheme="gray"),
        ),
        width="100%",
        align="start",
        spacing="4",
    )


@rx.page(
    route="/o/[slug]/portfolio/p/[portfolio_id]/plan/[initiative_id]",
    title="Plan vs actual",
    on_load=[AuthState.load_workspace, PlanState.load],
)
@workspace
def initiative_plan_page() -> rx.Component:
    return _initiative_body()
