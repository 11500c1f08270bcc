"""Funding: the budget (optionally split across value streams), "Fund the best set" (the exact
optimum) beside the plain rank-order cut, the DSDM 60% Must warning; what-if scenarios side
by side; publish one as the plan (a dated snapshot)."""

from __future__ import annotations

import re

import reflex as rx
from pydantic import BaseModel

from pmo_saas.db import in_tenant
from pmo_saas.identity.auth_state import AuthState
from pmo_saas.identity.page_state import WorkspacePage
from pmo_saas.identity.shell import workspace
from pmo_saas.kernel import formatting
from pmo_saas.kernel.context import TenantContext
from pmo_saas.kernel.errors import ValidationFailed
from pmo_saas.kernel.roles import Role
from pmo_saas.portfolio import scoring
from pmo_saas.portfolio.pages.budgeting import split_origin
from pmo_saas.portfolio.pages.capacity_funding import capacity_funding_card
from pmo_saas.portfolio.pages.common import id_after, portfolio_nav
from pmo_saas.portfolio.schemas import FundingPlan, ScenarioComparison
from pmo_saas.portfolio.services import budgeting as budgeting_services
from pmo_saas.portfolio.services import funding as funding_services
from pmo_saas.portfolio.services import initiatives as initiative_services
from pmo_saas.portfolio.services import portfolios as portfolio_services
from pmo_saas.ui.components import (
    Choice,
    card,
    data_table,
    error_callout,
    field,
    info_callout,
    page_heading,
    region,
    text_area,
)
from pmo_saas.ui.dialogs import (
    busy_button,
    confirm_button,
    dialog_actions,
    form_dialog,
    open_button,
    progress_bar,
)
from pmo_saas.ui.pickers import multi_picker, picked


class PlanLine(BaseModel):
    title: str
    cost: str
    value: str
    value_stream: str
    moscow: str
    best: str
    cut: str
    reason: str


class PlanSummary(BaseModel):
    budget: str
    best_value: str
    best_cost: str
    best_count: int
    cut_value: str
    cut_cost: str
    cut_count: int
    cut_problems: list[str]
    warnings: list[str]
    streams: list[str]
    lines: list[PlanLine]


class ScenarioCard(BaseModel):
    id: int
    name: str
    budget: str
    overrides: str
    value: str
    cost: str
    count: int
    funded: list[str]
    warnings: list[str]
    error: str


class PublishedLine(BaseModel):
    current: bool  # the newest publication is the plan in force
    name: str
    published_at: str
    published_by: str
    budget: str
    cost: str
    value: str
    funded: str


def _money(value: int | None) -> str:
    return formatting.money(value, empty=formatting.NO_VALUE)


def _summary(plan: FundingPlan) -> PlanSummary:
    return PlanSummary(
        budget=_money(plan.budget),
        best_value=formatting.number(plan.total_value),
        best_cost=_money(plan.total_cost),
        best_count=len(plan.funded_ids),
        cut_value=formatting.number(plan.cut_total_value),
        cut_cost=_money(plan.cut_total_cost),
        cut_count=len(plan.cut_funded_ids),
        cut_problems=plan.cut_problems,
        warnings=plan.warnings,
        streams=[
            f"{stream}: {_money(plan.stream_spend.get(stream, 0))} of {_money(amount)}"
            for stream, amount in plan.stream_budgets.items()
        ],
        lines=[
            PlanLine(
                title=line.title,
                cost=_money(line.cost),
                value="not scored" if line.value is None else formatting.number(line.value),
                value_stream=line.value_stream,
                moscow=scoring.MOSCOW_LABELS.get(line.moscow or "", ""),
                best="Funded" if line.funded else "—",
                cut="Funded" if line.in_rank_cut else "—",
                reason=line.reason,
            )
            for line in plan.lines
        ],
    )


def _cards(comparison: ScenarioComparison) -> list[ScenarioCard]:
    titles = comparison.initiative_titles
    cards = []
    for scenario, plan, error in zip(
        comparison.scenarios, comparison.plans, comparison.errors, strict=True
    ):
        forced = ", ".join(
            f"{titles.get(i, '?')} {'in' if f == 'in' else 'out'}"
            for i, f in scenario.overrides.items()
        )
        cards.append(
            ScenarioCard(
                id=scenario.id,
                name=scenario.name,
                budget=_money(scenario.budget),
                overrides=forced or "none",
                value=formatting.number(plan.total_value) if plan else "—",
                cost=_money(plan.total_cost) if plan else "—",
                count=len(plan.funded_ids) if plan else 0,
                funded=[titles.get(i, "?") for i in plan.funded_ids] if plan else [],
                warnings=plan.warnings if plan else [],
                error=error or "",
            )
        )
    return cards


def parse_split(text: str) -> dict[str, str]:
    """Lines `stream = amount` (or `stream: amount`) as typed; the service checks the amounts."""
    split: dict[str, str] = {}
    for n, raw in enumerate((text or "").splitlines(), start=1):
        line = raw.strip()
        if not line:
            continue
        parts = re.split(r"[=:]", line, maxsplit=1)
        if len(parts) != 2 or not parts[0].strip():
            raise ValidationFailed(
                f"Line {n} of the split is not “value stream = amount”: “{line}”."
            )
        stream = parts[0].strip()
        if stream in split:
            raise ValidationFailed(f"The value stream “{stream}” is listed twice.")
        split[stream] = parts[1].strip()
    return split


FORCE_IN, FORCE_OUT = "force_in__", "force_out__"


class FundingState(WorkspacePage, rx.State):
    portfolio_id: int = 0
    portfolio_name: str = ""
    currency: str = ""
    budget: str = ""
    budget_text: str = ""
    split_text: str = ""
    # The settled budgeting session the value-stream split still comes from (0: none).
    split_session_id: int = 0
    split_session: str = ""
    plan: PlanSummary | None = None
    scenarios: list[ScenarioCard] = []
    published: list[PublishedLine] = []
    initiative_choices: list[Choice] = []  # what the Force in / Force out pickers offer
    adding: bool = False  # the New scenario dialog is open
    busy: str = ""  # "fund", "scenario": the button of the work under way spins
    fund_progress: int = 0  # 0-100 while the solver runs
    fund_phase: str = ""  # what it is doing (its time used of the limit while it solves)

    def _pid(self) -> int:
        return id_after(self.router.url.path, "p")

    async def _refresh(self, ctx: TenantContext) -> None:
        pid = self._pid()
        portfolio = await in_tenant(ctx, portfolio_services.get_portfolio, portfolio_id=pid)
        initiatives = await in_tenant(ctx, initiative_services.list_initiatives, portfolio_id=pid)
        scenarios = await in_tenant(ctx, funding_services.list_scenarios, portfolio_id=pid)
        comparison = await in_tenant(
            ctx, funding_services.compare_scenarios, scenario_ids=[s.id for s in scenarios]
        )
        published = await in_tenant(ctx, funding_services.list_published_plans, portfolio_id=pid)
        origin = await in_tenant(ctx, budgeting_services.stream_budget_origin, portfolio_id=pid)
        self.split_session_id = origin.session_id if origin else 0
        self.split_session = f"{origin.name} (settled {origin.settled_at[:10]})" if origin else ""
        self.portfolio_id, self.portfolio_name = portfolio.id, portfolio.name
        self.currency = portfolio.currency
        self.budget = "" if portfolio.budget is None else str(portfolio.budget)
        self.budget_text = _money(portfolio.budget)
        self.split_text = "\n".join(f"{k} = {v}" for k, v in portfolio.stream_budgets.items())
        self._set_changed(
            initiative_choices=[
                Choice(value=str(i.id), label=i.title)
                for i in sorted(initiatives, key=lambda i: i.title.lower())
            ]
        )
        self.scenarios = _cards(comparison)
        self.published = [
            PublishedLine(
                current=n == 0,
                name=p.scenario_name,
                published_at=p.published_at[:16].replace("T", " "),
                published_by=p.published_by,
                budget=_money(p.plan.budget),
                cost=_money(p.plan.total_cost),
                value=formatting.number(p.plan.total_value),
                funded=", ".join(line.title for line in p.plan.lines if line.funded),
            )
            for n, p in enumerate(published)
        ]

    def _on_failed_load(self) -> None:
        self.scenarios, self.published, self.portfolio_name = [], [], ""

    @rx.event
    async def load(self) -> None:
        self.plan = None
        self.adding, self.busy = False, ""
        await self._load()

    @rx.event
    def set_adding(self, open_it: bool) -> None:
        self._clear_messages()
        self.adding = bool(open_it)

    @rx.event
    async def save_budget(self, form: dict) -> None:
        await self._act(
            funding_services.set_budget,
            notice="Budget saved.",
            minimum=Role.COACH,
            prepare=lambda: {"stream_budgets": parse_split(str(form.get("split", "")))},
            portfolio_id=self._pid(),
            budget=form.get("budget", ""),
        )
        if not self.error:
            self.plan = None

    @rx.event
    def mark_busy(self, work: str) -> None:
        """Chained before a slow handler: its button spins from the click (this delta is sent
        before the handler runs) until the handler clears `busy`."""
        self._clear_messages()
        self.busy = work

    @rx.event
    async def fund(self):
        """Checks the caller, then the background event runs the exact solver (up to 20 s on
        a large portfolio) with a progress bar; its button spins meanwhile."""
        if await self._checked_context() is None:
            self.busy = ""
            return None
        self.busy, self.fund_progress, self.fund_phase = "fund", 0, "Starting…"
        return FundingState.solve

    @rx.event(background=True)
    async def solve(self):
        async with self:
            portfolio_id = self._pid()
        plan = await self._act_reporting(
            funding_services.fund_portfolio,
            progress_var="fund_progress",
            phase_var="fund_phase",
            refresh=False,
            portfolio_id=portfolio_id,
        )
        async with self:
            self.busy, self.fund_phase = "", ""
            self.plan = None if plan is None else _summary(plan)

    def _overrides(self, form: dict) -> dict[int, str]:
        titles = {c.value: c.label for c in self.initiative_choices}
        forced_in, forced_out = picked(form, FORCE_IN), picked(form, FORCE_OUT)
        both = sorted(titles.get(str(i), str(i)) for i in set(forced_in) & set(forced_out))
        if both:
            raise ValidationFailed(f"“{both[0]}” cannot be forced both in and out.")
        return {**dict.fromkeys(forced_in, "in"), **dict.fromkeys(forced_out, "out")}

    @rx.event
    async def create_scenario(self, form: dict) -> None:
        await self._act(
            funding_services.create_scenario,
            notice=f"Scenario “{str(form.get('name', '')).strip()}” added.",
            minimum=Role.COACH,
            prepare=lambda: {"overrides": self._overrides(form)},
            portfolio_id=self._pid(),
            name=form.get("name", ""),
            budget=form.get("scenario_budget", ""),
        )
        self.busy = ""
        if not self.error:
            self.adding = False

    @rx.event
    async def publish(self, scenario_id: int) -> None:
        await self._act(
            funding_services.publish_scenario,
            notice="Published as the plan.",
            minimum=Role.COACH,
            prepare=lambda: {"scenario_id": int(scenario_id)},
        )

    @rx.event
    async def delete(self, scenario_id: int) -> None:
        await self._act(
            funding_services.delete_scenario,
            notice="Scenario deleted.",
            minimum=Role.COACH,
            prepare=lambda: {"scenario_id": int(scenario_id)},
        )


def _plan_line(line: PlanLine) -> rx.Component:
    return rx.table.row(
        rx.table.cell(line.title),
        rx.table.cell(line.cost),
        rx.table.cell(line.value),
        rx.table.cell(line.value_stream),
        rx.table.cell(line.moscow),
        rx.table.cell(line.best),
        rx.table.cell(line.cut),
        rx.table.cell(rx.text(line.reason, size="1")),
    )


def _plan(plan: rx.Var) -> rx.Component:
    return rx.vstack(
        rx.foreach(
            plan.warnings,
            lambda w: rx.callout(w, icon="triangle_alert", color_scheme="orange", width="100%"),
        ),
        rx.hstack(
            card(
                rx.heading("Best set (exact optimum)", size="3", as_="h3"),
                rx.text("Total value: " + plan.best_value),
                rx.text("Cost: " + plan.best_cost + " of " + plan.budget),
                rx.text(plan.best_count.to_string() + " initiative(s) funded"),
                rx.foreach(plan.streams, lambda s: rx.text(s, size="1")),
                aria_label="Best set",
            ),
            card(
                rx.heading("Rank-order cut", size="3", as_="h3"),
                rx.text("Total value: " + plan.cut_value),
                rx.text("Cost: " + plan.cut_cost + " of " + plan.budget),
                rx.text(plan.cut_count.to_string() + " initiative(s) funded"),
                rx.foreach(plan.cut_problems, lambda p: rx.text(p, size="1", color_scheme="red")),
                aria_label="Rank-order cut",
            ),
            align="start",
            wrap="wrap",
        ),
        data_table(
            "Funding plan",
            [
                "Initiative",
                "Cost",
                "Value",
                "Value stream",
                "MoSCoW",
                "Best set",
                "Rank cut",
                "Why",
            ],
            plan.lines,
            _plan_line,
        ),
        width="100%",
        align="start",
    )


def _scenario_card(c: ScenarioCard) -> rx.Component:
    return rx.el.section(
        rx.card(
            rx.vstack(
                rx.heading(c.name, size="3", as_="h3"),
                rx.text("Budget: " + c.budget),
                rx.text("Forced: " + c.overrides, size="1"),
                rx.cond(
                    c.error != "",
                    rx.text(c.error, color_scheme="red"),
                    rx.vstack(
                        rx.text("Total value: " + c.value),
                        rx.text("Cost: " + c.cost),
                        rx.text(c.count.to_string() + " funded"),
                        rx.unordered_list(
                            rx.foreach(c.funded, lambda t: rx.list_item(t, size="1"))
                        ),
                        rx.foreach(
                            c.warnings, lambda w: rx.text(w, size="1", color_scheme="orange")
                        ),
                        align="start",
                    ),
                ),
                rx.cond(
                    AuthState.is_coach,
                    rx.hstack(
                        rx.button(
                            "Publish " + c.name,
                            size="1",
                            on_click=FundingState.publish(c.id),
                            disabled=c.error != "",
                        ),
                        confirm_button(
                            "Delete " + c.name,
                            name="Delete " + c.name,
                            title="Delete the scenario " + c.name + "?",
                            description="The scenario and its forced choices go; published "
                            "plans stay as they were published.",
                            confirm_label="Delete scenario",
                            on_confirm=FundingState.delete(c.id),
                        ),
                    ),
                ),
                align="start",
            ),
        ),
        aria_label="Scenario " + c.name,
        style={"minWidth": "16em", "flex": "1"},
    )


def _published_row(p: PublishedLine) -> rx.Component:
    return rx.table.row(
        rx.table.cell(
            p.name, rx.cond(p.current, rx.badge("Current plan", color_scheme="green", ml="2"))
        ),
        rx.table.cell(p.published_at),
        rx.table.cell(p.published_by),
        rx.table.cell(p.budget),
        rx.table.cell(p.cost),
        rx.table.cell(p.value),
        rx.table.cell(rx.text(p.funded, size="1")),
    )


def _scenario_dialog() -> rx.Component:
    s = FundingState
    return form_dialog(
        "New scenario",
        rx.form(
            rx.vstack(
                field("Scenario name", "name"),
                field(
                    "Scenario budget",
                    "scenario_budget",
                    required=False,
                    hint="Empty: the portfolio budget",
                ),
                rx.grid(
                    multi_picker("Force in", FORCE_IN, s.initiative_choices, picker_id="force-in"),
                    multi_picker(
                        "Force out", FORCE_OUT, s.initiative_choices, picker_id="force-out"
                    ),
                    columns=rx.breakpoints(initial="1", sm="2"),
                    spacing="3",
                    width="100%",
                ),
                dialog_actions("Add scenario", busy=s.busy == "scenario"),
                spacing="3",
                width="100%",
            ),
            on_submit=[s.mark_busy("scenario"), s.create_scenario],
            width="100%",
        ),
        open=s.adding,
        on_open_change=s.set_adding,
        trigger=open_button("New scenario"),
        error=s.error,
        width="44em",
    )


def _body() -> rx.Component:
    s = FundingState
    return rx.vstack(
        page_heading("Funding & scenarios"),
        rx.heading(s.portfolio_name, size="5", as_="h2"),
        portfolio_nav(s.portfolio_id),
        error_callout(s.error),
        info_callout(s.notice),
        card(
            rx.heading("Budget", size="4", as_="h2"),
            rx.text(
                rx.cond(
                    s.budget != "", "Budget: " + s.currency + " " + s.budget_text, "No budget set."
                ),
            ),
            rx.cond(
                s.split_session_id > 0,
                split_origin(s.portfolio_id, s.split_session_id, s.split_session, s.split_text),
            ),
            rx.cond(
                AuthState.is_coach,
                rx.form(
                    rx.hstack(
                        field("Budget", "budget", default_value=s.budget, key=s.budget),
                        text_area(
                            "Value-stream split (optional, one per line: stream = amount)",
                            "split",
                            rows="3",
                            default_value=s.split_text,
                            key=s.split_text,
                        ),
                        rx.button("Save budget", type="submit"),
                        align="end",
                        width="100%",
                    ),
                    on_submit=s.save_budget,
                    width="100%",
                ),
            ),
            rx.hstack(
                busy_button(
                    "Fund the best set",
                    busy=s.busy == "fund",
                    on_click=[s.mark_busy("fund"), s.fund],
                ),
                rx.text(
                    "The exact optimum within the budget: dependencies respected, Musts in, "
                    "Won't-haves out; shown beside the plain rank-order cut. DSDM: a warning "
                    "when Musts take more than 60% of the budget.",
                    size="1",
                    color_scheme="gray",
                ),
                align="center",
                wrap="wrap",
            ),
            progress_bar(s.fund_phase, s.fund_progress, shown=s.busy == "fund"),
            width="100%",
        ),
        rx.cond(s.plan, _plan(s.plan.to(PlanSummary))),
        capacity_funding_card(),
        rx.heading("Scenarios", size="4", as_="h2"),
        rx.cond(AuthState.is_coach, _scenario_dialog()),
        region(
            "Scenarios side by side",
            rx.flex(rx.foreach(s.scenarios, _scenario_card), wrap="wrap", gap="1em", width="100%"),
        ),
        rx.heading("Published plans", size="4", as_="h2"),
        data_table(
            "Published plans",
            ["Scenario", "Published", "By", "Budget", "Cost", "Value", "Funded"],
            s.published,
            _published_row,
        ),
        width="100%",
        align="start",
        spacing="4",
    )


@rx.page(
    route="/o/[slug]/portfolio/p/[portfolio_id]/funding",
    title="Funding & scenarios",
    on_load=[AuthState.load_workspace, FundingState.load],
)
@workspace
def funding_page() -> rx.Component:
    return _body()
