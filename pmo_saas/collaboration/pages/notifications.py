"""The notifications page: the newest notifications (unread first to the eye), mark read,
mark all read, and how each kind of event reaches me (in-app, mail at once, digest, off)."""

from __future__ import annotations

import reflex as rx

from pmo_saas.collaboration.models import CHANNELS
from pmo_saas.collaboration.schemas import NotificationRow, PreferenceRow
from pmo_saas.collaboration.services import notifications as service
from pmo_saas.db import in_tenant
from pmo_saas.identity.auth_state import AuthState
from pmo_saas.identity.page_state import WorkspacePage
from pmo_saas.identity.shell import workspace
from pmo_saas.kernel.context import TenantContext
from pmo_saas.ui.components import data_table, error_callout, info_callout, page_heading

CHANNEL_OPTIONS = [(c, service.CHANNEL_LABELS[c]) for c in CHANNELS]


class NotificationsState(WorkspacePage, rx.State):
    items: list[NotificationRow] = []
    preferences: list[PreferenceRow] = []
    unread_only: bool = False

    async def _refresh(self, ctx: TenantContext) -> None:
        items = await in_tenant(ctx, service.list_notifications, unread_only=self.unread_only)
        preferences = await in_tenant(ctx, service.list_preferences)
        self._set_changed(items=items, preferences=preferences)

    def _on_failed_load(self) -> None:
        self.items, self.preferences = [], []

    @rx.event
    async def load(self) -> None:
        await self._load()

    @rx.event
    async def show_unread_only(self, value: bool) -> None:
        self.unread_only = bool(value)
        await self._reload()

    @rx.event
    async def mark_read(self, notification_id: int) -> None:
        await self._act(service.mark_read, notification_id=notification_id)

    @rx.event
    async def mark_all_read(self) -> None:
        await self._act(service.mark_all_read, notice="Everything is marked read.")

    @rx.event
    async def set_channel(self, kind: str, channel: str) -> None:
        await self._act(service.set_preference, notice="Saved.", kind=kind, channel=channel)


def _item(n: rx.Var) -> rx.Component:
    return rx.table.row(
        rx.table.cell(
            rx.cond(
                n.path != "",
                rx.link(n.title, href="/o/" + AuthState.org_slug + n.path),
                rx.text(n.title),
            ),
            font_weight=rx.cond(n.read, "normal", "bold"),
        ),
        rx.table.cell(rx.text(n.when, white_space="nowrap")),
        rx.table.cell(
            rx.cond(
                n.read,
                rx.text("Read", color_scheme="gray"),
                rx.button(
                    "Mark read",
                    size="1",
                    variant="soft",
                    on_click=NotificationsState.mark_read(n.id),
                ),
            )
        ),
    )


def _preference(p: rx.Var) -> rx.Component:
    select_id = "channel-" + p.kind
    return rx.table.row(
        rx.table.cell(rx.el.label(p.label, html_for=select_id)),
        rx.table.cell(
            rx.el.select(
                *[rx.el.option(label, value=value) for value, label in CHANNEL_OPTIONS],
                id=select_id,
                value=p.channel,
                on_change=lambda value: NotificationsState.set_channel(p.kind, value),
                class_name="pmo-select",
            )
        ),
    )


@rx.page(
    route="/o/[slug]/notifications",
    title="Notifications",
    on_load=[AuthState.load_workspace, NotificationsState.load],
)
@workspace
def notifications_page() -> rx.Component:
    s = NotificationsState
    return rx.vstack(
        page_heading("Notifications", "Mentions, replies and what is assigned to you."),
        error_callout(s.error),
        info_callout(s.notice),
        rx.hstack(
            rx.button("Mark all read", on_click=s.mark_all_read, variant="soft"),
            rx.el.label(
                rx.hstack(
                    rx.checkbox(
                        checked=s.unread_only,
                        on_change=s.show_unread_only,
                        aria_label="Unread only",  # a Radix checkbox is a button: named here
                    ),
                    rx.text("Unread only"),
                    align="center",
                ),
            ),
            align="center",
            spacing="4",
        ),
        data_table(
            "Notifications",
            ["What", "When", ""],
            s.items,
            _item,
            empty="Nothing yet: mentions and replies appear here.",
        ),
        rx.heading("How I am told", size="5", as_="h2"),
        data_table("Notification preferences", ["Event", "Channel"], s.preferences, _preference),
        width="100%",
        align="start",
        spacing="4",
    )
