"""Delivery of a portfolio (optionally one value stream) and of one initiative: flow charts with
their tables, the forecast beside the planned end, work items added in a dialog and moved, and
the CSV import of work items with a preview that writes nothing until confirmed."""

from __future__ import annotations

from typing import Any

import reflex as rx

from pmo_saas.db import in_tenant
from pmo_saas.delivery.columns import COLUMNS, KINDS
from pmo_saas.delivery.pages.charts import (
    cfd_chart,
    cycle_chart,
    figures_card,
    forecast_card,
    throughput_chart,
)
from pmo_saas.delivery.schemas import FlowView, InitiativeDelivery, WorkItemRow
from pmo_saas.delivery.services import exports, workitems
from pmo_saas.delivery.services import flow as flow_services
from pmo_saas.identity.auth_state import AuthState
from pmo_saas.identity.page_state import BusyWork, WorkspacePage
from pmo_saas.identity.shell import workspace
from pmo_saas.kernel.context import TenantContext
from pmo_saas.kernel.errors import ValidationFailed
from pmo_saas.kernel.roles import Role
from pmo_saas.portfolio.pages.common import id_after, portfolio_href, portfolio_nav
from pmo_saas.portfolio.schemas import ImportRowError
from pmo_saas.ui.components import (
    card,
    data_table,
    error_callout,
    info_callout,
    labelled,
    labelled_select,
    page_heading,
    region,
    text_area,
)
from pmo_saas.ui.dialogs import busy_button, confirm_button, progress_bar, work_button

COLUMN_CHOICES = list(COLUMNS.items())
KIND_CHOICES = list(KINDS.items())
CAN_WRITE = (AuthState.role != "") & (AuthState.role != "viewer")


def _figure_rows(view: FlowView) -> list[dict[str, str]]:
    f = view.figures
    return [
        {"label": "Items done", "value": str(f.done_items)},
        {"label": "Items open", "value": str(f.open_items)},
        *({"label": f"Cycle time, {p}th percentile", "value": v} for p, v in f.cycle.items()),
        *({"label": f"Lead time, {p}th percentile", "value": v} for p, v in f.lead.items()),
        {"label": "Work in progress", "value": str(f.wip)},
        {"label": "Median age of work in progress", "value": f.wip_age_median},
        {"label": "Oldest work in progress", "value": f.wip_age_oldest},
        {"label": "Flow efficiency (time not waiting)", "value": f.efficiency},
    ]


class DeliveryState(BusyWork, WorkspacePage, rx.State):
    portfolio_id: int = 0
    initiative_id: int = 0
    scope: str = ""
    planned_end: str = ""
    value_stream: str = ""
    value_streams: list[str] = []
    figures: list[dict[str, str]] = []
    throughput: list[dict[str, Any]] = []
    cycle_points: list[dict[str, Any]] = []
    cfd: list[dict[str, Any]] = []
    forecast_sentence: str = ""
    forecast_rows: list[dict[str, str]] = []
    forecast_history: str = ""
    initiatives: list[InitiativeDelivery] = []
    items: list[WorkItemRow] = []
    adding: bool = False
    form_version: int = 0
    previewing: bool = False
    preview_rows: int = 0
    preview_errors: list[ImportRowError] = []
    preview_file_errors: list[str] = []
    _import_data: bytes = b""
    importing: bool = False  # the confirmed import is writing (its button spins, a bar moves)
    import_progress: int = 0

    def _iid(self) -> int:
        return id_after(self.router.url.path, "delivery")

    async def _refresh(self, ctx: TenantContext) -> None:
        iid = self._iid()
        if iid:
            view = await in_tenant(ctx, flow_services.initiative_flow, initiative_id=iid)
            self.items = await in_tenant(ctx, workitems.list_work_items, initiative_id=iid)
        else:
            view = await in_tenant(
                ctx,
                flow_services.portfolio_flow,
                portfolio_id=id_after(self.router.url.path, "p"),
                value_stream=self.value_stream,
            )
            self.items = []
        self.portfolio_id = id_after(self.router.url.path, "p")
        self.initiative_id = iid
        self.scope, self.planned_end = view.scope, view.planned_end
        self.value_streams, self.initiatives = view.value_streams, view.initiatives
        self.figures = _figure_rows(view)
        self.throughput = [w.model_dump() for w in view.throughput]
        self.cycle_points = [p.model_dump() for p in view.cycle_points]
        self.cfd = [d.model_dump() for d in view.cfd]
        fc = view.forecast
        self.forecast_sentence = fc.sentence
        self.forecast_rows = [
            {"p": f"{p}%", "date": d or "beyond ten years"} for p, d in fc.dates.items()
        ]
        self.forecast_history = ", ".join(str(n) for n in fc.history) or "none"

    def _on_failed_load(self) -> None:
        self.scope, self.figures, self.items, self.initiatives = "", [], [], []
        self.throughput, self.cycle_points, self.cfd, self.forecast_rows = [], [], [], []
        self.forecast_sentence = ""

    @rx.event
    async def load(self) -> None:
        self.adding = False
        self._reset_preview()
        await self._load()

    @rx.event
    async def choose_stream(self, value: str) -> None:
        self.value_stream = value if value in self.value_streams else ""
        await self._load()

    @rx.event
    def set_adding(self, value: bool) -> None:
        self._clear_messages()
        self.adding = bool(value)

    @rx.event
    async def add_item(self, form: dict) -> None:
        title = str(form.get("title", "")).strip()
        data = {k: form.get(k, "") for k in ("title", "kind", "status", "estimate")}
        await self._act(
            workitems.create_work_item,
            notice=f"“{title}” added.",
            minimum=Role.MEMBER,
            initiative_id=self._iid(),
            data={k: str(v) for k, v in data.items()},
        )
        if not self.error:
            self.adding = False
            self.form_version += 1

    @rx.event
    async def move_item(self, work_item_id: int, status: str) -> None:
        await self._act(
            workitems.move_work_item,
            notice="Moved.",
            minimum=Role.MEMBER,
            prepare=lambda: {"work_item_id": int(work_item_id)},
            status=str(status),
        )

    @rx.event
    async def delete_item(self, work_item_id: int) -> None:
        await self._act(
            workitems.delete_work_item,
            notice="Work item deleted.",
            minimum=Role.MEMBER,
            prepare=lambda: {"work_item_id": int(work_item_id)},
        )

    def _reset_preview(self) -> None:
        self.previewing, self.preview_rows = False, 0
        self.preview_errors, self.preview_file_errors = [], []
        self._import_data = b""

    @rx.event
    async def preview_import(self, form: dict) -> None:
        """The pasted CSV, checked row by row; nothing is written."""
        self._reset_preview()
        data = str(form.get("csv", "")).encode("utf-8")

        def given() -> dict[str, bytes]:
            if not data.strip():
                raise ValidationFailed("Paste the CSV to import first.")
            return {"data": data}

        preview = await self._act(
            workitems.preview_work_item_import,
            minimum=Role.COACH,
            refresh=False,
            prepare=given,
            initiative_id=self._iid(),
        )
        if preview is None:
            return
        self._import_data, self.previewing = data, True
        self.preview_rows = len(preview.rows)
        self.preview_errors, self.preview_file_errors = preview.errors, preview.file_errors

    @rx.event
    def cancel_import(self) -> None:
        self._reset_preview()
        self.notice = "Import cancelled; nothing was written."

    @rx.event
    async def download_csv(self, which: str):  # type: ignore[no-untyped-def]
        """The initiative's work items, status history or flow figures as CSV."""
        if which not in CSV_EXPORTS:
            self._refuse("There is no such export.")
            return None
        fn, filename = CSV_EXPORTS[which]
        return await self._download(fn, filename, initiative_id=self._iid())

    @rx.event(background=True)
    async def confirm_import(self):
        """The previewed rows written, the progress bar moving while they are."""
        async with self:
            if self.importing:
                return
            data = self._import_data
            if not data:
                self._refuse("Preview the CSV again before importing.")
                return
            self.importing = True
            initiative_id = self._iid()
        result = await self._act_reporting(
            workitems.import_work_items,
            progress_var="import_progress",
            minimum=Role.COACH,
            initiative_id=initiative_id,
            data=data,
            skip_invalid=True,
        )
        async with self:
            self.importing = False
            if result is not None:
                self._reset_preview()
                self.notice = f"Imported {result.created} work item(s)."


CSV_EXPORTS = {
    "items": (exports.export_work_items_csv, "work-items.csv"),
    "status": (exports.export_status_history_csv, "status-history.csv"),
    "flow": (exports.export_flow_csv, "flow.csv"),
}


def _item_row(i: WorkItemRow) -> rx.Component:
    return rx.table.row(
        rx.table.cell(i.title),
        rx.table.cell(i.kind_label),
        rx.table.cell(
            rx.cond(
                CAN_WRITE,
                rx.el.select(
                    *[rx.el.option(label, value=value) for value, label in COLUMN_CHOICES],
                    value=i.status,
                    on_change=lambda value: DeliveryState.move_item(i.id, value),
                    aria_label="Move " + i.title,
                    class_name="pmo-select",
                ),
                i.status_label,
            )
        ),
        rx.table.cell(i.estimate),
        rx.table.cell(i.created),
        rx.table.cell(i.started),
        rx.table.cell(i.done),
        rx.table.cell(
            rx.cond(
                CAN_WRITE,
                confirm_button(
                    "Delete",
                    name="Delete " + i.title,
                    title="Delete the work item " + i.title + "?",
                    description="It leaves every figure, chart and forecast; its history is kept.",
                    confirm_label="Delete work item",
                    on_confirm=DeliveryState.delete_item(i.id),
                ),
            )
        ),
    )


def _add_dialog() -> rx.Component:
    s = DeliveryState
    return rx.dialog.root(
        rx.dialog.trigger(rx.button("Add work item")),
        rx.dialog.content(
            rx.dialog.title("Add a work item"),
            rx.form(
                rx.vstack(
                    labelled(
                        "Title",
                        "item-title",
                        rx.input(id="item-title", name="title", required=True, width="100%"),
                        full_width=True,
                    ),
                    labelled_select("Kind", "kind", KIND_CHOICES, default="story"),
                    labelled_select("Column", "status", COLUMN_CHOICES, default="backlog"),
                    labelled(
                        "Estimate",
                        "item-estimate",
                        rx.input(id="item-estimate", name="estimate", width="8em"),
                    ),
                    error_callout(s.error),
                    rx.hstack(
                        rx.button("Save work item", type="submit"),
                        rx.dialog.close(rx.button("Cancel", variant="soft", type="button")),
                    ),
                    align="start",
                ),
                on_submit=s.add_item,
                key=s.form_version.to_string(),
            ),
        ),
        open=s.adding,
        on_open_change=s.set_adding,
    )


def _import_card() -> rx.Component:
    s = DeliveryState
    return card(
        rx.heading("Import work items from CSV", size="4", as_="h2"),
        rx.text(
            "Columns: title (required), kind, status, estimate, created_at, started_at, done_at "
            "(dates or date-times, UTC). The times become the items' history. Nothing is "
            "written until you confirm the preview.",
            size="2",
            color_scheme="gray",
        ),
        rx.form(
            text_area("Work items CSV", "csv", rows="5"),
            rx.button("Preview work items", type="submit", margin_top="0.5em"),
            on_submit=s.preview_import,
            width="100%",
        ),
        rx.cond(
            s.previewing,
            region(
                "Work item import preview",
                rx.text(s.preview_rows.to_string() + " row(s) ready to import."),
                rx.foreach(s.preview_file_errors, lambda e: rx.text(e, color_scheme="red")),
                rx.unordered_list(
                    rx.foreach(
                        s.preview_errors,
                        lambda e: rx.list_item("Line " + e.row.to_string() + ": " + e.message),
                    )
                ),
                rx.hstack(
                    rx.cond(
                        s.preview_rows > 0,
                        busy_button(
                            "Import " + s.preview_rows.to_string() + " work item(s)",
                            busy=s.importing,
                            on_click=s.confirm_import,
                        ),
                    ),
                    rx.button(
                        "Cancel import",
                        variant="soft",
                        on_click=s.cancel_import,
                        disabled=s.importing,
                    ),
                    wrap="wrap",
                ),
                progress_bar("Importing work items…", s.import_progress, shown=s.importing),
            ),
        ),
        width="100%",
    )


def _initiative_row(i: InitiativeDelivery) -> rx.Component:
    return rx.table.row(
        rx.table.cell(
            rx.link(
                i.title,
                href=portfolio_href(DeliveryState.portfolio_id, "/delivery/") + i.id.to_string(),
            )
        ),
        rx.table.cell(i.status),
        rx.table.cell(i.done_items),
        rx.table.cell(i.open_items),
        rx.table.cell(i.planned_end),
    )


def _charts() -> rx.Component:
    s = DeliveryState
    return rx.vstack(
        rx.hstack(figures_card(s), forecast_card(s), width="100%", align="start", wrap="wrap"),
        throughput_chart(s),
        cycle_chart(s),
        cfd_chart(s),
        width="100%",
        spacing="4",
    )


def _frame(*children: rx.Component) -> rx.Component:
    """Heading, scope, the portfolio navigation and the messages, then the page's own parts."""
    s = DeliveryState
    return rx.vstack(
        page_heading("Delivery"),
        rx.heading(s.scope, size="5", as_="h2"),
        portfolio_nav(s.portfolio_id),
        error_callout(s.error),
        info_callout(s.notice),
        *children,
        width="100%",
        align="start",
        spacing="4",
    )


def _portfolio_body() -> rx.Component:
    s = DeliveryState
    return _frame(
        rx.cond(
            s.value_streams.length() > 0,
            rx.el.label(
                "Value stream ",
                rx.el.select(
                    rx.el.option("Whole portfolio", value=""),
                    rx.foreach(s.value_streams, lambda v: rx.el.option(v, value=v)),
                    value=s.value_stream,
                    on_change=s.choose_stream,
                    class_name="pmo-select",
                ),
                class_name="pmo-label",
            ),
        ),
        _charts(),
        data_table(
            "Initiatives' delivery",
            ["Initiative", "Board column", "Items done", "Items open", "Planned end"],
            s.initiatives,
            _initiative_row,
            empty="No initiatives yet.",
        ),
    )


def _initiative_body() -> rx.Component:
    s = DeliveryState
    return _frame(
        rx.link(
            "Back to the portfolio's delivery", href=portfolio_href(s.portfolio_id, "/delivery")
        ),
        rx.link(
            "Connections (Jira, GitHub)",
            href=portfolio_href(s.portfolio_id, "/delivery/")
            + s.initiative_id.to_string()
            + "/connections",
        ),
        _charts(),
        rx.hstack(
            *[
                work_button(
                    label,
                    state=s,
                    work=f"export-{which}",
                    run=s.download_csv(which),
                    variant="soft",
                    size="1",
                )
                for which, label in (
                    ("items", "Work items (CSV)"),
                    ("status", "Status history (CSV)"),
                    ("flow", "Flow figures (CSV)"),
                )
            ],
            wrap="wrap",
        ),
        rx.hstack(
            rx.heading("Work items", size="4", as_="h2"),
            rx.spacer(),
            rx.cond(CAN_WRITE, _add_dialog()),
            width="100%",
        ),
        data_table(
            "Work items",
            ["Title", "Kind", "Column", "Estimate", "Created", "Started", "Done", ""],
            s.items,
            _item_row,
            empty="No work items yet.",
        ),
        rx.cond(AuthState.is_coach, _import_card()),
    )


@rx.page(
    route="/o/[slug]/portfolio/p/[portfolio_id]/delivery",
    title="Delivery",
    on_load=[AuthState.load_workspace, DeliveryState.load],
)
@workspace
def portfolio_delivery_page() -> rx.Component:
    return _portfolio_body()


@rx.page(
    route="/o/[slug]/portfolio/p/[portfolio_id]/delivery/[initiative_id]",
    title="Initiative delivery",
    on_load=[AuthState.load_workspace, DeliveryState.load],
)
@workspace
def initiative_delivery_page() -> rx.Component:
    return _initiative_body()
