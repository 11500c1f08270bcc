"""/o/<slug>/rollout: the transformation roadmap: waves in order with their teams, dates and
criteria, each wave's progress, and pilot teams against the rest (coaches and up)."""

from __future__ import annotations

import reflex as rx

from pmo_saas.db import in_tenant
from pmo_saas.identity.auth_state import AuthState
from pmo_saas.identity.page_state import BusyWork, WorkspacePage
from pmo_saas.identity.shell import workspace
from pmo_saas.kernel.context import TenantContext
from pmo_saas.kernel.roles import Role
from pmo_saas.rollout.pages.common import progress_table, rollout_href, wave_fields, wave_values
from pmo_saas.rollout.schemas import (
    CultureTrend,
    PilotComparison,
    TrendPoint,
    WaveProgress,
    WaveRow,
)
from pmo_saas.rollout.services import comparison, progress, waves
from pmo_saas.ui.components import (
    card,
    data_table,
    error_callout,
    info_callout,
    page_heading,
    plain_table,
    region,
)
from pmo_saas.ui.dialogs import work_button


class RoadmapState(BusyWork, WorkspacePage, rx.State):
    waves: list[WaveRow] = []
    progress: list[WaveProgress] = []
    comparison: PilotComparison | None = None
    can_manage: bool = False

    async def _refresh(self, ctx: TenantContext) -> None:
        self.can_manage = ctx.has(Role.COACH)
        self.waves = await in_tenant(ctx, waves.list_waves)
        if self.can_manage:
            self.progress = await in_tenant(ctx, progress.roadmap_progress)
            self.comparison = await in_tenant(ctx, comparison.compare_pilot)
        else:
            self.progress, self.comparison = [], None

    def _on_failed_load(self) -> None:
        self.waves, self.progress, self.comparison = [], [], None

    @rx.event
    async def load(self) -> None:
        await self._load()

    @rx.event
    async def create(self, form: dict) -> None:
        await self._act(
            waves.create_wave,
            notice="Wave added to the roadmap.",
            minimum=Role.COACH,
            **wave_values(form),
        )

    @rx.event
    async def export_progress(self):
        return await self._download(progress.export_progress_csv, "rollout-progress.csv")


def _wave_row(w: WaveRow) -> rx.Component:
    return rx.table.row(
        rx.table.row_header_cell(rx.link(w.title, href=rollout_href("/" + w.id.to(str)))),
        rx.table.cell(rx.cond(w.is_pilot, rx.badge("Pilot", color_scheme="violet"), "")),
        rx.table.cell(w.starts_on, " to ", w.ends_on),
        rx.table.cell(w.team_names.join(", ")),
        rx.table.cell(rx.foreach(w.criteria, lambda c: rx.text(c.text, size="1"))),
    )


def _wave_progress(p: WaveProgress) -> rx.Component:
    return rx.vstack(
        rx.heading(p.wave.title, size="4", as_="h3"),
        rx.text(p.summary, size="2"),
        progress_table("Progress of " + p.wave.title, p.wave.criteria, p.teams),
        width="100%",
        align="start",
    )


def _trend_row(t: TrendPoint) -> rx.Component:
    return rx.table.row(
        rx.table.row_header_cell(t.source),
        rx.table.cell(t.date),
        rx.table.cell(t.pilot.label),
        rx.table.cell(t.rest.label),
        rx.table.cell(rx.text(t.reason, size="1", color_scheme="gray")),
    )


HEADERS = ["Round", "Closed", "Pilot teams", "The rest", ""]


def _culture(c: CultureTrend) -> rx.Component:
    return rx.vstack(
        rx.heading(c.label, size="3", as_="h3"),
        plain_table(["Survey", "Closed", "Pilot teams", "The rest", ""], c.points, _trend_row),
        width="100%",
        align="start",
    )


def _comparison() -> rx.Component:
    result = RoadmapState.comparison
    return rx.cond(
        result,
        region(
            "Pilot and the rest",
            rx.heading("Pilot teams and the rest", size="5", as_="h2"),
            rx.text(
                result.pilot_teams.to(str),
                " pilot teams, ",
                result.rest_teams.to(str),
                " others. Maturity is the mean of every raw answer of a group's teams; a "
                "group of fewer than ",
                result.threshold.to(str),
                " teams is never shown. Culture counts only the teams each survey's anonymity "
                "rules show. Each figure says how many teams it rests on.",
                size="2",
            ),
            info_callout(result.message),
            rx.heading("Maturity", size="3", as_="h3"),
            plain_table(HEADERS, result.maturity, _trend_row),
            rx.foreach(result.culture, _culture),
        ),
    )


def _create_form() -> rx.Component:
    return card(
        rx.heading("Add a wave", size="4", as_="h2"),
        rx.form(
            rx.vstack(
                *wave_fields(),
                rx.button("Add wave", type="submit"),
                align="start",
                width="100%",
            ),
            on_submit=RoadmapState.create,
            reset_on_submit=True,
            width="100%",
        ),
        width="100%",
    )


def _body() -> rx.Component:
    s = RoadmapState
    return rx.vstack(
        page_heading(
            "Roll-out roadmap",
            "The transformation in waves: a pilot, then wave after wave, each with its teams "
            "and the criteria that say when to roll out further.",
        ),
        error_callout(s.error),
        info_callout(s.notice),
        rx.cond(s.can_manage, _create_form()),
        data_table(
            "Waves",
            ["Wave", "", "Dates", "Teams", "Criteria"],
            s.waves,
            _wave_row,
            empty="No waves yet.",
        ),
        rx.cond(
            s.can_manage,
            region(
                "Wave progress",
                rx.hstack(
                    rx.heading("Progress", size="5", as_="h2"),
                    work_button(
                        "Export progress CSV",
                        state=s,
                        work="export",
                        run=s.export_progress,
                        size="1",
                        variant="soft",
                    ),
                    align="center",
                ),
                rx.foreach(s.progress, _wave_progress),
            ),
        ),
        _comparison(),
        width="100%",
        align="start",
        spacing="4",
    )


@rx.page(
    route="/o/[slug]/rollout",
    title="Roll-out roadmap",
    on_load=[AuthState.load_workspace, RoadmapState.load],
)
@workspace
def rollout_page() -> rx.Component:
    return _body()
