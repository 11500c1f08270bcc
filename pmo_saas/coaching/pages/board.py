"""/o/<slug>/coaching/board: organisational growth items across teams, and their funding."""

from __future__ import annotations

import reflex as rx

from pmo_saas.coaching import portfolio_link
from pmo_saas.coaching.pages.common import (
    Choice,
    overdue_badge,
    plan_href,
    section_nav,
    status_badge,
)
from pmo_saas.coaching.schemas import BoardItem
from pmo_saas.coaching.services.board import leadership_board, promote_to_portfolio
from pmo_saas.db import in_tenant
from pmo_saas.identity.auth_state import AuthState
from pmo_saas.identity.page_state import WorkspacePage
from pmo_saas.identity.shell import workspace
from pmo_saas.kernel.context import TenantContext
from pmo_saas.kernel.roles import Role
from pmo_saas.ui.components import data_table, error_callout, info_callout, page_heading


class BoardState(WorkspacePage, rx.State):
    items: list[BoardItem] = []
    portfolios: list[Choice] = []
    include_done: bool = False

    async def _refresh(self, ctx: TenantContext) -> None:
        self.items = await in_tenant(ctx, leadership_board, include_done=self.include_done)
        if ctx.has(Role.COACH):
            found = await in_tenant(ctx, portfolio_link.portfolio_choices)
            self.portfolios = [Choice(value=str(pid), label=name) for pid, name in found]
        else:
            self.portfolios = []

    def _on_failed_load(self) -> None:
        self.items, self.portfolios = [], []

    @rx.event
    async def load(self) -> None:
        await self._load()

    @rx.event
    async def toggle_done(self, value: bool) -> None:
        self.include_done = bool(value)
        await self.load()

    @rx.event
    async def promote(self, form: dict) -> None:
        raw_action = str(form.get("action_id", 0)).strip()
        raw = str(form.get("portfolio", "")).strip()
        if not raw:
            self._refuse("Choose the portfolio the item goes to.")
            return
        if not (raw.isdigit() and raw_action.isdigit()):
            self._refuse("Choose the item and the portfolio from the lists.")
            return
        row = await self._act(
            promote_to_portfolio, action_id=int(raw_action), portfolio_id=int(raw)
        )
        if row is not None:
            self.notice = f"“{row.title}” is now an initiative in the portfolio."


def _promote_cell(item: BoardItem) -> rx.Component:
    a = item.action
    return rx.cond(
        a.initiative_id,
        rx.vstack(
            rx.badge("In the portfolio", color_scheme="purple"),
            rx.text(a.funding_label, size="2"),
            spacing="1",
        ),
        rx.cond(
            AuthState.is_coach,
            rx.form(
                rx.el.input(type="hidden", name="action_id", value=a.id.to(str)),
                rx.hstack(
                    rx.el.select(
                        rx.el.option("Choose a portfolio", value=""),
                        rx.foreach(
                            BoardState.portfolios,
                            lambda o: rx.el.option(o.label, value=o.value),
                        ),
                        name="portfolio",
                        aria_label="Portfolio for " + a.title,
                        class_name="pmo-select",
                    ),
                    rx.button(
                        "Promote to portfolio",
                        type="submit",
                        size="1",
                        aria_label="Promote " + a.title + " to portfolio",
                    ),
                    align="center",
                ),
                on_submit=BoardState.promote,
            ),
            rx.text("Not in the portfolio yet", size="2", color_scheme="gray"),
        ),
    )


def _item_row(item: BoardItem) -> rx.Component:
    a = item.action
    return rx.table.row(
        rx.table.cell(a.title),
        rx.table.cell(rx.link(item.plan_title, href=plan_href(item.plan_id))),
        rx.table.cell(rx.cond(item.team_name != "", item.team_name, "—")),
        rx.table.cell(a.owner_name),
        rx.table.cell(
            rx.hstack(rx.text(rx.cond(a.due_date, a.due_date, "—")), overdue_badge(a.overdue))
        ),
        rx.table.cell(status_badge(a.status)),
        rx.table.cell(_promote_cell(item)),
        background=rx.cond(a.overdue, "var(--red-a2)", "transparent"),
    )


def _board_body() -> rx.Component:
    return rx.vstack(
        page_heading(
            "Leadership board",
            "What teams cannot solve alone: organisational growth items from every plan.",
        ),
        section_nav(),
        error_callout(BoardState.error),
        info_callout(BoardState.notice),
        rx.checkbox(
            "Show done items too",
            checked=BoardState.include_done,
            on_change=BoardState.toggle_done,
        ),
        data_table(
            "Organisational growth items",
            ["Item", "Plan", "Team", "Owner", "Due", "Status", "Portfolio / funding"],
            BoardState.items,
            _item_row,
            empty="No organisational growth items.",
        ),
        width="100%",
        align="start",
        spacing="4",
    )


@rx.page(
    route="/o/[slug]/coaching/board",
    title="Leadership board",
    on_load=[AuthState.load_workspace, BoardState.load],
)
@workspace
def coaching_board_page() -> rx.Component:
    return _board_body()
