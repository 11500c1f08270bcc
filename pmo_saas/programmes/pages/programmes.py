"""/o/<slug>/programmes: initiatives grouped into programmes (a PgMO view): each programme's
status, funding, risks, delivery and capacity rolled up, with its initiatives."""

from __future__ import annotations

import reflex as rx

from pmo_saas.db import in_tenant
from pmo_saas.identity.auth_state import AuthState
from pmo_saas.identity.page_state import BusyWork, WorkspacePage
from pmo_saas.identity.shell import workspace
from pmo_saas.kernel.context import TenantContext
from pmo_saas.kernel.roles import Role
from pmo_saas.programmes.schemas import (
    Choice,
    Count,
    ProgrammeInitiativeRow,
    ProgrammeRollup,
    QuarterLoad,
    RiskLine,
)
from pmo_saas.programmes.services import programmes, rollup
from pmo_saas.ui.components import (
    card,
    error_callout,
    field,
    info_callout,
    labelled_select,
    page_heading,
    plain_table,
    region,
)
from pmo_saas.ui.dialogs import work_button


class ProgrammesState(BusyWork, WorkspacePage, rx.State):
    rollups: list[ProgrammeRollup] = []
    portfolios: list[Choice] = []
    ungrouped: list[Choice] = []
    programme_choices: list[Choice] = []
    can_manage: bool = False

    async def _refresh(self, ctx: TenantContext) -> None:
        self.can_manage = ctx.has(Role.COACH)
        self.rollups = await in_tenant(ctx, rollup.list_rollups)
        self.programme_choices = [Choice(value=str(r.id), label=r.name) for r in self.rollups]
        if self.can_manage:
            self.portfolios = await in_tenant(ctx, programmes.portfolio_choices)
            self.ungrouped = await in_tenant(ctx, programmes.ungrouped_initiatives)

    def _on_failed_load(self) -> None:
        self.rollups, self.ungrouped = [], []

    @rx.event
    async def load(self) -> None:
        await self._load()

    @rx.event
    async def create(self, form: dict) -> None:
        portfolio = str(form.get("programme_portfolio", ""))
        await self._act(
            programmes.create_programme,
            notice="Programme created.",
            minimum=Role.COACH,
            prepare=lambda: {"portfolio_id": int(portfolio)},
            name=str(form.get("programme_name", "")),
            owner=str(form.get("programme_owner", "")),
            budget=str(form.get("programme_budget", "")),
        )

    @rx.event
    async def add_initiative(self, form: dict) -> None:
        programme = str(form.get("group_programme", ""))
        initiative = str(form.get("group_initiative", ""))
        await self._act(
            programmes.add_initiative,
            notice="Initiative added to the programme.",
            minimum=Role.COACH,
            prepare=lambda: {"programme_id": int(programme), "initiative_id": int(initiative)},
        )

    @rx.event
    async def remove_initiative(self, programme_id: int, initiative_id: int) -> None:
        await self._act(
            programmes.remove_initiative,
            notice="Initiative taken out of the programme.",
            minimum=Role.COACH,
            programme_id=programme_id,
            initiative_id=initiative_id,
        )

    @rx.event
    async def export_csv(self):
        return await self._download(rollup.export_programmes_csv, "programmes.csv")


def _counts(items: rx.Var[list[Count]]) -> rx.Component:
    return rx.flex(
        rx.foreach(items, lambda c: rx.badge(c.label, " ", c.count.to(str), variant="soft")),
        gap="1",
        wrap="wrap",
    )


def _line(line: ProgrammeInitiativeRow, programme_id: rx.Var[int]) -> rx.Component:
    return rx.table.row(
        rx.table.row_header_cell(line.title),
        rx.table.cell(line.status_label),
        rx.table.cell(rx.cond(line.funded, "Funded", "Not funded")),
        rx.table.cell(rx.cond(line.rag != "", line.rag, "-")),
        rx.table.cell(line.delivery_label),
        rx.table.cell(line.planned_end, " / ", line.forecast_85),
        rx.table.cell(
            rx.cond(
                ProgrammesState.can_manage,
                rx.button(
                    "Remove",
                    size="1",
                    variant="soft",
                    color_scheme="red",
                    on_click=ProgrammesState.remove_initiative(programme_id, line.initiative_id),
                    aria_label="Take " + line.title + " out of the programme",
                ),
            )
        ),
    )


def _quarter(q: QuarterLoad) -> rx.Component:
    return rx.table.row(
        rx.table.row_header_cell(q.quarter),
        rx.table.cell(q.allocated.to(str)),
        rx.table.cell(q.capacity.to(str)),
        rx.table.cell(q.demand.to(str)),
        rx.table.cell(rx.cond(q.over, rx.badge("Over", color_scheme="red"), "")),
    )


def _risk(r: RiskLine) -> rx.Component:
    return rx.table.row(
        rx.table.row_header_cell(r.title),
        rx.table.cell(r.initiative_title),
        rx.table.cell(r.exposure.to(str)),
        rx.table.cell(r.status),
    )


def _figure(label: str, *value: rx.Component | rx.Var | str) -> rx.Component:
    return rx.vstack(
        rx.text(label, size="1", color_scheme="gray", weight="bold"),
        *value,
        spacing="1",
        align="start",
    )


def _rollup(p: ProgrammeRollup) -> rx.Component:
    return region(
        "Programme " + p.name,
        card(
            rx.heading(p.name, size="5", as_="h2"),
            rx.text(
                p.portfolio_name,
                rx.cond(p.owner != "", " · owner " + p.owner, ""),
                " · ",
                p.initiatives.to(str),
                " initiatives",
                size="2",
                color_scheme="gray",
            ),
            rx.grid(
                _figure("Board columns", _counts(p.columns)),
                _figure("RAG", _counts(p.rags)),
                _figure(
                    "Funding",
                    rx.text(
                        p.funding_label,
                        size="2",
                        color_scheme=rx.cond(p.over_budget, "red", "gray"),
                    ),
                ),
                _figure(
                    "Risks",
                    rx.text(
                        p.open_risks.to(str),
                        " open, top exposure ",
                        p.top_exposure.to(str),
                        size="2",
                    ),
                ),
                _figure("Delivery", _counts(p.delivery), rx.text(p.delivery_label, size="1")),
                _figure("Capacity", rx.text(p.capacity_label, size="2")),
                columns=rx.breakpoints(initial="1", md="3"),
                gap="3",
                width="100%",
            ),
            plain_table(
                ["Initiative", "Column", "Funding", "RAG", "Delivery", "Planned end / 85%", ""],
                p.lines,
                lambda line: _line(line, p.id),
            ),
            rx.cond(
                p.quarters.length() > 0,
                plain_table(
                    ["Quarter", "Allocated", "Teams' capacity", "Teams' demand", ""],
                    p.quarters,
                    _quarter,
                ),
            ),
            rx.cond(
                p.risks.length() > 0,
                plain_table(["Risk", "Initiative", "Exposure", "Status"], p.risks, _risk),
            ),
            width="100%",
        ),
    )


def _forms() -> rx.Component:
    s = ProgrammesState
    return rx.hstack(
        card(
            rx.heading("New programme", size="4", as_="h2"),
            rx.form(
                rx.vstack(
                    field("Programme name", "programme_name"),
                    labelled_select("Portfolio", "programme_portfolio", s.portfolios),
                    field("Owner", "programme_owner", required=False),
                    field("Budget", "programme_budget", required=False),
                    rx.button("Create programme", type="submit"),
                    align="start",
                ),
                on_submit=s.create,
                reset_on_submit=True,
            ),
        ),
        card(
            rx.heading("Group an initiative", size="4", as_="h2"),
            rx.form(
                rx.vstack(
                    labelled_select(
                        "Programme",
                        "group_programme",
                        s.programme_choices,
                    ),
                    labelled_select("Initiative", "group_initiative", s.ungrouped),
                    rx.button("Add to programme", type="submit"),
                    align="start",
                ),
                on_submit=s.add_initiative,
            ),
        ),
        align="start",
        wrap="wrap",
        width="100%",
    )


def _body() -> rx.Component:
    s = ProgrammesState
    return rx.vstack(
        page_heading(
            "Programmes",
            "Initiatives grouped into programmes, each with its status, funding, risks, "
            "delivery and capacity rolled up.",
        ),
        error_callout(s.error),
        info_callout(s.notice),
        rx.cond(s.can_manage, _forms()),
        work_button(
            "Export programmes CSV",
            state=s,
            work="export",
            run=s.export_csv,
            size="1",
            variant="soft",
        ),
        rx.cond(
            s.rollups.length() > 0,
            rx.foreach(s.rollups, _rollup),
            rx.text("No programmes yet."),
        ),
        width="100%",
        align="start",
        spacing="4",
    )


@rx.page(
    route="/o/[slug]/programmes",
    title="Programmes",
    on_load=[AuthState.load_workspace, ProgrammesState.load],
)
@workspace
def programmes_page() -> rx.Component:
    return _body()
