"""/o/<slug>/coaching/mine: the caller's own actions across plans, overdue first."""

from __future__ import annotations

import reflex as rx

from pmo_saas.coaching.pages.common import (
    STATUS_LABELS,
    overdue_badge,
    plan_href,
    section_nav,
)
from pmo_saas.coaching.schemas import ActionRow
from pmo_saas.coaching.services.actions import my_actions, set_action_status
from pmo_saas.db import in_tenant
from pmo_saas.identity.auth_state import AuthState
from pmo_saas.identity.page_state import WorkspacePage
from pmo_saas.identity.shell import workspace
from pmo_saas.kernel.context import TenantContext
from pmo_saas.ui.components import data_table, error_callout, info_callout, page_heading


class MyActionsState(WorkspacePage, rx.State):
    actions: list[ActionRow] = []
    show_done: bool = False

    async def _refresh(self, ctx: TenantContext) -> None:
        self.actions = await in_tenant(ctx, my_actions, open_only=not self.show_done)

    def _on_failed_load(self) -> None:
        self.actions = []

    @rx.event
    async def load(self) -> None:
        await self._load()

    @rx.event
    async def toggle_done(self, value: bool) -> None:
        self.show_done = bool(value)
        await self.load()

    @rx.event
    async def set_status(self, action_id: int, status: str) -> None:
        row = await self._act(set_action_status, action_id=int(action_id), status=status)
        if row is not None:
            self.notice = f"“{row.title}” is now {STATUS_LABELS.get(row.status, row.status)}."


def _row(a: ActionRow) -> rx.Component:
    return rx.table.row(
        rx.table.cell(a.title),
        rx.table.cell(rx.link("Open plan", href=plan_href(a.plan_id))),
        rx.table.cell(
            rx.hstack(rx.text(rx.cond(a.due_date, a.due_date, "—")), overdue_badge(a.overdue))
        ),
        rx.table.cell(
            rx.el.select(
                *[rx.el.option(label, value=key) for key, label in STATUS_LABELS.items()],
                value=a.status,
                on_change=lambda value: MyActionsState.set_status(a.id, value),
                aria_label="Status of " + a.title,
                class_name="pmo-select",
            )
        ),
        background=rx.cond(a.overdue, "var(--red-a2)", "transparent"),
    )


def _mine_body() -> rx.Component:
    return rx.vstack(
        page_heading("My actions", "What you took on in coaching plans, overdue first."),
        section_nav(),
        error_callout(MyActionsState.error),
        info_callout(MyActionsState.notice),
        rx.checkbox(
            "Show done actions too",
            checked=MyActionsState.show_done,
            on_change=MyActionsState.toggle_done,
        ),
        data_table(
            "My actions",
            ["Action", "Plan", "Due", "Status"],
            MyActionsState.actions,
            _row,
            empty="Nothing open for you.",
        ),
        width="100%",
        align="start",
        spacing="4",
    )


@rx.page(
    route="/o/[slug]/coaching/mine",
    title="My actions",
    on_load=[AuthState.load_workspace, MyActionsState.load],
)
@workspace
def coaching_mine_page() -> rx.Component:
    return _mine_body()
