"""/o/<slug>/improvement: feedback on the PMO (launch the next round to every team, its trend
per round and statement) and the PMO's improvement backlog (raise, move, own, export)."""

from __future__ import annotations

import reflex as rx
from pydantic import BaseModel

from pmo_saas.db import in_tenant
from pmo_saas.identity.auth_state import AuthState
from pmo_saas.identity.page_state import BusyWork, WorkspacePage
from pmo_saas.identity.shell import workspace
from pmo_saas.improvement import services
from pmo_saas.improvement.models import SOURCE_LABELS, STATUS_LABELS
from pmo_saas.improvement.schemas import Choice, ImprovementRow
from pmo_saas.kernel.context import TenantContext
from pmo_saas.kernel.roles import Role
from pmo_saas.surveys.services import UNDELIVERED, links_deliverable
from pmo_saas.surveys.services import pmo_feedback as feedback
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

STATUS_CHOICES = list(STATUS_LABELS.items())
SOURCE_CHOICES = list(SOURCE_LABELS.items())
QUESTION_CHOICES = list(feedback.PMO_QUESTION_LABELS.items())


class TrendRow(BaseModel):
    round_label: str
    closed: str
    responses: str
    headline: str
    cells: list[str]
    note: str


def _figure(value: float | None) -> str:
    return f"{value:.2f}" if value is not None else "—"


def trend_rows(trend: feedback.PmoFeedbackTrend) -> list[TrendRow]:
    """The trend as text rows (the page's table and the dashboard tile's text alternative)."""
    rows = []
    for r in trend.rounds:
        shown = r.headline is not None
        rows.append(
            TrendRow(
                round_label=r.round_label,
                closed=r.closed or "running",
                responses=str(r.responses) if not r.running else "",
                headline=_figure(r.headline) if shown else "hidden" if not r.running else "",
                cells=[_figure(r.questions.get(q.key)) if shown else "" for q in trend.questions],
                note=r.hidden_reason,
            )
        )
    return rows


class ImprovementState(BusyWork, WorkspacePage, rx.State):
    items: list[ImprovementRow] = []
    owners: list[Choice] = []
    rounds: list[Choice] = []
    trend: list[TrendRow] = []
    can_manage: bool = False

    async def _refresh(self, ctx: TenantContext) -> None:
        self.can_manage = ctx.has(Role.COACH)
        self.items = await in_tenant(ctx, services.list_items)
        self.owners = await in_tenant(ctx, services.owner_choices)
        found = await in_tenant(ctx, feedback.pmo_feedback_rounds)
        self.rounds = [Choice(value=str(sid), label=label) for sid, label in found]
        self.trend = (
            trend_rows(await in_tenant(ctx, feedback.pmo_feedback_trend)) if self.can_manage else []
        )

    def _on_failed_load(self) -> None:
        self.items, self.owners, self.rounds, self.trend = [], [], [], []

    @rx.event
    async def load(self) -> None:
        await self._load()

    @rx.event
    async def launch_feedback(self) -> None:
        launched = await self._act(
            feedback.launch_pmo_feedback,
            notice="Feedback on the PMO launched to every team.",
            minimum=Role.COACH,
        )
        if launched is not None and not links_deliverable():
            self.notice = UNDELIVERED

    @rx.event
    async def raise_item(self, form: dict) -> None:
        source = str(form.get("improvement_source", "feedback"))
        round_id = str(form.get("improvement_round", "")).strip()
        owner = str(form.get("improvement_owner", "")).strip()
        await self._act(
            services.raise_item,
            notice="Improvement item raised.",
            minimum=Role.COACH,
            title=str(form.get("improvement_title", "")),
            detail=str(form.get("improvement_detail", "")),
            source=source,
            survey_id=int(round_id) if round_id.isdigit() else None,
            question_key=str(form.get("improvement_question", "")),
            retro=str(form.get("improvement_retro", "")),
            owner_user_id=int(owner) if owner.isdigit() else None,
        )

    @rx.event
    async def set_status(self, item_id: int, status: str) -> None:
        await self._act(
            services.set_item_status,
            notice="Status changed.",
            minimum=Role.COACH,
            item_id=item_id,
            status=status,
        )

    @rx.event
    async def set_owner(self, item_id: int, person: str) -> None:
        await self._act(
            services.set_item_owner,
            notice="Owner changed.",
            minimum=Role.COACH,
            item_id=item_id,
            owner_user_id=int(person) if person.isdigit() else None,
        )

    @rx.event
    async def export_items(self):
        return await self._download(services.export_items_csv, "pmo-improvements.csv")


def _trend() -> rx.Component:
    s = ImprovementState
    headers = ["Round", "Closed", "Responses", "PMO service score (1-5)"]
    headers += [label for _, label in QUESTION_CHOICES] + ["Note"]

    def row(r: TrendRow) -> rx.Component:
        return rx.table.row(
            rx.table.row_header_cell(r.round_label),
            rx.table.cell(r.closed),
            rx.table.cell(r.responses),
            rx.table.cell(r.headline),
            rx.foreach(r.cells, rx.table.cell),
            rx.table.cell(rx.text(r.note, size="1", color_scheme="gray")),
        )

    return region(
        "Feedback on the PMO",
        rx.hstack(
            rx.heading("Feedback on the PMO", size="5", as_="h2"),
            rx.button("Launch feedback to every team", on_click=s.launch_feedback),
            align="center",
            wrap="wrap",
        ),
        rx.text(
            "Anonymous under the same rules as every culture survey: results appear once a "
            "round has closed, and only for groups large enough not to identify anyone.",
            size="2",
        ),
        rx.cond(
            s.trend.length() > 0,
            plain_table(headers, s.trend, row, size="1"),
            rx.text("No round yet.", color_scheme="gray"),
        ),
    )


def _raise_form() -> rx.Component:
    s = ImprovementState
    return card(
        rx.heading("Raise an improvement", size="4", as_="h2"),
        rx.form(
            rx.vstack(
                field("Title", "improvement_title"),
                text_area("Detail", "improvement_detail", rows="2"),
                labelled_select("Comes from", "improvement_source", SOURCE_CHOICES),
                labelled_select("Feedback round", "improvement_round", s.rounds, empty="—"),
                labelled_select(
                    "Statement", "improvement_question", QUESTION_CHOICES, empty="(the round)"
                ),
                field("Retrospective", "improvement_retro", required=False,
                      hint="For an item from a PMO retrospective: which one."),
                labelled_select("Owner", "improvement_owner", s.owners, empty="nobody"),
                rx.button("Raise", type="submit"),
                align="start",
                width="100%",
            ),
            on_submit=s.raise_item,
            reset_on_submit=True,
            width="100%",
        ),
        width="100%",
    )  # fmt: skip


def _origin(item: ImprovementRow) -> rx.Component:
    return rx.text(
        item.source_label,
        rx.cond(item.round_label != "", ": " + item.round_label, ""),
        rx.cond(item.question_label != "", ", " + item.question_label, ""),
        rx.cond(item.retro != "", ": " + item.retro, ""),
        size="2",
    )


def _item_row(item: ImprovementRow) -> rx.Component:
    s = ImprovementState
    status = rx.cond(
        s.can_manage,
        rx.el.select(
            *[rx.el.option(label, value=key) for key, label in STATUS_CHOICES],
            value=item.status,
            on_change=lambda v: s.set_status(item.id, v),
            aria_label="Status of " + item.title,
            class_name="pmo-select",
        ),
        rx.text(item.status_label),
    )
    owner = rx.cond(
        s.can_manage,
        rx.el.select(
            rx.el.option("nobody", value=""),
            rx.foreach(s.owners, lambda o: rx.el.option(o.label, value=o.value)),
            value=rx.cond(item.owner_user_id, item.owner_user_id.to(str), ""),
            on_change=lambda v: s.set_owner(item.id, v),
            aria_label="Owner of " + item.title,
            class_name="pmo-select",
        ),
        rx.text(item.owner_name),
    )
    return rx.table.row(
        rx.table.row_header_cell(item.title),
        rx.table.cell(_origin(item)),
        rx.table.cell(status),
        rx.table.cell(owner),
        rx.table.cell(rx.text(item.detail, size="1")),
    )


def _body() -> rx.Component:
    s = ImprovementState
    return rx.vstack(
        page_heading(
            "PMO improvement",
            "How the teams rate the PMO's services, and what the PMO changes in response.",
        ),
        error_callout(s.error),
        info_callout(s.notice),
        rx.cond(s.can_manage, _trend()),
        rx.cond(s.can_manage, _raise_form()),
        work_button(
            "Export backlog CSV",
            state=s,
            work="export",
            run=s.export_items,
            size="1",
            variant="soft",
        ),
        data_table(
            "Improvement backlog",
            ["Item", "From", "Status", "Owner", "Detail"],
            s.items,
            _item_row,
            empty="No improvement items yet.",
        ),
        width="100%",
        align="start",
        spacing="4",
    )


@rx.page(
    route="/o/[slug]/improvement",
    title="PMO improvement",
    on_load=[AuthState.load_workspace, ImprovementState.load],
)
@workspace
def improvement_page() -> rx.Component:
    return _body()
