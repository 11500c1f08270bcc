"""One portfolio's initiatives: board (kanban by status) and table; create, edit, archive;
CSV import with a preview that writes nothing until confirmed; CSV export."""

from __future__ import annotations

import re

import reflex as rx

from pmo_saas.db import cached_in_tenant
from pmo_saas.identity.auth_state import AuthState
from pmo_saas.identity.page_state import DialogHost, WorkspacePage, unproxied
from pmo_saas.identity.shell import workspace
from pmo_saas.kernel.context import TenantContext
from pmo_saas.kernel.errors import ValidationFailed
from pmo_saas.kernel.roles import Role
from pmo_saas.portfolio import views
from pmo_saas.portfolio.pages.common import STATUS_CHOICES, id_after, portfolio_nav
from pmo_saas.portfolio.pages.initiative_board import board
from pmo_saas.portfolio.pages.initiative_forms import (
    DEPENDS_PREFIX,
    SCORE_PREFIX,
    UPLOAD_ID,
    edit_dialog,
    import_dialog,
    new_dialog,
)
from pmo_saas.portfolio.schemas import ImportRowError
from pmo_saas.portfolio.services import initiatives as initiative_services
from pmo_saas.portfolio.views import BoardLane, InitiativeCard, ScoreInput
from pmo_saas.ui.components import Choice, data_table, error_callout, info_callout, page_heading
from pmo_saas.ui.dialogs import confirm_button
from pmo_saas.ui.dnd import focus_card, key_step
from pmo_saas.ui.pickers import picked

FORM_FIELDS = tuple(k for k in initiative_services.EDITABLE if k != "depends_on")  # typed fields


def _csv_given(data: bytes, missing: str) -> bytes:
    """The CSV to read; empty is refused with `missing`."""
    if not data.strip():
        raise ValidationFailed(missing)
    return data


class InitiativesState(DialogHost, WorkspacePage, rx.State):
    portfolio_id: int = 0
    portfolio_name: str = ""
    cards: list[InitiativeCard] = []
    board: list[BoardLane] = []
    inputs: list[ScoreInput] = []
    view: str = "board"
    filter_status: str = ""
    filter_stream: str = ""
    filter_tag: str = ""
    show_archived: bool = False
    editing_id: int = 0
    edit_values: dict[str, str] = {}
    preview_rows: int = 0
    preview_errors: list[ImportRowError] = []
    preview_file_errors: list[str] = []
    previewing: bool = False
    # `dialog` (DialogHost): the open dialog, "new", "edit", "import", or none
    import_progress: int = 0  # 0-100 while the import writes
    busy: str = ""  # the work under way ("create", "save", "preview", "import"): its button spins
    _dragged: int = 0  # the card being dragged (set on drag start, read on drop)
    _scores: dict[int, dict[str, str]] = {}  # the edit form's scores, by initiative (views)
    _import_data: bytes = b""

    def _pid(self) -> int:
        return id_after(self.router.url.path, "p")

    async def _refresh(self, ctx: TenantContext) -> None:
        view = await cached_in_tenant(
            ctx,
            views.initiatives_view,
            portfolio_id=self._pid(),
            include_archived=self.show_archived,
        )
        self._set_changed(
            portfolio_id=view.portfolio.id,
            portfolio_name=view.portfolio.name,
            cards=view.cards,
            board=view.board,
            inputs=view.inputs,
        )
        self._scores = view.scores

    def _on_failed_load(self) -> None:
        self.cards, self.board, self.portfolio_name = [], [], ""

    @rx.event
    async def load(self) -> None:
        # Only what changed is set: a var set is sent again, and with `editing_id` every
        # list computed from the cards (the dependency picker's) with it.
        self._set_changed(busy="")
        if not self._keeps_dialog():  # a dialog opened while this page loaded stays open
            self._set_changed(editing_id=0, dialog="")
            self._reset_preview()
        await self._load()

    def _reset_preview(self) -> None:
        self._set_changed(
            previewing=False, preview_rows=0, preview_errors=[], preview_file_errors=[]
        )
        self._import_data = b""

    @rx.var
    def shown_cards(self) -> list[InitiativeCard]:
        """The table, filtered by status, value stream and tag."""
        tag = self.filter_tag.strip().lower()
        return [
            c
            for c in unproxied(self.cards)
            if (not self.filter_status or c.status == self.filter_status)
            and (not self.filter_stream or c.value_stream == self.filter_stream)
            and (not tag or tag in [t.strip() for t in c.tags.split(",")])
        ]

    @rx.var
    def value_streams(self) -> list[str]:
        return sorted({c.value_stream for c in unproxied(self.cards) if c.value_stream})

    @rx.event
    def set_filter(self, which: str, value: str) -> None:
        if which == "status":
            self.filter_status = value
        elif which == "stream":
            self.filter_stream = value
        else:
            self.filter_tag = value

    @rx.event
    def show(self, view: str) -> None:
        self.view = "table" if view == "table" else "board"

    @rx.event
    async def toggle_archived(self, checked: bool) -> None:
        self.show_archived = bool(checked)
        await self.load()

    @rx.var
    def dependency_choices(self) -> list[Choice]:
        """The initiatives a dependency can be picked from; the edit form hides the one being
        edited itself (so opening and saving a form does not compute nor send this again)."""
        return [
            Choice(value=str(c.id), label=c.title)
            for c in sorted(unproxied(self.cards), key=lambda c: c.title.lower())
        ]

    @rx.var
    def edit_depends(self) -> list[str]:
        found = next((c for c in unproxied(self.cards) if c.id == self.editing_id), None)
        return found.depends_on if found is not None else []

    def _data(self, form: dict) -> dict[str, object]:
        data: dict[str, object] = {k: form.get(k, "") for k in FORM_FIELDS if k in form}
        data["depends_on"] = picked(form, DEPENDS_PREFIX)
        return data

    def _changed_data(self, form: dict, changed: dict) -> dict[str, object]:
        data: dict[str, object] = {k: v for k, v in changed.items() if k in FORM_FIELDS}
        depends_on = picked(form, DEPENDS_PREFIX)
        found = next((c for c in unproxied(self.cards) if c.id == self.editing_id), None)
        if found is None or {int(i) for i in found.depends_on} != set(depends_on):
            data["depends_on"] = depends_on  # the picker's ticks differ from what it opened with
        return data

    @rx.event
    def set_dialog(self, name: str, open_it: bool) -> None:
        """A dialog opened (its button) or closed (Cancel, Escape, the close button)."""
        if open_it:
            self._clear_messages()
        self._open_dialog(name if open_it else "")
        if not open_it:
            self.editing_id = 0
            self._reset_preview()

    @rx.event
    def mark_busy(self, work: str) -> None:
        """Chained before a slow handler: its button spins from the click (this delta is sent
        before the handler runs) until the handler clears `busy`."""
        self.busy = work

    @rx.event
    async def create(self, form: dict) -> None:
        await self._act(
            initiative_services.create_initiative,
            notice=f"“{str(form.get('title', '')).strip()}” added.",
            minimum=Role.COACH,
            prepare=lambda: {"data": self._data(form)},
            portfolio_id=self._pid(),
        )
        self.busy = ""
        if not self.error:
            self.dialog = ""

    @rx.event
    def start_edit(self, initiative_id: int) -> None:
        self._clear_messages()
        found = next((c for c in unproxied(self.cards) if c.id == int(initiative_id)), None)
        if found is None:
            self._refuse("That initiative was not found.")
            return
        self.editing_id = found.id
        values = {k: str(getattr(found, k)) for k in FORM_FIELDS}
        values["depends_on"] = found.depends_on_titles
        scores = unproxied(self._scores).get(found.id, {})
        for spec in unproxied(self.inputs):
            values[SCORE_PREFIX + spec.key] = scores.get(spec.key, "")
        self.edit_values = values
        self._open_dialog("edit")

    @rx.event
    async def save_edit(self, form: dict) -> None:
        # Only what differs from the values the form opened with is written (and audited).
        opened = unproxied(self.edit_values)
        changed = {k: v for k, v in form.items() if str(v) != opened.get(k)}
        try:
            fields_changed = bool(self._changed_data(form, changed))
        except ValueError:  # refused below, after the role check, as `prepare` refuses it
            fields_changed = True
        scores = {
            k.removeprefix(SCORE_PREFIX): v
            for k, v in changed.items()
            if k.startswith(SCORE_PREFIX)
        }
        # Scores alone change what only the edit form shows (the table's job size aside):
        # they are kept in place instead of reading the whole portfolio again, and no card
        # is sent again.
        in_place = not fields_changed and bool(scores) and "job_size" not in scores
        saved = await self._act(
            views.save_initiative,
            notice=f"“{str(form.get('title', '')).strip()}” saved.",
            minimum=Role.COACH,
            refresh=not in_place,
            prepare=lambda: {"data": self._changed_data(form, changed)},
            initiative_id=self.editing_id,
            scores=scores,
        )
        if in_place and saved is not None:
            merged = {**unproxied(self._scores).get(self.editing_id, {}), **saved}
            self._scores = {
                **unproxied(self._scores),
                self.editing_id: {k: v for k, v in merged.items() if v},
            }
        self.busy = ""
        if not self.error:
            self.editing_id = 0
            self.dialog = ""

    async def _move(self, initiative_id: int, status: str) -> bool:
        """The move, through the service (status history, audit; coaches and up only)."""
        found = next((c for c in unproxied(self.cards) if c.id == int(initiative_id)), None)
        title = found.title if found is not None else "The initiative"
        label = dict(STATUS_CHOICES).get(status, status)
        await self._act(
            initiative_services.move_initiative,
            notice=f"“{title}” moved to {label}.",
            minimum=Role.COACH,
            prepare=lambda: {"initiative_id": int(initiative_id)},
            status=status,
        )
        return not self.error

    @rx.event
    async def move(self, initiative_id: int, status: str) -> None:
        await self._move(initiative_id, status)

    @rx.event
    def start_drag(self, initiative_id: int) -> None:
        self._dragged = int(initiative_id)

    @rx.event
    async def drop_on(self, status: str) -> None:
        dragged, self._dragged = self._dragged, 0
        found = next((c for c in unproxied(self.cards) if c.id == dragged), None)
        if found is not None and found.status != status:
            await self._move(dragged, status)

    @rx.event
    async def key_move(self, initiative_id: int, key: str):
        """Left/Right arrow on a focused card: the previous/next column; focus follows it."""
        step = key_step(key)
        found = next((c for c in unproxied(self.cards) if c.id == int(initiative_id)), None)
        if not step or found is None:
            return None
        order = [value for value, _ in STATUS_CHOICES]
        at = order.index(found.status) + step if found.status in order else -1
        if not 0 <= at < len(order):
            return None
        if await self._move(found.id, order[at]):
            return focus_card(found.id, order[at])
        return None

    @rx.event
    async def archive(self, initiative_id: int, archived: bool) -> None:
        await self._act(
            initiative_services.archive_initiative,
            notice="Initiative archived." if archived else "Initiative restored.",
            minimum=Role.COACH,
            prepare=lambda: {"initiative_id": int(initiative_id)},
            archived=bool(archived),
        )

    async def _preview(self, data: bytes) -> None:
        self._reset_preview()
        preview = await self._act(
            initiative_services.preview_import,
            minimum=Role.COACH,
            refresh=False,
            prepare=lambda: {
                "data": _csv_given(data, "Paste the CSV or choose a file to import first.")
            },
            portfolio_id=self._pid(),
        )
        if preview is None:
            return
        self._import_data = data
        self.previewing = True
        self.preview_rows = len(preview.rows)
        self.preview_errors = preview.errors
        self.preview_file_errors = preview.file_errors

    @rx.event
    async def preview_import(self, form: dict) -> None:
        """The pasted CSV, checked row by row; nothing is written."""
        await self._preview(str(form.get("csv", "")).encode("utf-8"))
        self.busy = ""

    @rx.event
    async def preview_upload(self, files: list[rx.UploadFile]):
        """The uploaded file (its bytes as sent: the encoding is checked), nothing written."""
        self.busy = ""
        if not files:
            self._refuse("Choose a CSV file first.")
            return None
        data = await files[0].read()
        await self._preview(data)
        return rx.clear_selected_files(UPLOAD_ID)

    @rx.event
    def cancel_import(self) -> None:
        self._reset_preview()
        self.dialog = ""
        self.notice = "Import cancelled; nothing was written."

    @rx.event(background=True)
    async def confirm_import(self):
        """The previewed rows written, the progress bar moving while they are."""
        async with self:
            if self.busy == "import":
                return
            data = self._import_data
            if not data.strip():
                self._refuse("Preview the CSV again before importing.")
                return
            self.busy = "import"
            portfolio_id = self._pid()
        result = await self._act_reporting(
            initiative_services.import_initiatives,
            progress_var="import_progress",
            minimum=Role.COACH,
            portfolio_id=portfolio_id,
            data=data,
            skip_invalid=True,
        )
        async with self:
            self.busy = ""
            if result is None:
                return
            self._reset_preview()
            self.dialog = ""
            skipped = (
                f"; skipped line(s) {', '.join(str(n) for n in result.skipped_rows)}"
                if result.skipped_rows
                else ""
            )
            self.notice = f"Imported {result.created} initiative(s){skipped}."

    @rx.event
    async def export_csv(self):
        text = await self._act(
            initiative_services.export_initiatives, refresh=False, portfolio_id=self._pid()
        )
        if text is None:
            return None
        name = re.sub(r"[^A-Za-z0-9]+", "-", self.portfolio_name).strip("-") or "portfolio"
        return rx.download(data=text, filename=f"{name}-initiatives.csv", mime_type="text/csv")


def _row(c: InitiativeCard) -> rx.Component:
    return rx.table.row(
        rx.table.cell(c.title),
        rx.table.cell(c.status_label),
        rx.table.cell(c.owner),
        rx.table.cell(c.value_stream),
        rx.table.cell(c.cost),
        rx.table.cell(c.job_size),
        rx.table.cell(c.moscow_label),
        rx.table.cell(c.tags),
        rx.table.cell(c.depends_on_titles),
        rx.table.cell(c.origin),
        rx.table.cell(
            rx.cond(
                AuthState.is_coach,
                rx.hstack(
                    rx.button(
                        "Edit",
                        size="1",
                        variant="soft",
                        aria_label="Edit " + c.title,
                        on_click=InitiativesState.start_edit(c.id),
                    ),
                    rx.cond(
                        c.archived,
                        rx.button(
                            "Restore",
                            size="1",
                            variant="soft",
                            aria_label="Restore " + c.title,
                            on_click=InitiativesState.archive(c.id, False),
                        ),
                        confirm_button(
                            "Archive",
                            name="Archive " + c.title,
                            title="Archive " + c.title + "?",
                            description="It leaves the board, the ranking and funding; "
                            "“Show archived” lists it and Restore brings it back.",
                            confirm_label="Archive initiative",
                            on_confirm=InitiativesState.archive(c.id, True),
                        ),
                    ),
                ),
            )
        ),
    )


def _body() -> rx.Component:
    s = InitiativesState
    return rx.vstack(
        page_heading("Initiatives"),
        rx.heading(s.portfolio_name, size="5", as_="h2"),
        portfolio_nav(s.portfolio_id),
        error_callout(s.error),
        info_callout(s.notice),
        rx.hstack(
            rx.button(
                "Board",
                variant=rx.cond(s.view == "board", "solid", "soft"),
                on_click=s.show("board"),
            ),
            rx.button(
                "Table",
                variant=rx.cond(s.view == "table", "solid", "soft"),
                on_click=s.show("table"),
            ),
            rx.checkbox("Show archived", checked=s.show_archived, on_change=s.toggle_archived),
            rx.spacer(),
            rx.cond(AuthState.is_coach, new_dialog(s)),
            rx.cond(AuthState.is_coach, import_dialog(s)),
            rx.button("Export CSV", variant="outline", on_click=s.export_csv),
            width="100%",
            align="center",
            wrap="wrap",
        ),
        rx.cond(
            s.view == "board",
            board(s),
            rx.vstack(
                rx.hstack(
                    rx.el.label(
                        "Filter by status ",
                        rx.el.select(
                            rx.el.option("All", value=""),
                            *[rx.el.option(label, value=value) for value, label in STATUS_CHOICES],
                            value=s.filter_status,
                            on_change=lambda v: s.set_filter("status", v),
                            class_name="pmo-select",
                        ),
                        class_name="pmo-label",
                    ),
                    rx.el.label(
                        "Filter by value stream ",
                        rx.el.select(
                            rx.el.option("All", value=""),
                            rx.foreach(s.value_streams, lambda v: rx.el.option(v, value=v)),
                            value=s.filter_stream,
                            on_change=lambda v: s.set_filter("stream", v),
                            class_name="pmo-select",
                        ),
                        class_name="pmo-label",
                    ),
                    rx.el.label(
                        "Filter by tag ",
                        rx.input(
                            value=s.filter_tag,
                            on_change=lambda v: s.set_filter("tag", v).debounce(300),
                            width="10em",
                        ),
                        class_name="pmo-label",
                    ),
                    spacing="4",
                    align="center",
                    wrap="wrap",
                ),
                data_table(
                    "Initiatives",
                    [
                        "Title",
                        "Status",
                        "Owner",
                        "Value stream",
                        "Cost",
                        "Job size",
                        "MoSCoW",
                        "Tags",
                        "Depends on",
                        "Origin",
                        "",
                    ],
                    s.shown_cards,
                    _row,
                ),
                width="100%",
            ),
        ),
        edit_dialog(s),
        width="100%",
        align="start",
        spacing="4",
    )


@rx.page(
    route="/o/[slug]/portfolio/p/[portfolio_id]",
    title="Initiatives",
    on_load=[AuthState.load_workspace, InitiativesState.load],
)
@workspace
def initiatives_page() -> rx.Component:
    return _body()
