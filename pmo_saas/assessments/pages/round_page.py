"""/o/<slug>/assessments/rounds/<id>: the coach's round page.

Response progress per team, facilitator notes, closing the round, CSV export, and the
results: per team a radar chart with its numbers in a table, the change since the team's
previous round, focus dimensions; and the organisation heat map (teams x dimensions).
Coaches only: every handler asks the server for the coach role.
"""

from __future__ import annotations

import re
from typing import Any

import reflex as rx
from pydantic import BaseModel
from sqlmodel import Session

from pmo_saas.assessments import views
from pmo_saas.assessments.pages.common import back_link, id_after
from pmo_saas.assessments.pages.round_parts import org_radar, org_radar_section, radar
from pmo_saas.assessments.schemas import RoundSummary
from pmo_saas.assessments.services import results as result_services
from pmo_saas.assessments.services import rounds
from pmo_saas.assessments.views import (
    HeatCellView,
    HeatMapView,
    HeatRowView,
    ProgressView,
    ResultRowView,
    TeamResultView,
)
from pmo_saas.collaboration.pages.thread import comment_thread
from pmo_saas.db import in_tenant
from pmo_saas.identity.auth_state import AuthState
from pmo_saas.identity.page_state import BusyWork, WorkspacePage
from pmo_saas.identity.shell import workspace
from pmo_saas.kernel.context import TenantContext
from pmo_saas.kernel.roles import Role
from pmo_saas.ui.components import (
    card,
    error_callout,
    info_callout,
    page_heading,
    plain_table,
    region,
)
from pmo_saas.ui.dialogs import busy_button, confirm_dialog

RESULT_COLUMNS = (
    "Dimension",
    "Respondents",
    "Mean",
    "Median",
    "Min",
    "Max",
    "Std dev",
    "Distribution",
    "Previous",
    "Change",
    "Focus",
)


class RoundPage(BaseModel):
    summary: RoundSummary
    notes: str
    progress: list[ProgressView]
    results: list[TeamResultView]
    heat: HeatMapView
    org_radar: list[dict[str, Any]]
    scale_max: int


def _round_page(
    *, session: Session, ctx: TenantContext, round_id: int, rank_by: int | None = None
) -> RoundPage:
    summary = rounds.get_round(session=session, ctx=ctx, round_id=round_id)
    notes = rounds.round_notes(session=session, ctx=ctx, round_id=round_id)
    progress = rounds.round_progress(session=session, ctx=ctx, round_id=round_id)
    results = [
        result_services.team_result(session=session, ctx=ctx, round_id=round_id, team_id=p.team_id)
        for p in progress
    ]
    scale = (results[0].scale_min, results[0].scale_max) if results else (1, 5)
    heat = result_services.heat_map(
        session=session, ctx=ctx, round_id=round_id, rank_by_dimension_id=rank_by
    )
    return RoundPage(
        summary=summary,
        notes=notes,
        progress=[views.progress_view(p) for p in progress],
        results=[views.team_result_view(r) for r in results],
        heat=views.heat_map_view(heat, *scale),
        org_radar=org_radar(results),
        scale_max=scale[1],
    )


def _export_name(title: str) -> str:
    return (re.sub(r"[^a-z0-9]+", "-", title.lower()).strip("-") or "round") + ".csv"


class RoundState(BusyWork, WorkspacePage, rx.State):
    title: str = ""
    status: str = ""
    model_label: str = ""
    opened_at: str = ""
    closed_at: str = ""
    notes: str = ""
    progress: list[ProgressView] = []
    results: list[TeamResultView] = []
    heat: HeatMapView = HeatMapView(dimensions=[], rows=[])
    org_radar: list[dict[str, Any]] = []
    scale_max: int = 5
    # dimension names to order the heat map by ("" = alphabetical: teams are not ranked)
    rank_choices: list[str] = []
    rank_by: str = ""
    _rank_ids: dict[str, int] = {}

    def _round_id(self) -> int:
        return id_after(self.router.url.path, "rounds")

    async def _refresh(self, ctx: TenantContext) -> None:
        page = await in_tenant(
            ctx, _round_page, round_id=self._round_id(), rank_by=self._rank_ids.get(self.rank_by)
        )
        self.title, self.status = page.summary.title, page.summary.status
        self.model_label = f"{page.summary.model_name}, version {page.summary.version_number}"
        self.opened_at = page.summary.opened_at[:16].replace("T", " ")
        self.closed_at = (page.summary.closed_at or "")[:16].replace("T", " ")
        self.notes = page.notes
        self.progress, self.results, self.heat = page.progress, page.results, page.heat
        self.org_radar, self.scale_max = page.org_radar, page.scale_max
        self._rank_ids = (
            {row.name: row.dimension_id for row in page.results[0].rows} if page.results else {}
        )
        self.rank_choices = list(self._rank_ids)

    def _on_failed_load(self) -> None:
        self.title = self.status = self.model_label = self.opened_at = self.closed_at = ""
        self.notes = ""
        self.progress, self.results, self.org_radar = [], [], []
        self.heat = HeatMapView(dimensions=[], rows=[])

    @rx.event
    async def load(self) -> None:
        self.rank_by = ""
        await self._load(Role.COACH)

    @rx.event
    async def order_heat_map(self, dimension: str) -> None:
        self.rank_by = dimension if dimension in self._rank_ids else ""
        await self._load(Role.COACH)

    async def _coach_action(self, fn, notice: str, **kwargs) -> None:  # type: ignore[no-untyped-def]
        await self._act(fn, notice=notice, minimum=Role.COACH, round_id=self._round_id(), **kwargs)

    @rx.event
    async def save_notes(self, form: dict) -> None:
        await self._coach_action(
            rounds.set_round_notes, "Notes saved.", notes=form.get("notes", "")
        )

    @rx.event
    async def close_round(self) -> None:
        await self._coach_action(rounds.close_round, "Round closed. These results are final.")

    @rx.event
    async def toggle_focus(self, team_id: int, dimension_id: int, is_focus: bool) -> None:
        if is_focus:
            await self._coach_action(
                result_services.unmark_focus_dimension,
                "No longer a focus dimension.",
                team_id=int(team_id),
                dimension_id=int(dimension_id),
            )
        else:
            await self._coach_action(
                result_services.mark_focus_dimension,
                "Marked as a focus dimension; coaching plans can build on it.",
                team_id=int(team_id),
                dimension_id=int(dimension_id),
            )

    @rx.event
    async def export_csv(self):
        data = await self._act(
            result_services.export_round_csv,
            minimum=Role.COACH,
            refresh=False,
            round_id=self._round_id(),
        )
        if data is None:
            return None
        return rx.download(data=data, filename=_export_name(self.title), mime_type="text/csv")


def _progress_row(p: ProgressView) -> rx.Component:
    return rx.table.row(
        rx.table.row_header_cell(p.team_name),
        rx.table.cell(p.invited),
        rx.table.cell(p.started),
        rx.table.cell(p.submitted),
        rx.table.cell(
            rx.hstack(
                rx.progress(value=p.percent, width="120px", aria_label=p.team_name + " submitted"),
                rx.text(p.percent.to_string() + "%", size="2"),
                align="center",
            )
        ),
    )


def _progress() -> rx.Component:
    return region(
        "Response progress",
        rx.heading("Response progress", size="4", as_="h2"),
        plain_table(
            ["Team", "Asked", "Started", "Submitted", ""], RoundState.progress, _progress_row
        ),
    )


def _notes() -> rx.Component:
    return card(
        rx.form(
            rx.vstack(
                rx.el.label("Facilitator notes", html_for="field-notes", class_name="pmo-label"),
                rx.text_area(
                    id="field-notes",
                    name="notes",
                    default_value=RoundState.notes,
                    key=RoundState.notes,
                    rows="4",
                    width="100%",
                    placeholder="What came up in the session, agreements, follow-ups",
                ),
                rx.button("Save notes", type="submit", variant="soft"),
                width="100%",
                align="start",
            ),
            on_submit=RoundState.save_notes,
            width="100%",
        ),
        width="100%",
    )


def _result_row(team: TeamResultView, row: ResultRowView) -> rx.Component:
    return rx.table.row(
        rx.table.row_header_cell(
            rx.hstack(
                rx.text(row.name),
                rx.cond(row.is_focus, rx.badge("focus", color_scheme="orange")),
                rx.cond(row.colour != "", rx.badge(row.colour)),
                rx.cond(row.trend != "", rx.badge(row.trend, variant="outline")),
                rx.link(
                    "Practices that help",
                    href="/o/"
                    + AuthState.org_slug
                    + "/practices/helps/"
                    + row.dimension_key
                    + "?team="
                    + team.team_id.to(str),
                    size="1",
                    aria_label="Practices that help " + row.name + " for " + team.team_name,
                ),
                spacing="2",
                align="center",
            )
        ),
        rx.table.cell(row.respondents),
        rx.table.cell(row.mean),
        rx.table.cell(row.median),
        rx.table.cell(row.minimum),
        rx.table.cell(row.maximum),
        rx.table.cell(row.stddev),
        rx.table.cell(row.distribution),
        rx.table.cell(row.previous),
        rx.table.cell(row.change),
        rx.table.cell(
            rx.cond(
                RoundState.status == "closed",
                rx.button(
                    rx.cond(row.is_focus, "Unmark", "Mark focus"),
                    size="1",
                    variant=rx.cond(row.is_focus, "solid", "soft"),
                    aria_label=rx.cond(row.is_focus, "Unmark ", "Mark ")
                    + row.name
                    + " as focus for "
                    + team.team_name,
                    on_click=RoundState.toggle_focus(team.team_id, row.dimension_id, row.is_focus),
                ),
                rx.text("after closing", size="1", color_scheme="gray"),
            )
        ),
    )


def _team_result(team: TeamResultView) -> rx.Component:
    # Each team one click away: the summary line says who and how many; the detail opens below.
    return rx.el.details(
        rx.el.summary(
            "Details of " + team.team_name,
            rx.text(
                " · " + team.respondents.to_string() + " respondents",
                as_="span",
                color_scheme="gray",
                weight="regular",
            ),
        ),
        _team_detail(team),
        class_name="pmo-disclosure",
    )


def _team_detail(team: TeamResultView) -> rx.Component:
    return rx.vstack(
        rx.heading(team.team_name, size="4", as_="h3"),
        rx.text("Respondents: " + team.respondents.to_string(), size="2", color_scheme="gray"),
        radar(
            "Radar chart of " + team.team_name,
            team.radar,
            team.scale_max,
            previous=team.has_previous,
        ),
        rx.cond(team.spread_note != "", rx.text(team.spread_note, size="1", color_scheme="gray")),
        rx.el.section(
            rx.table.root(
                rx.table.header(
                    rx.table.row(*[rx.table.column_header_cell(h) for h in RESULT_COLUMNS])
                ),
                rx.table.body(rx.foreach(team.rows, lambda row: _result_row(team, row))),
                width="100%",
                size="1",
            ),
            aria_label="Results of " + team.team_name,
            style={"width": "100%", "overflowX": "auto"},
        ),
        rx.el.section(
            rx.foreach(
                team.rows,
                lambda row: rx.foreach(
                    row.comments,
                    lambda comment: rx.text(
                        rx.text(row.name + ": ", weight="medium", as_="span"), comment, size="2"
                    ),
                ),
            ),
            aria_label="Comments of " + team.team_name,
        ),
        width="100%",
        align="start",
        padding_bottom="1em",
    )


def _heat_cell(cell: HeatCellView) -> rx.Component:
    return rx.table.cell(
        cell.text,
        aria_label=cell.label,
        style={"background": cell.background, "textAlign": "center", "fontWeight": 500},
    )


def _heat_row(row: HeatRowView) -> rx.Component:
    return rx.table.row(
        rx.table.row_header_cell(row.team_name),
        rx.foreach(row.cells, _heat_cell),
    )


def _heat_map() -> rx.Component:
    return rx.el.section(
        rx.heading("Heat map: teams by dimensions", size="4", as_="h2"),
        rx.text(
            "Each cell is the mean of the team's raw answers on that dimension. Teams are in "
            "alphabetical order unless you choose to rank them.",
            size="2",
            color_scheme="gray",
        ),
        rx.hstack(
            rx.el.label("Order teams", html_for="field-rank-by", class_name="pmo-label"),
            rx.el.select(
                rx.el.option("Alphabetically (no ranking)", value=""),
                rx.foreach(
                    RoundState.rank_choices,
                    lambda name: rx.el.option("Highest first on " + name, value=name),
                ),
                id="field-rank-by",
                value=RoundState.rank_by,
                on_change=RoundState.order_heat_map,
                class_name="pmo-select",
            ),
            align="center",
        ),
        rx.table.root(
            rx.table.header(
                rx.table.row(
                    rx.table.column_header_cell("Team"),
                    rx.foreach(RoundState.heat.dimensions, rx.table.column_header_cell),
                )
            ),
            rx.table.body(rx.foreach(RoundState.heat.rows, _heat_row)),
            width="100%",
        ),
        aria_label="Heat map",
        style={"width": "100%", "overflowX": "auto"},
    )


@rx.page(
    route="/o/[slug]/assessments/rounds/[round_id]",
    title="Assessment round",
    on_load=[AuthState.load_workspace, RoundState.load],
)
@workspace
def round_page() -> rx.Component:
    return rx.vstack(
        back_link(),
        page_heading("Assessment round"),
        error_callout(RoundState.error),
        info_callout(RoundState.notice),
        rx.cond(
            RoundState.title != "",
            rx.vstack(
                rx.hstack(
                    rx.heading(RoundState.title, size="5", as_="h2"),
                    rx.badge(
                        RoundState.status,
                        color_scheme=rx.cond(RoundState.status == "open", "blue", "gray"),
                        aria_label="Round status",
                    ),
                    align="center",
                ),
                rx.text(
                    RoundState.model_label,
                    " · opened ",
                    RoundState.opened_at,
                    rx.cond(RoundState.closed_at != "", " · closed " + RoundState.closed_at, ""),
                    size="2",
                    color_scheme="gray",
                ),
                rx.hstack(
                    rx.cond(
                        RoundState.status == "open",
                        confirm_dialog(
                            busy_button(
                                "Close round",
                                busy=RoundState.busy == "close",
                                color_scheme="orange",
                            ),
                            title="Close this round?",
                            description="Nobody can answer it any more and its results are "
                            "fixed. This cannot be undone.",
                            confirm_label="Close round",
                            on_confirm=[RoundState.mark_busy("close"), RoundState.close_round],
                            danger=False,
                        ),
                    ),
                    busy_button(
                        "Export CSV",
                        busy=RoundState.busy == "export",
                        variant="soft",
                        on_click=[RoundState.mark_busy("export"), RoundState.export_csv],
                    ),
                ),
                rx.heading("Results", size="5", as_="h2"),
                rx.cond(
                    RoundState.status == "open",
                    info_callout("The round is open: these figures change as people answer."),
                ),
                _heat_map(),
                org_radar_section(RoundState.org_radar, RoundState.scale_max),
                region(
                    "Each team",
                    rx.heading("Each team", size="4", as_="h2"),
                    rx.vstack(rx.foreach(RoundState.results, _team_result), width="100%"),
                ),
                _progress(),
                _notes(),
                comment_thread("assessment_round"),
                width="100%",
                align="start",
                spacing="4",
            ),
        ),
        width="100%",
        align="start",
        spacing="4",
    )
