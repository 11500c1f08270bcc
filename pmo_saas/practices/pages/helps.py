"""/o/<slug>/practices/helps/<dimension key>[?team=<id>]: "to raise <dimension>, try these":
the practices that help one assessment dimension, with the team's adoption of each (linked
from a team's assessment results, per dimension, and from coaching goals)."""

from __future__ import annotations

import reflex as rx

from pmo_saas.db import in_tenant
from pmo_saas.identity.auth_state import AuthState
from pmo_saas.identity.page_state import WorkspacePage
from pmo_saas.identity.shell import workspace
from pmo_saas.kernel.context import TenantContext
from pmo_saas.practices.pages.common import adoption_badge, practices_href
from pmo_saas.practices.schemas import HelpingPractice, HelpsPage
from pmo_saas.practices.services import playbook
from pmo_saas.ui.components import data_table, error_callout, page_heading


def _dimension_key(path: str) -> str:
    parts = [p for p in (path or "").split("/") if p]
    if len(parts) >= 5 and parts[2] == "practices" and parts[3] == "helps":
        return parts[4][:60]
    return ""


class HelpsState(WorkspacePage, rx.State):
    page: HelpsPage | None = None

    async def _refresh(self, ctx: TenantContext) -> None:
        team = self.router.url.query_parameters.get("team", "")
        self.page = await in_tenant(
            ctx,
            playbook.helps_page,
            dimension_key=_dimension_key(self.router.url.path),
            team_id=int(team) if team.isdigit() else None,
        )

    def _on_failed_load(self) -> None:
        self.page = None

    @rx.event
    async def load(self) -> None:
        await self._load()


def _row(p: HelpingPractice) -> rx.Component:
    return rx.table.row(
        rx.table.row_header_cell(
            rx.link(p.title, href=practices_href("/" + p.practice_id.to(str)))
        ),
        rx.table.cell(p.purpose),
        rx.table.cell(rx.cond(p.status_label != "", adoption_badge(p.status, p.status_label))),
    )


def _body() -> rx.Component:
    page = HelpsState.page
    return rx.vstack(
        page_heading("Practices that help", "From the PMO's practice playbook."),
        error_callout(HelpsState.error),
        rx.cond(
            page,
            rx.vstack(
                rx.heading(
                    "To raise " + page.dimension_name + ", try these",
                    size="5",
                    as_="h2",
                ),
                rx.cond(page.team_name != "", rx.text("Adoption by " + page.team_name)),
                data_table(
                    "Practices that help " + page.dimension_name,
                    ["Practice", "Purpose", "Adoption"],
                    page.practices,
                    _row,
                    empty="No practice in the playbook names this dimension yet.",
                ),
                width="100%",
                align="start",
            ),
        ),
        rx.link("The whole playbook", href=practices_href(), size="2"),
        width="100%",
        align="start",
        spacing="4",
    )


@rx.page(
    route="/o/[slug]/practices/helps/[dimension]",
    title="Practices that help",
    on_load=[AuthState.load_workspace, HelpsState.load],
)
@workspace
def helps_page() -> rx.Component:
    return _body()
