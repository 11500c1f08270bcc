"""/o/<slug>/coaching/board: organisational growth items across teams, and their funding."""

from __future__ import annotations

import reflex as rx
from pydantic import BaseModel

from pmo_saas.coaching import portfolio_link
from pmo_saas.coaching.pages.common import (
    STATUS_LABELS,
    Choice,
    overdue_badge,
    plan_href,
    section_nav,
    status_badge,
)
from pmo_saas.coaching.schemas import BoardItem
from pmo_saas.coaching.services.actions import set_action_status
from pmo_saas.coaching.services.board import leadership_board, promote_to_portfolio
from pmo_saas.db import in_tenant
from pmo_saas.identity.auth_state import AuthState
from pmo_saas.identity.page_state import WorkspacePage
from pmo_saas.identity.shell import workspace
from pmo_saas.kernel.context import TenantContext
from pmo_saas.kernel.roles import Role
from pmo_saas.ui.components import data_table, error_callout, info_callout, page_heading
from pmo_saas.ui.dnd import drop_column, focus_card, key_step, movable_card, move_hint, move_menu

STATUS_ORDER = ["todo", "doing", "blocked", "done"]


class BoardColumn(BaseModel):
    status: str
    label: str
    cards: list[BoardItem]


class BoardState(WorkspacePage, rx.State):
    items: list[BoardItem] = []
    portfolios: list[Choice] = []
    include_done: bool = False
    view: str = "board"
    me: int = 0
    _dragged: int = 0

    async def _refresh(self, ctx: TenantContext) -> None:
        self.me = ctx.user_id or 0
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

    @rx.var
    def columns(self) -> list[BoardColumn]:
        """The items by status, in the order work flows (Done only when shown)."""
        shown = [s for s in STATUS_ORDER if s != "done" or self.include_done]
        return [
            BoardColumn(
                status=s,
                label=STATUS_LABELS[s],
                cards=[i for i in self.items if i.action.status == s],
            )
            for s in shown
        ]

    @rx.event
    def show(self, view: str) -> None:
        self.view = "table" if view == "table" else "board"

    async def _move(self, action_id: int, status: str) -> bool:
        """Through the service: the owner or a coach only (the server checks)."""
        found = next((i for i in self.items if i.action.id == int(action_id)), None)
        title = found.action.title if found is not None else "The item"
        await self._act(
            set_action_status,
            notice=f"“{title}” moved to {STATUS_LABELS.get(status, status)}.",
            action_id=int(action_id),
            status=status,
        )
        return not self.error

    @rx.event
    async def move(self, action_id: int, status: str) -> None:
        await self._move(action_id, status)

    @rx.event
    def start_drag(self, action_id: int) -> None:
        self._dragged = int(action_id)

    @rx.event
    async def drop_on(self, status: str) -> None:
        dragged, self._dragged = self._dragged, 0
        found = next((i for i in self.items if i.action.id == dragged), None)
        if found is not None and found.action.status != status:
            await self._move(dragged, status)

    @rx.event
    async def key_move(self, action_id: int, key: str):
        """Left/Right arrow on a focused card: the previous/next column; focus follows it."""
        step = key_step(key)
        found = next((i for i in self.items if i.action.id == int(action_id)), None)
        order = [c.status for c in self.columns]
        if not step or found is None or found.action.status not in order:
            return None
        at = order.index(found.action.status) + step
        if not 0 <= at < len(order):
            return None
        if await self._move(found.action.id, order[at]):
            return focus_card(found.action.id, order[at])
        return None

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


def _card(item: BoardItem) -> rx.Component:
    a = item.action
    return movable_card(
        rx.text(a.title, weight="medium"),
        rx.text(item.plan_title, size="1"),
        rx.hstack(
            rx.text(rx.cond(item.team_name != "", item.team_name, "—"), size="1"),
            rx.text(a.owner_name, size="1", color_scheme="gray"),
            spacing="2",
            wrap="wrap",
        ),
        rx.hstack(
            rx.cond(a.due_date, rx.text(a.due_date, size="1")),
            overdue_badge(a.overdue),
            rx.cond(a.initiative_id, rx.badge("In the portfolio", color_scheme="purple")),
            spacing="2",
            wrap="wrap",
        ),
        move_menu(
            a.title,
            [(s, STATUS_LABELS[s]) for s in STATUS_ORDER],
            lambda status: BoardState.move(a.id, status),
            shown=AuthState.is_coach | (a.owner_user_id == BoardState.me),
        ),
        card_id=a.id,
        status=a.status,
        label=a.title,
        enabled=AuthState.is_coach | (a.owner_user_id == BoardState.me),
        on_drag_start=BoardState.start_drag(a.id),
        on_key_down=lambda key: BoardState.key_move(a.id, key),
    )


def _column(column: BoardColumn) -> rx.Component:
    return rx.el.section(
        drop_column(
            rx.vstack(
                rx.heading(
                    column.label + " (" + column.cards.length().to_string() + ")",
                    size="3",
                    as_="h3",
                ),
                rx.foreach(column.cards, _card),
                spacing="2",
                width="100%",
                min_height="4em",
            ),
            on_drop=BoardState.drop_on(column.status),
            width="100%",
            height="100%",
        ),
        aria_label="Column " + column.label,
        class_name="pmo-drop-column",
        style={
            "minWidth": "12em",
            "flex": "1",
            "background": "var(--gray-2)",
            "padding": "0.5em",
            "borderRadius": "6px",
        },
    )


def _kanban() -> rx.Component:
    return rx.el.section(
        move_hint(BoardState.items.length() > 0),
        rx.hstack(
            rx.foreach(BoardState.columns, _column),
            align="stretch",
            width="100%",
            overflow_x="auto",
        ),
        aria_label="Board",
        style={"width": "100%"},
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
        rx.hstack(
            rx.button(
                "Board",
                variant=rx.cond(BoardState.view == "board", "solid", "soft"),
                on_click=BoardState.show("board"),
            ),
            rx.button(
                "Table",
                variant=rx.cond(BoardState.view == "table", "solid", "soft"),
                on_click=BoardState.show("table"),
            ),
            rx.checkbox(
                "Show done items too",
                checked=BoardState.include_done,
                on_change=BoardState.toggle_done,
            ),
            align="center",
            wrap="wrap",
        ),
        rx.cond(
            BoardState.view == "board",
            _kanban(),
            data_table(
                "Organisational growth items",
                ["Item", "Plan", "Team", "Owner", "Due", "Status", "Portfolio / funding"],
                BoardState.items,
                _item_row,
                empty="No organisational growth items.",
            ),
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
