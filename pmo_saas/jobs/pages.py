"""Admin > Background jobs: each job's schedule, last run, outcome and next run."""

from __future__ import annotations

import reflex as rx

from pmo_saas.db import in_tenant
from pmo_saas.identity.auth_state import AuthState
from pmo_saas.identity.page_state import WorkspacePage
from pmo_saas.identity.shell import workspace
from pmo_saas.jobs import services
from pmo_saas.jobs.schemas import JobStatusRow
from pmo_saas.kernel.context import TenantContext
from pmo_saas.kernel.roles import Role
from pmo_saas.ui.components import data_table, error_callout, page_heading


class JobsState(WorkspacePage, rx.State):
    jobs: list[JobStatusRow] = []

    async def _refresh(self, ctx: TenantContext) -> None:
        self.jobs = await in_tenant(ctx, services.job_overview)

    def _on_failed_load(self) -> None:
        self.jobs = []

    @rx.event
    async def load(self) -> None:
        await self._load(Role.ADMIN)


def _outcome(row: JobStatusRow) -> rx.Component:
    return rx.match(
        row.outcome,
        ("ok", rx.badge("ok", color_scheme="green")),
        ("failed", rx.badge("failed", color_scheme="red")),
        ("running", rx.badge("running", color_scheme="blue")),
        rx.badge(row.outcome, color_scheme="gray"),
    )


def _row(row: JobStatusRow) -> rx.Component:
    return rx.table.row(
        rx.table.row_header_cell(
            rx.text(row.title), rx.text(row.name, size="1", color_scheme="gray")
        ),
        rx.table.cell(row.schedule),
        rx.table.cell(rx.cond(row.last_run != "", row.last_run, "never")),
        rx.table.cell(_outcome(row)),
        rx.table.cell(row.next_run),
    )


@rx.page(
    route="/o/[slug]/admin/jobs",
    title="Background jobs",
    on_load=[AuthState.load_workspace, JobsState.load],
)
@workspace
def jobs_page() -> rx.Component:
    return rx.vstack(
        page_heading(
            "Background jobs",
            "What runs on its own, when it last ran and when it runs next (times in UTC).",
        ),
        error_callout(JobsState.error),
        data_table(
            "Background jobs",
            ["Job", "Schedule", "Last run", "Outcome", "Next run"],
            JobsState.jobs,
            _row,
        ),
        width="100%",
        align="start",
    )
