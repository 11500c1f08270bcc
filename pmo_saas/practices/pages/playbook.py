"""/o/<slug>/practices: the playbook, publishing, the starter practices, the teams x practices
adoption matrix (and its CSV) and the practice/maturity comparison."""

from __future__ import annotations

import reflex as rx

from pmo_saas.db import in_tenant
from pmo_saas.identity.auth_state import AuthState
from pmo_saas.identity.page_state import BusyWork, WorkspacePage
from pmo_saas.identity.shell import workspace
from pmo_saas.kernel.context import TenantContext
from pmo_saas.kernel.roles import Role
from pmo_saas.practices.pages.common import (
    FRAMEWORK_CHOICES,
    adoption_badge,
    dimension_boxes,
    dimension_keys,
    practices_href,
)
from pmo_saas.practices.schemas import (
    ComparisonResult,
    DimensionChoice,
    MatrixCell,
    MatrixRow,
    PracticeComparison,
    PracticeRow,
)
from pmo_saas.practices.services import adoption, comparison, playbook
from pmo_saas.ui.components import (
    card,
    data_table,
    error_callout,
    field,
    info_callout,
    labelled_select,
    page_heading,
    plain_table,
    region,
    text_area,
)
from pmo_saas.ui.dialogs import work_button


class PlaybookState(BusyWork, WorkspacePage, rx.State):
    practices: list[PracticeRow] = []
    matrix_rows: list[MatrixRow] = []
    dimensions: list[DimensionChoice] = []
    comparison: ComparisonResult | None = None
    can_manage: bool = False

    async def _refresh(self, ctx: TenantContext) -> None:
        self.can_manage = ctx.has(Role.COACH)
        self.practices = await in_tenant(ctx, playbook.list_practices)
        matrix = await in_tenant(ctx, adoption.adoption_matrix)
        self.matrix_rows = matrix.rows
        self.dimensions = await in_tenant(ctx, playbook.dimension_choices)
        self.comparison = (
            await in_tenant(ctx, comparison.compare_practices) if self.can_manage else None
        )

    def _on_failed_load(self) -> None:
        self.practices, self.matrix_rows, self.comparison = [], [], None

    @rx.event
    async def load(self) -> None:
        await self._load()

    @rx.event
    async def publish(self, form: dict) -> None:
        await self._act(
            playbook.publish_practice,
            notice="Practice published.",
            minimum=Role.COACH,
            title=str(form.get("practice_title", "")),
            purpose=str(form.get("practice_purpose", "")),
            how_to=str(form.get("practice_how_to", "")),
            framework=str(form.get("practice_framework", "general")),
            dimension_keys=dimension_keys(form),
        )

    @rx.event
    async def add_starters(self) -> None:
        added = await self._act(playbook.add_starter_practices, minimum=Role.COACH)
        if added is not None:
            self.notice = (
                f"Added {added} starter practice(s)."
                if added
                else "The playbook already has every starter practice."
            )

    @rx.event
    async def export_matrix(self):
        return await self._download(adoption.export_adoption_csv, "practice-adoption.csv")

    @rx.event
    async def export_practices(self):
        return await self._download(adoption.export_practices_csv, "practices.csv")


def _practice_row(p: PracticeRow) -> rx.Component:
    return rx.table.row(
        rx.table.row_header_cell(rx.link(p.title, href=practices_href("/" + p.id.to(str)))),
        rx.table.cell(p.framework),
        rx.table.cell(p.purpose),
        rx.table.cell(p.dimension_names.join(", ")),
        rx.table.cell(p.owner_name),
        rx.table.cell("v" + p.version.to(str)),
        rx.table.cell(p.adopted_teams.to(str)),
    )


def _matrix_cell(c: MatrixCell) -> rx.Component:
    return rx.table.cell(adoption_badge(c.status, c.label))


def _matrix_row(r: MatrixRow) -> rx.Component:
    return rx.table.row(rx.table.row_header_cell(r.team_name), rx.foreach(r.cells, _matrix_cell))


def _matrix() -> rx.Component:
    s = PlaybookState
    return region(
        "Adoption matrix",
        rx.hstack(
            rx.heading("Adoption: teams x practices", size="5", as_="h2"),
            work_button(
                "Export CSV",
                state=s,
                work="export-matrix",
                run=s.export_matrix,
                size="1",
                variant="soft",
            ),
            align="center",
        ),
        rx.scroll_area(
            rx.table.root(
                rx.table.header(
                    rx.table.row(
                        rx.table.column_header_cell("Team"),
                        rx.foreach(s.practices, lambda p: rx.table.column_header_cell(p.title)),
                    )
                ),
                rx.table.body(rx.foreach(s.matrix_rows, _matrix_row)),
                size="1",
            ),
            type="auto",
            scrollbars="horizontal",
        ),
    )


def _comparison_row(c: PracticeComparison) -> rx.Component:
    return rx.table.row(
        rx.table.row_header_cell(c.title),
        rx.table.cell(c.adopted.label),
        rx.table.cell(c.rest.label),
        rx.table.cell(rx.text(c.reason, size="1", color_scheme="gray")),
    )


def _comparison() -> rx.Component:
    result = PlaybookState.comparison
    return rx.cond(
        result,
        region(
            "Practice and maturity",
            rx.heading("Practices and maturity", size="5", as_="h2"),
            rx.text(
                "Mean maturity in ",
                rx.cond(result.round_title != "", result.round_title, "no round yet"),
                " of the teams that adopted each practice (adopted or adapted) and of the rest, "
                "from the raw answers. Groups of fewer than ",
                result.threshold.to(str),
                " teams are never shown; practices are in playbook order, not ranked.",
                size="2",
            ),
            info_callout(result.message),
            plain_table(["Practice", "Adopted", "The rest", ""], result.practices, _comparison_row),
        ),
    )


def _publish_form() -> rx.Component:
    s = PlaybookState
    return card(
        rx.hstack(
            rx.heading("Publish a practice", size="4", as_="h2"),
            rx.spacer(),
            rx.button("Add the starter practices", variant="soft", on_click=s.add_starters),
            width="100%",
        ),
        rx.form(
            rx.vstack(
                field("Title", "practice_title"),
                labelled_select(
                    "Framework", "practice_framework", FRAMEWORK_CHOICES, default="general"
                ),
                text_area("Purpose", "practice_purpose", rows="2"),
                text_area("How to (markdown)", "practice_how_to", rows="5"),
                dimension_boxes(s.dimensions),
                rx.button("Publish", type="submit"),
                align="start",
                width="100%",
            ),
            on_submit=s.publish,
            reset_on_submit=True,
            width="100%",
        ),
        width="100%",
    )


def _body() -> rx.Component:
    s = PlaybookState
    return rx.vstack(
        page_heading(
            "Practice playbook",
            "The practices the PMO standardises, how teams adopt them, and what it changes.",
        ),
        error_callout(s.error),
        info_callout(s.notice),
        rx.cond(s.can_manage, _publish_form()),
        work_button(
            "Export practices CSV",
            state=s,
            work="export-practices",
            run=s.export_practices,
            size="1",
            variant="soft",
        ),
        data_table(
            "Practices",
            ["Practice", "Framework", "Purpose", "Helps", "Owner", "Version", "Teams adopted"],
            s.practices,
            _practice_row,
            empty="No practices yet.",
        ),
        _matrix(),
        _comparison(),
        width="100%",
        align="start",
        spacing="4",
    )


@rx.page(
    route="/o/[slug]/practices",
    title="Practice playbook",
    on_load=[AuthState.load_workspace, PlaybookState.load],
)
@workspace
def practices_page() -> rx.Component:
    return _body()
