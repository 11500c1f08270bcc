"""The notification bell in the workspace shell, with the unread count, live.

Registered with the shell (`identity.shell.add_shell_tool`), so identity imports nothing of
collaboration. Live without reloading: on mount the bell starts a background event that
re-reads the count every `notification_poll_seconds` while the tab is connected (on any
instance: the token manager asks Redis), and Reflex pushes a changed count to the tab. It is
one indexed count per open tab; with Redis the state and the push reach the tab whichever
process holds its socket. A newer mount (another page, the phone bar's bell) takes over:
older loops see a newer `_loop` and end.
"""

from __future__ import annotations

import asyncio

import reflex as rx
from reflex.utils.prerequisites import get_app

from pmo_saas.collaboration.services import notifications as service
from pmo_saas.db import in_tenant
from pmo_saas.identity.auth_state import AuthState
from pmo_saas.identity.page_state import WorkspacePage
from pmo_saas.identity.shell import add_shell_tool
from pmo_saas.kernel.context import TenantContext
from pmo_saas.settings import get_settings

MAX_POLLS = 24 * 3600  # a tab left open for days stops after about a day (3 s polls)


class BellState(WorkspacePage, rx.State):
    unread: int = 0
    _loop: int = 0

    async def _refresh(self, ctx: TenantContext) -> None:
        self._set_changed(unread=await in_tenant(ctx, service.unread_count))

    def _on_failed_load(self) -> None:
        self._set_changed(unread=0)

    @rx.var
    def label(self) -> str:
        if self.unread == 0:
            return "Notifications, none unread"
        return f"Notifications, {self.unread} unread"

    @rx.var
    def badge(self) -> str:
        return "" if self.unread == 0 else ("99+" if self.unread > 99 else str(self.unread))

    async def _tab_connected(self) -> bool:
        namespace = get_app().app.event_namespace
        token = self.router.session.client_token
        if namespace is None or not token:
            return False
        manager = getattr(namespace, "_token_manager", None)
        if manager is None:
            return token in namespace.token_to_sid
        return bool(await manager.is_token_connected(token))

    @rx.event(background=True)
    async def watch(self) -> None:
        """Read the count now, then again every few seconds while this tab is open."""
        async with self:
            self._loop += 1
            mine = self._loop
            if not await self._reload(quiet=True):
                return
        pause = max(0.5, get_settings().notification_poll_seconds)
        for _ in range(MAX_POLLS):
            await asyncio.sleep(pause)
            if not await self._tab_connected():
                return
            async with self:
                if self._loop != mine or not await self._reload(quiet=True):
                    return


def notification_bell() -> rx.Component:
    return rx.link(
        rx.box(
            rx.icon("bell", size=18),
            rx.cond(
                BellState.unread > 0,
                rx.badge(
                    BellState.badge,
                    color_scheme="red",
                    variant="solid",
                    radius="full",
                    size="1",
                    position="absolute",
                    top="-0.6em",
                    right="-0.8em",
                    aria_hidden="true",
                ),
            ),
            position="relative",
            display="inline-flex",
        ),
        href="/o/" + AuthState.org_slug + "/notifications",
        aria_label=BellState.label,
        title=BellState.label,
        color_scheme="gray",
        high_contrast=True,
        on_mount=BellState.watch,
        padding="0.25em 0.5em",
    )


add_shell_tool(notification_bell)
