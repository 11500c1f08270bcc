"""/o/<slug>/capacity: capacity per team x quarter (entered or imported from CSV with a
preview), allocations of funded initiatives, demand vs capacity per team and value stream
with over-allocation highlighted, as a bar chart and as a table (its text alternative)."""

from __future__ import annotations

from typing import Any

import reflex as rx

from pmo_saas.capacity.schemas import AllocationRow, CapacityRow, CsvLine, LoadRow
from pmo_saas.capacity.services import allocations, capacity, exports, importing, view
from pmo_saas.db import in_tenant
from pmo_saas.identity import services as identity
from pmo_saas.identity.auth_state import AuthState
from pmo_saas.identity.page_state import BusyWork, WorkspacePage
from pmo_saas.identity.shell import workspace
from pmo_saas.kernel.context import TenantContext
from pmo_saas.kernel.roles import Role
from pmo_saas.ui.charts import chart_figure
from pmo_saas.ui.components import (
    Choice,
    card,
    data_table,
    error_callout,
    field,
    info_callout,
    labelled_select,
    page_heading,
    region,
    text_area,
)
from pmo_saas.ui.dialogs import busy_button, confirm_button, progress_bar, work_button
from pmo_saas.ui.palette import PRIMARY, SECONDARY


class CapacityState(BusyWork, WorkspacePage, rx.State):
    capacity_rows: list[CapacityRow] = []
    allocation_rows: list[AllocationRow] = []
    team_load: list[LoadRow] = []
    stream_load: list[LoadRow] = []
    over_allocated: int = 0
    chart_rows: list[dict[str, Any]] = []
    teams: list[Choice] = []
    initiatives: list[Choice] = []
    preview_lines: list[CsvLine] = []
    preview_errors: int = 0
    previewing: bool = False
    can_manage: bool = False
    _import_text: str = ""
    importing: bool = False  # the confirmed import is writing (its button spins, a bar moves)
    import_progress: int = 0

    async def _refresh(self, ctx: TenantContext) -> None:
        self.can_manage = ctx.has(Role.COACH)
        self.capacity_rows = await in_tenant(ctx, capacity.list_capacity)
        self.allocation_rows = await in_tenant(ctx, allocations.list_allocations)
        result = await in_tenant(ctx, view.capacity_view)
        self.team_load, self.stream_load = result.teams, result.streams
        self.over_allocated = result.over_allocated
        self.chart_rows = [
            {"name": f"{r.name} {r.quarter}", "capacity": r.capacity, "demand": r.demand}
            for r in result.teams
        ]
        if self.can_manage:
            teams = await in_tenant(ctx, identity.list_teams)
            self.teams = [Choice(value=str(t.id), label=t.name) for t in teams]
            self.initiatives = await in_tenant(ctx, allocations.funded_choices)

    def _on_failed_load(self) -> None:
        self.capacity_rows, self.allocation_rows, self.team_load, self.stream_load = [], [], [], []
        self.chart_rows = []

    @rx.event
    async def load(self) -> None:
        await self._load()

    @rx.event
    async def set_capacity(self, form: dict) -> None:
        team = str(form.get("capacity_team", "")).strip()
        await self._act(
            capacity.set_capacity,
            notice="Capacity saved.",
            minimum=Role.COACH,
            prepare=lambda: {"team_id": int(team)},
            quarter=str(form.get("capacity_quarter", "")),
            people=str(form.get("capacity_people", "")),
            days_per_person=str(form.get("capacity_days", "")),
            value_stream=str(form.get("capacity_stream", "")),
        )

    @rx.event
    async def allocate(self, form: dict) -> None:
        team = str(form.get("allocation_team", "")).strip()
        initiative = str(form.get("allocation_initiative", "")).strip()
        await self._act(
            allocations.allocate,
            notice="Allocation saved.",
            minimum=Role.COACH,
            prepare=lambda: {"team_id": int(team), "initiative_id": int(initiative)},
            quarter=str(form.get("allocation_quarter", "")),
            person_days=str(form.get("allocation_days", "")),
        )

    @rx.event
    async def remove_allocation(self, allocation_id: int) -> None:
        await self._act(
            allocations.remove_allocation,
            notice="Allocation removed.",
            minimum=Role.COACH,
            allocation_id=int(allocation_id),
        )

    @rx.event
    async def preview_import(self, form: dict) -> None:
        text = str(form.get("capacity_csv", ""))
        preview = await self._act(
            importing.preview_capacity_csv, minimum=Role.COACH, refresh=False, text=text
        )
        if preview is None:
            return
        if preview.file_error:
            self._refuse(preview.file_error)
            return
        self._import_text = text
        self.preview_lines, self.preview_errors = preview.lines, preview.errors
        self.previewing = True

    @rx.event
    def cancel_import(self) -> None:
        self._import_text, self.preview_lines, self.previewing = "", [], False
        self.notice = "Import cancelled; nothing was written."

    @rx.event(background=True)
    async def confirm_import(self):
        """The previewed lines written, the progress bar moving while they are."""
        async with self:
            if self.importing:
                return
            text, self.importing = self._import_text, True
        written = await self._act_reporting(
            importing.import_capacity_csv,
            progress_var="import_progress",
            minimum=Role.COACH,
            text=text,
            confirm=True,
        )
        async with self:
            self.importing = False
            if written is not None:
                self._import_text, self.preview_lines, self.previewing = "", [], False
                self.notice = f"Imported {written} capacity line(s)."

    @rx.event
    async def export_csv(self):
        return await self._download(view.export_capacity_csv, "team-capacity.csv")

    @rx.event
    async def export_allocations_csv(self):
        return await self._download(exports.export_allocations_csv, "allocations.csv")

    @rx.event
    async def export_load_csv(self):
        return await self._download(exports.export_load_csv, "demand-vs-capacity.csv")


def _capacity_row(c: CapacityRow) -> rx.Component:
    return rx.table.row(
        rx.table.row_header_cell(c.team_name),
        rx.table.cell(c.quarter),
        rx.table.cell(c.people.to(str)),
        rx.table.cell(c.days_per_person.to(str)),
        rx.table.cell(c.person_days.to(str)),
        rx.table.cell(c.value_stream),
    )


def _allocation_row(a: AllocationRow) -> rx.Component:
    return rx.table.row(
        rx.table.row_header_cell(a.initiative_title),
        rx.table.cell(a.value_stream),
        rx.table.cell(a.team_name),
        rx.table.cell(a.quarter),
        rx.table.cell(a.person_days.to(str)),
        rx.table.cell(
            rx.cond(
                CapacityState.can_manage,
                confirm_button(
                    "Remove",
                    name="Remove " + a.initiative_title + " from " + a.team_name,
                    title="Remove this allocation?",
                    description=a.initiative_title
                    + " no longer asks "
                    + a.team_name
                    + " for "
                    + a.person_days.to(str)
                    + " person-days in "
                    + a.quarter
                    + ".",
                    confirm_label="Remove allocation",
                    on_confirm=CapacityState.remove_allocation(a.id),
                ),
            )
        ),
    )


def _load_row(r: LoadRow) -> rx.Component:
    return rx.table.row(
        rx.table.row_header_cell(r.name),
        rx.table.cell(r.quarter),
        rx.table.cell(r.capacity.to(str)),
        rx.table.cell(r.demand.to(str)),
        rx.table.cell(r.free.to(str)),
        rx.table.cell(
            rx.cond(
                r.over,
                rx.badge("Over-allocated", color_scheme="red", variant="solid"),
                rx.badge("Within capacity", color_scheme="green"),
            )
        ),
        background=rx.cond(r.over, "var(--red-a3)", "transparent"),
    )


LOAD_HEADERS = ["Name", "Quarter", "Capacity (person-days)", "Demand", "Free", "Status"]


def _chart() -> rx.Component:
    """Named for screen readers (the chart itself takes focus, so it is not hidden); the
    capacity table below is its text alternative."""
    return chart_figure(
        "Demand vs capacity chart",
        rx.recharts.bar_chart(
            rx.recharts.cartesian_grid(stroke_dasharray="3 3"),
            rx.recharts.x_axis(data_key="name", tick={"fontSize": 11}, min_tick_gap=12),
            rx.recharts.y_axis(),
            rx.recharts.tooltip(),
            rx.recharts.legend(),
            rx.recharts.bar(
                data_key="capacity", name="Capacity", fill=PRIMARY, is_animation_active=False
            ),
            rx.recharts.bar(
                data_key="demand", name="Demand", fill=SECONDARY, is_animation_active=False
            ),
            data=CapacityState.chart_rows,
            width="100%",
            height=280,
        ),
        rx.el.figcaption(
            "Demand vs capacity per team and quarter; the table below gives the same figures.",
            style={"fontSize": "0.8em", "color": "var(--gray-11)"},
        ),
    )


def _forms() -> rx.Component:
    s = CapacityState
    return rx.hstack(
        card(
            rx.heading("Enter capacity", size="4", as_="h2"),
            rx.form(
                rx.vstack(
                    labelled_select("Team", "capacity_team", s.teams),
                    field("Quarter", "capacity_quarter", placeholder="2027-Q1"),
                    field("People", "capacity_people", type="number", step="0.5"),
                    field("Days per person", "capacity_days", type="number", step="0.5"),
                    field("Value stream", "capacity_stream", required=False),
                    rx.button("Save capacity", type="submit"),
                    align="start",
                    width="100%",
                ),
                on_submit=s.set_capacity,
                width="100%",
            ),
            width="100%",
        ),
        card(
            rx.heading("Allocate a funded initiative", size="4", as_="h2"),
            rx.form(
                rx.vstack(
                    labelled_select("Initiative", "allocation_initiative", s.initiatives),
                    labelled_select("Allocated to team", "allocation_team", s.teams),
                    field("Allocation quarter", "allocation_quarter", placeholder="2027-Q1"),
                    field("Person-days", "allocation_days", type="number", step="0.5"),
                    rx.button("Allocate", type="submit"),
                    align="start",
                    width="100%",
                ),
                on_submit=s.allocate,
                width="100%",
            ),
            width="100%",
        ),
        width="100%",
        align="stretch",
    )


def _preview_line(ln: CsvLine) -> rx.Component:
    return rx.table.row(
        rx.table.row_header_cell(ln.line.to(str)),
        rx.table.cell(ln.team),
        rx.table.cell(ln.quarter),
        rx.table.cell(ln.people),
        rx.table.cell(ln.days_per_person),
        rx.table.cell(rx.text(ln.error, color_scheme="red")),
    )


def _import() -> rx.Component:
    s = CapacityState
    preview: Any = rx.vstack(
        rx.text(
            s.preview_lines.length().to_string()
            + " line(s), "
            + s.preview_errors.to_string()
            + " with errors. Nothing is written until you confirm."
        ),
        data_table(
            "Capacity import preview",
            ["Line", "Team", "Quarter", "People", "Days", "Error"],
            s.preview_lines,
            _preview_line,
            size="1",
        ),
        rx.hstack(
            busy_button(
                "Confirm import",
                busy=s.importing,
                on_click=s.confirm_import,
                disabled=s.preview_errors > 0,
            ),
            rx.button("Cancel", variant="soft", on_click=s.cancel_import, disabled=s.importing),
        ),
        progress_bar("Importing capacity…", s.import_progress, shown=s.importing),
        width="100%",
    )
    return card(
        rx.heading("Import capacity from CSV", size="4", as_="h2"),
        rx.text(
            "Columns: team, quarter, people, days_per_person, value_stream.",
            size="2",
            color_scheme="gray",
        ),
        rx.form(
            text_area("Capacity CSV", "capacity_csv", rows="4"),
            rx.button("Preview import", type="submit", margin_top="0.5em"),
            on_submit=s.preview_import,
            width="100%",
        ),
        rx.cond(s.previewing, preview),
        width="100%",
    )


def _body() -> rx.Component:
    s = CapacityState
    return rx.vstack(
        page_heading("Team capacity", "Capacity per quarter, allocations, demand vs capacity."),
        rx.link(
            "Skills: where a skill is short",
            href="/o/" + AuthState.org_slug + "/capacity/skills",
            size="2",
        ),
        error_callout(s.error),
        info_callout(s.notice),
        rx.cond(
            s.over_allocated > 0,
            rx.callout(
                s.over_allocated.to_string() + " team quarter(s) are over-allocated.",
                icon="triangle_alert",
                color_scheme="red",
                role="status",
                width="100%",
            ),
        ),
        rx.cond(s.can_manage, rx.vstack(_forms(), _import(), width="100%")),
        rx.hstack(
            rx.heading("Capacity per team and quarter", size="5", as_="h2"),
            work_button(
                "Export CSV", state=s, work="export", run=s.export_csv, size="1", variant="soft"
            ),
            align="center",
        ),
        data_table(
            "Capacity",
            ["Team", "Quarter", "People", "Days per person", "Person-days", "Value stream"],
            s.capacity_rows,
            _capacity_row,
            empty="No capacity entered yet.",
        ),
        rx.hstack(
            rx.heading("Allocations", size="5", as_="h2"),
            work_button(
                "Export CSV",
                state=s,
                work="export-allocations",
                run=s.export_allocations_csv,
                size="1",
                variant="soft",
            ),
            align="center",
        ),
        data_table(
            "Allocations",
            ["Initiative", "Value stream", "Team", "Quarter", "Person-days", ""],
            s.allocation_rows,
            _allocation_row,
            empty="No allocations yet.",
        ),
        region(
            "Demand vs capacity per team",
            rx.hstack(
                rx.heading("Demand vs capacity per team", size="5", as_="h2"),
                work_button(
                    "Export demand vs capacity CSV",
                    state=s,
                    work="export-load",
                    run=s.export_load_csv,
                    size="1",
                    variant="soft",
                ),
                align="center",
            ),
            _chart(),
            data_table("Team load", LOAD_HEADERS, s.team_load, _load_row),
        ),
        rx.heading("Demand vs capacity per value stream", size="5", as_="h2"),
        data_table("Value stream load", LOAD_HEADERS, s.stream_load, _load_row),
        width="100%",
        align="start",
        spacing="4",
    )


@rx.page(
    route="/o/[slug]/capacity",
    title="Team capacity",
    on_load=[AuthState.load_workspace, CapacityState.load],
)
@workspace
def capacity_page() -> rx.Component:
    return _body()
