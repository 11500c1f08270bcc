"""Planned vs actual. The portfolio's delivery table (agile and traditional side by side, the
published plans to adopt, CSV) and one initiative's plan beside what happened: RAG with its
reason and history, spend per month (or CSV), funding tranches released at the gates, and a
traditional project's baseline with its earned value."""

from __future__ import annotations

from typing import Any

import reflex as rx

from pmo_saas.db import cached_in_tenant, in_tenant
from pmo_saas.delivery.plan_models import APPROACHES, RAGS
from pmo_saas.delivery.plan_schemas import PortfolioDeliveryRow, RagRow, SpendRow, TrancheRow
from pmo_saas.delivery.services import plan as plan_services
from pmo_saas.delivery.services import plan_forecast as plan_forecast_services
from pmo_saas.delivery.services import plan_views
from pmo_saas.identity.auth_state import AuthState
from pmo_saas.identity.page_state import BusyWork, WorkspacePage
from pmo_saas.identity.shell import workspace
from pmo_saas.kernel.context import TenantContext
from pmo_saas.kernel.formatting import money
from pmo_saas.kernel.roles import Role
from pmo_saas.portfolio.pages.common import id_after, portfolio_href, portfolio_nav
from pmo_saas.portfolio.services import funding as funding_services
from pmo_saas.ui.components import (
    card,
    data_table,
    error_callout,
    info_callout,
    labelled,
    page_heading,
)
from pmo_saas.ui.dialogs import work_button

CAN_WRITE = (AuthState.role != "") & (AuthState.role != "viewer")
RAG_CHOICES = list(RAGS.items())
APPROACH_CHOICES = list(APPROACHES.items())


def _ratio(value: float | None) -> str:
    return "-" if value is None else f"{value:.2f}"


class FormPage(WorkspacePage, mixin=True):
    """A page whose forms are emptied (re-keyed) only after a write succeeded."""

    form_version: int = 0

    async def _form_act(self, fn: Any, notice: str, **kwargs: Any) -> None:
        """One write as a member or above; an error keeps what was typed."""
        await self._act(fn, notice=notice, minimum=Role.MEMBER, **kwargs)
        if not self.error:
            self.form_version += 1


class PlanState(BusyWork, FormPage, rx.State):
    portfolio_id: int = 0
    initiative_id: int = 0
    title: str = ""
    rows: list[PortfolioDeliveryRow] = []
    plans: list[dict[str, str]] = []
    funded: bool = False
    importing_spend: bool = False
    spend_progress: int = 0  # 0-100 while the spend import writes
    _spend_csv: str = ""  # the pasted spend CSV, between import_spend and write_spend
    approach: str = "agile"
    facts: list[dict[str, str]] = []
    why: list[str] = []
    rag: str = ""
    rag_label: str = ""
    rag_reason: str = ""
    rag_history: list[RagRow] = []
    spend: list[SpendRow] = []
    tranches: list[TrancheRow] = []
    tranche_message: str = ""
    flagged: bool = False
    ev: list[dict[str, str]] = []
    # The latest adopted plan's forecast, beside its latest planned end ("" while none).
    plan_forecast: str = ""
    plan_forecast_used: str = ""
    plan_planned_end: str = ""

    def _iid(self) -> int:
        return id_after(self.router.url.path, "plan")

    async def _refresh(self, ctx: TenantContext) -> None:
        self.portfolio_id = id_after(self.router.url.path, "p")
        self.initiative_id = iid = self._iid()
        if not iid:
            self.rows = await in_tenant(
                ctx, plan_views.portfolio_delivery, portfolio_id=self.portfolio_id
            )
            published = await in_tenant(
                ctx, funding_services.list_published_plans, portfolio_id=self.portfolio_id
            )
            self.plans = [
                {
                    "value": str(p.id),
                    "label": f"{p.scenario_name} ({p.published_at[:10]}, "
                    f"{len(p.plan.funded_ids)} funded)",
                }
                for p in published[:5]
            ]
            whole = await cached_in_tenant(
                ctx, plan_forecast_services.latest_plan_forecast, portfolio_id=self.portfolio_id
            )
            self.plan_forecast, self.plan_forecast_used = (
                plan_forecast_services.plan_forecast_lines(whole) if whole else ("", "")
            )
            self.plan_planned_end = (whole.planned_end or "not set") if whole else ""
            return
        v = await in_tenant(ctx, plan_views.initiative_plan, initiative_id=iid)
        self.title, self.funded, self.approach = v.title, v.funded, v.approach
        self.facts = [
            {"label": "Delivery approach", "value": v.approach_label},
            {"label": "Delivery", "value": v.delivery_label},
            {"label": "Planned", "value": f"{v.planned_start or '?'} to {v.planned_end or '?'}"},
            {"label": "Actual", "value": f"{v.actual_start or '-'} to {v.actual_end or '-'}"},
            {"label": "Budget", "value": money(v.planned_budget, v.currency)},
            {
                "label": "Spent",
                "value": money(v.spent, v.currency)
                + ("" if v.spend_percent is None else f" ({v.spend_percent:g}% of budget)"),
            },
            {"label": "Value promised", "value": _ratio(v.promised_value)},
            {"label": "Forecast (85%)", "value": v.forecast_85 or "-"},
        ]
        if v.forecast_sentence:
            self.facts.append({"label": "Forecast", "value": v.forecast_sentence})
        self.why = v.why
        self.rag, self.rag_label, self.rag_reason = v.rag, v.rag_label, v.rag_reason
        self.rag_history, self.spend, self.tranches = v.rag_history, v.spend, v.tranches
        self.tranche_message, self.flagged = v.tranche_check.message, v.tranche_check.flagged
        e = v.earned_value
        self.ev = (
            [
                {
                    "label": "Baseline",
                    "value": f"{v.baseline_scope:g} units, "
                    f"{v.baseline_start} to {v.baseline_end}, BAC {e.bac:,}",
                },
                {"label": "Planned value (PV)", "value": f"{e.pv:,.0f}"},
                {"label": "Earned value (EV)", "value": f"{e.ev:,.0f}"},
                {"label": "Actual cost (AC)", "value": f"{e.ac:,}"},
                {"label": "Schedule performance (SPI)", "value": _ratio(e.spi)},
                {"label": "Cost performance (CPI)", "value": _ratio(e.cpi)},
                {"label": "Estimate at completion", "value": _ratio(e.eac)},
            ]
            if e
            else []
        )

    def _on_failed_load(self) -> None:
        self.rows, self.plans, self.facts, self.rag_history = [], [], [], []
        self.spend, self.tranches, self.ev, self.funded = [], [], [], False
        self.plan_forecast = self.plan_forecast_used = self.plan_planned_end = ""

    @rx.event
    async def load(self) -> None:
        await self._load()

    @rx.event
    async def adopt(self, form: dict) -> None:
        await self._form_act(
            plan_services.adopt_plan,
            "Plan adopted: its funded initiatives are planned.",
            published_plan_id=str(form.get("plan", "")),
            tranches=str(form.get("tranches", "")),
        )

    @rx.event
    async def save_rag(self, form: dict) -> None:
        await self._form_act(
            plan_services.set_rag,
            "RAG status saved.",
            initiative_id=self._iid(),
            rag=str(form.get("rag", "")),
            reason=str(form.get("reason", "")),
        )

    @rx.event
    async def save_spend(self, form: dict) -> None:
        await self._form_act(
            plan_services.record_spend,
            "Spend recorded.",
            initiative_id=self._iid(),
            month=str(form.get("month", "")),
            amount=str(form.get("amount", "")),
        )

    @rx.event
    def import_spend(self, form: dict):  # type: ignore[no-untyped-def]
        """The pasted CSV kept for `write_spend`, which writes it in the background."""
        if self.importing_spend:
            return None
        self._spend_csv, self.importing_spend = str(form.get("csv", "")), True
        return PlanState.write_spend

    @rx.event(background=True)
    async def write_spend(self):  # type: ignore[no-untyped-def]
        """The kept spend lines written, the progress bar moving while they are (as capacity's);
        the session and role are checked by `_act_reporting` before any work."""
        async with self:
            text, self._spend_csv, initiative_id = self._spend_csv, "", self._iid()
            if not text:
                self.importing_spend = False
                return
        result = await self._act_reporting(
            plan_services.import_spend_csv,
            progress_var="spend_progress",
            minimum=Role.MEMBER,
            initiative_id=initiative_id,
            data=text.encode("utf-8"),
        )
        async with self:
            self.importing_spend = False
            if result is not None:
                self.notice = f"Spend imported: {result.created} month(s)."
                self.form_version += 1

    @rx.event
    async def save_dates(self, form: dict) -> None:
        await self._form_act(
            plan_services.set_actual_dates,
            "Actual dates saved.",
            initiative_id=self._iid(),
            start=str(form.get("actual_start", "")),
            end=str(form.get("actual_end", "")),
        )

    @rx.event
    async def save_approach(self, value: str) -> None:
        await self._act(
            plan_services.set_approach,
            notice="Delivery approach saved.",
            minimum=Role.COACH,
            initiative_id=self._iid(),
            approach=str(value),
        )

    @rx.event
    async def save_baseline(self, form: dict) -> None:
        await self._form_act(
            plan_services.set_baseline,
            "Baseline saved.",
            initiative_id=self._iid(),
            scope=str(form.get("scope", "")),
            start=str(form.get("baseline_start", "")),
            end=str(form.get("baseline_end", "")),
            budget=str(form.get("baseline_budget", "")),
        )

    @rx.event
    async def download_csv(self):  # type: ignore[no-untyped-def]
        return await self._download(
            plan_views.export_delivery_csv, "delivery-plan.csv", portfolio_id=self.portfolio_id
        )


def facts_table(items: Any, name: str) -> rx.Component:
    return data_table(
        name,
        ["Figure", "Value"],
        items,
        lambda f: rx.table.row(rx.table.row_header_cell(f["label"]), rx.table.cell(f["value"])),
        size="1",
    )


def field(label: str, name: str, **props: Any) -> rx.Component:
    return labelled(label, f"field-{name}", rx.input(id=f"field-{name}", name=name, **props))


def _portfolio_row(r: PortfolioDeliveryRow) -> rx.Component:
    return rx.table.row(
        rx.table.cell(
            rx.link(
                r.title,
                href=portfolio_href(PlanState.portfolio_id, "/plan/") + r.initiative_id.to_string(),
            )
        ),
        rx.table.cell(r.approach_label),
        rx.table.cell(r.delivery_label),
        rx.table.cell(r.rag),
        rx.table.cell(r.planned_end),
        rx.table.cell(r.planned_budget),
        rx.table.cell(r.released),
        rx.table.cell(
            rx.cond(r.flagged, rx.text(r.spent, " (beyond released)", color_scheme="red"), r.spent)
        ),
        rx.table.cell(r.forecast_85),
        rx.table.cell(r.spi),
        rx.table.cell(r.cpi),
    )


def _adopt_card() -> rx.Component:
    s = PlanState
    return card(
        rx.heading("Adopt a published plan", size="4", as_="h2"),
        rx.text(
            "Each funded initiative gets the plan's budget and value, its own dates as planned "
            "dates, and its budget in tranches: the first released now, the others by the "
            "DSDM gate reviews.",
            size="2",
            color_scheme="gray",
        ),
        rx.form(
            rx.hstack(
                labelled(
                    "Published plan",
                    "field-plan",
                    rx.el.select(
                        rx.foreach(s.plans, lambda p: rx.el.option(p["label"], value=p["value"])),
                        id="field-plan",
                        name="plan",
                        class_name="pmo-select",
                    ),
                ),
                field("Tranches", "tranches", default_value="3", width="5em"),
                rx.button("Adopt plan", type="submit"),
                align="end",
                wrap="wrap",
            ),
            on_submit=s.adopt,
            key=s.form_version.to_string(),
        ),
        width="100%",
    )


def _plan_forecast_card() -> rx.Component:
    s = PlanState
    return card(
        rx.heading("Forecast of the plan", size="4", as_="h2"),
        rx.text("Latest planned end: ", s.plan_planned_end, size="2"),
        rx.text(s.plan_forecast, id="plan-forecast", weight="medium"),
        rx.text(s.plan_forecast_used, size="1", color_scheme="gray"),
        width="100%",
    )


def _portfolio_body() -> rx.Component:
    s = PlanState
    return rx.vstack(
        page_heading("Delivery plan", "Planned vs actual, agile and traditional side by side."),
        portfolio_nav(s.portfolio_id),
        error_callout(s.error),
        info_callout(s.notice),
        data_table(
            "Delivery against the plan",
            [
                *("Initiative", "Approach", "Delivery", "RAG", "Planned end", "Budget"),
                *("Released", "Spent", "Forecast (85%)", "SPI", "CPI"),
            ],
            s.rows,
            _portfolio_row,
            empty="Nothing planned yet: adopt a published plan.",
        ),
        rx.cond(s.plan_forecast != "", _plan_forecast_card()),
        rx.hstack(
            work_button(
                "Delivery plan (CSV)",
                state=s,
                work="export",
                run=s.download_csv,
                variant="soft",
                size="1",
            ),
            rx.link("Value realised", href=portfolio_href(s.portfolio_id, "/value")),
            spacing="4",
        ),
        rx.cond(AuthState.is_coach, _adopt_card()),
        width="100%",
        align="start",
        spacing="4",
    )


@rx.page(
    route="/o/[slug]/portfolio/p/[portfolio_id]/plan",
    title="Delivery plan",
    on_load=[AuthState.load_workspace, PlanState.load],
)
@workspace
def portfolio_plan_page() -> rx.Component:
    return _portfolio_body()
