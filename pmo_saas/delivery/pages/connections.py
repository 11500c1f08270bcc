"""Connections of one initiative: a Jira Cloud project or a GitHub repository feeding its work
items, "Sync now" (a background event showing how many items it has read), each connection's
last sync and error, the recent runs, and the status map the coach edits.

The API token travels once, in the connect form's event, straight to the service, which keeps
only its ciphertext: no var of this state ever holds it (rows show "••••abcd")."""

from __future__ import annotations

import asyncio

import reflex as rx

from pmo_saas.db import in_tenant, run_sync
from pmo_saas.delivery.columns import COLUMNS
from pmo_saas.delivery.sync import engine
from pmo_saas.delivery.sync import services as sync_services
from pmo_saas.delivery.sync.schemas import ConnectionRow, MappingRow, SyncRunRow
from pmo_saas.identity.auth_state import AuthState
from pmo_saas.identity.page_state import WorkspacePage
from pmo_saas.identity.shell import workspace
from pmo_saas.kernel.context import TenantContext
from pmo_saas.kernel.roles import Role
from pmo_saas.portfolio.pages.common import id_after, portfolio_href, portfolio_nav
from pmo_saas.ui.components import (
    card,
    data_table,
    error_callout,
    field,
    info_callout,
    labelled_select,
    page_heading,
)
from pmo_saas.ui.dialogs import confirm_button, dialog_actions, form_dialog, progress_bar

KIND_CHOICES = list(sync_services.KIND_LABELS.items())
COLUMN_CHOICES = [("", "Unmapped"), *COLUMNS.items()]
POLL_SECONDS = 0.3


class ConnectionsState(WorkspacePage, rx.State):
    portfolio_id: int = 0
    initiative_id: int = 0
    initiative_title: str = ""
    connections: list[ConnectionRow] = []
    mappings: list[MappingRow] = []
    runs: list[SyncRunRow] = []
    syncing: int = 0  # the connection being synced now (0: none)
    sync_progress: str = ""
    form_version: int = 0
    # The connection whose token the "Replace token" dialog replaces (0: the dialog is shut).
    token_connection_id: int = 0
    token_project: str = ""

    def _iid(self) -> int:
        return id_after(self.router.url.path, "delivery")

    async def _refresh(self, ctx: TenantContext) -> None:
        view = await in_tenant(ctx, sync_services.connections_view, initiative_id=self._iid())
        self.portfolio_id = id_after(self.router.url.path, "p")
        self.initiative_id = self._iid()
        self._set_changed(
            initiative_title=view.initiative_title,
            connections=view.connections,
            mappings=view.mappings,
            runs=view.runs,
        )

    def _on_failed_load(self) -> None:
        self.initiative_title, self.connections, self.mappings, self.runs = "", [], [], []

    @rx.event
    async def load(self) -> None:
        await self._load()

    @rx.event
    async def connect(self, form: dict) -> None:
        """The token goes from the form's event to the service; it is never set on a var."""
        kind = str(form.get("kind", ""))
        await self._act_outside(
            sync_services.connect_source,
            notice="Connected. Sync now to bring its work items in.",
            minimum=Role.COACH,
            initiative_id=self._iid(),
            kind=kind,
            base_url=str(form.get("base_url", "")),
            project=str(form.get("project", "")),
            account=str(form.get("account", "")),
            token=str(form.get("token", "")),
        )
        if not self.error:
            self.form_version += 1

    @rx.event
    def open_token_dialog(self, connection_id: int) -> None:
        shown = [c for c in self.connections if c.id == int(connection_id)]
        self._clear_messages()
        if shown:
            self.token_connection_id, self.token_project = shown[0].id, shown[0].project

    @rx.event
    def close_token_dialog(self) -> None:
        """The dialog's close button, Escape or Cancel (it opens only from a row's button)."""
        self.token_connection_id, self.token_project = 0, ""

    @rx.event
    async def replace_token(self, form: dict) -> None:
        """Like `connect`: the new token goes from the form's event to the service, never to a
        var; the service checks it with the other side before it replaces the old one."""
        await self._act_outside(
            sync_services.replace_token,
            notice=f"Token replaced for {self.token_project}; the next sync uses it.",
            minimum=Role.COACH,
            connection_id=int(self.token_connection_id),
            account=str(form.get("new_account", "")),
            token=str(form.get("new_token", "")),
        )
        if not self.error:
            self.token_connection_id, self.token_project = 0, ""
            self.form_version += 1

    @rx.event
    async def sync_now(self, connection_id: int):
        """Checks the caller, then the background event runs the sync (progress shown)."""
        if self.syncing:
            return None
        if await self._checked_context(Role.COACH) is None:
            return None
        self.syncing, self.sync_progress = int(connection_id), "Starting the sync…"
        return ConnectionsState.follow_sync

    @rx.event(background=True)
    async def follow_sync(self):
        async with self:
            connection_id = self.syncing
            ctx = await self._checked_context(Role.COACH)
            if ctx is None or not connection_id:
                self.syncing, self.sync_progress = 0, ""
                return
        read = {"items": 0}

        def counted(n: int) -> None:
            read["items"] = n

        task = asyncio.ensure_future(
            run_sync(
                engine.sync_for_page, ctx=ctx, connection_id=int(connection_id), on_progress=counted
            )
        )
        while not task.done():
            await asyncio.wait({task}, timeout=POLL_SECONDS)
            async with self:
                self.sync_progress = f"Syncing: {read['items']} changed items read so far…"
        outcome = task.result()
        async with self:
            self.syncing, self.sync_progress = 0, ""
            run = outcome.run
            if outcome.refused:
                self.error = outcome.refused
            elif run is not None and run.status == "failed":
                self.error = f"The sync failed: {run.error}"
            elif run is not None:
                self.notice = (
                    f"Synced: {run.created} new, {run.updated} changed, {run.removed} removed"
                    + (f"; {run.unmapped} in unmapped statuses." if run.unmapped else ".")
                )
            await self._reload(quiet=True)

    @rx.event
    async def map_status(self, mapping_id: int, column: str) -> None:
        moved = await self._act(
            sync_services.set_mapping,
            minimum=Role.COACH,
            prepare=lambda: {"mapping_id": int(mapping_id)},
            column=str(column),
        )
        if moved is not None:
            self.notice = f"Mapped; {moved} item(s) moved." if column else "Unmapped."

    @rx.event
    async def remove(self, connection_id: int) -> None:
        await self._act(
            sync_services.remove_connection,
            notice="Connection removed; its work items and their history stay.",
            minimum=Role.COACH,
            prepare=lambda: {"connection_id": int(connection_id)},
        )


def _connection_row(c: ConnectionRow) -> rx.Component:
    s = ConnectionsState
    return rx.table.row(
        rx.table.cell(c.kind_label),
        rx.table.cell(c.project),
        rx.table.cell(c.base_url),
        rx.table.cell(c.account),
        rx.table.cell(c.token),
        rx.table.cell(c.status),
        rx.table.cell(c.last_run),
        rx.table.cell(c.last_error),
        rx.table.cell(c.unmapped),
        rx.table.cell(
            rx.cond(
                AuthState.is_coach,
                rx.hstack(
                    rx.button(
                        "Sync now",
                        on_click=s.sync_now(c.id),
                        loading=s.syncing == c.id,
                        disabled=s.syncing != 0,
                        aria_label="Sync " + c.project + " now",
                    ),
                    rx.button(
                        "Replace token",
                        variant="soft",
                        on_click=s.open_token_dialog(c.id),
                        aria_label="Replace the token of " + c.project,
                    ),
                    confirm_button(
                        "Remove",
                        name="Remove the connection to " + c.project,
                        title="Remove this connection?",
                        description="Syncing from "
                        + c.project
                        + " stops and its token is deleted. The work items it brought in and "
                        "their history stay.",
                        confirm_label="Remove connection",
                        on_confirm=s.remove(c.id),
                    ),
                ),
            )
        ),
    )


def _mapping_row(r: MappingRow) -> rx.Component:
    return rx.table.row(
        rx.table.cell(r.external),
        rx.table.cell(r.item_count),
        rx.table.cell(
            rx.cond(
                AuthState.is_coach,
                rx.el.select(
                    *[rx.el.option(label, value=value) for value, label in COLUMN_CHOICES],
                    value=r.column,
                    on_change=lambda value: ConnectionsState.map_status(r.id, value),
                    aria_label="Column for " + r.external,
                    class_name="pmo-select",
                ),
                r.column_label,
            )
        ),
    )


def _run_row(r: SyncRunRow) -> rx.Component:
    return rx.table.row(
        rx.table.cell(r.started),
        rx.table.cell(r.status),
        rx.table.cell(r.fetched),
        rx.table.cell(r.created),
        rx.table.cell(r.updated),
        rx.table.cell(r.removed),
        rx.table.cell(r.unmapped),
        rx.table.cell(r.error),
    )


def _connect_card() -> rx.Component:
    s = ConnectionsState
    return card(
        rx.heading("Connect a Jira project or GitHub repository", size="4", as_="h2"),
        rx.text(
            "Jira: the site address (https://yours.atlassian.net), the project key, the "
            "account's e-mail and an API token. GitHub: https://api.github.com (or your "
            "server's /api/v3), owner/repo and a token that may read issues. The token is "
            "stored encrypted and never shown again.",
            size="2",
            color_scheme="gray",
        ),
        rx.form(
            rx.vstack(
                labelled_select("Source", "kind", KIND_CHOICES, default="jira"),
                field("Address", "base_url", placeholder="https://yours.atlassian.net"),
                field("Project key or owner/repo", "project"),
                field("Account e-mail (Jira)", "account", required=False),
                field("API token", "token", type="password", autocomplete="off"),
                rx.button("Connect", type="submit"),
                align="start",
                width="100%",
            ),
            on_submit=s.connect,
            reset_on_submit=True,
            key=s.form_version.to_string(),
            width="100%",
        ),
        width="100%",
    )


def _token_dialog() -> rx.Component:
    s = ConnectionsState
    return form_dialog(
        "Replace the API token of " + s.token_project,
        rx.form(
            rx.vstack(
                field(
                    "New account e-mail (Jira; blank keeps it)",
                    "new_account",
                    required=False,
                    autocomplete="off",
                ),
                field("New API token", "new_token", type="password", autocomplete="off"),
                dialog_actions("Replace token"),
                width="100%",
            ),
            on_submit=s.replace_token,
            reset_on_submit=True,
            key=s.form_version.to_string(),
            width="100%",
        ),
        open=s.token_connection_id != 0,
        on_open_change=lambda _open: ConnectionsState.close_token_dialog(),
        description="The new token is checked with the other side first, then replaces the "
        "old one at once. It is stored encrypted and never shown again.",
        error=s.error,
    )


def _body() -> rx.Component:
    s = ConnectionsState
    delivery = portfolio_href(s.portfolio_id, "/delivery/") + s.initiative_id.to_string()
    return rx.vstack(
        page_heading("Connections"),
        rx.heading(s.initiative_title, size="5", as_="h2"),
        portfolio_nav(s.portfolio_id),
        rx.link("Back to the initiative's delivery", href=delivery),
        error_callout(s.error),
        info_callout(s.notice),
        rx.cond(s.sync_progress != "", rx.el.p(s.sync_progress, role="status")),
        progress_bar("Sync under way", None, shown=s.syncing != 0),
        data_table(
            "Connections",
            [
                "Source",
                "Project",
                "Address",
                "Account",
                "Token",
                "Last sync",
                "When",
                "Error",
                "Unmapped",
                "",
            ],
            s.connections,
            _connection_row,
            empty="Nothing connected yet.",
        ),
        data_table(
            "Status mapping",
            ["Their status", "Items", "Our column"],
            s.mappings,
            _mapping_row,
            empty="Statuses appear here after the first sync.",
        ),
        data_table(
            "Recent syncs",
            ["Started", "Outcome", "Read", "New", "Changed", "Removed", "Unmapped", "Error"],
            s.runs,
            _run_row,
            empty="No sync yet.",
        ),
        rx.cond(AuthState.is_coach, _connect_card()),
        _token_dialog(),
        width="100%",
        align="start",
        spacing="4",
    )


@rx.page(
    route="/o/[slug]/portfolio/p/[portfolio_id]/delivery/[initiative_id]/connections",
    title="Connections",
    on_load=[AuthState.load_workspace, ConnectionsState.load],
)
@workspace
def connections_page() -> rx.Component:
    return _body()
