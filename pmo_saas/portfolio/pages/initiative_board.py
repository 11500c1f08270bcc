"""The initiatives page's board: one column per status; cards dragged between columns or moved
with the keyboard (ui/dnd.py). Pure components; the page passes its state in."""

from __future__ import annotations

from typing import Any

import reflex as rx

from pmo_saas.identity.auth_state import AuthState
from pmo_saas.portfolio.pages.common import STATUS_CHOICES
from pmo_saas.portfolio.views import BoardLane, InitiativeCard
from pmo_saas.ui.dnd import drop_column, movable_card, move_hint, move_menu


def _card(s: Any, c: InitiativeCard) -> rx.Component:
    return movable_card(
        rx.text(c.title, weight="medium"),
        rx.hstack(
            rx.cond(c.moscow_label != "", rx.badge(c.moscow_label)),
            rx.cond(c.cost != "", rx.text(c.cost, size="1", color_scheme="gray")),
            spacing="2",
        ),
        rx.cond(c.owner != "", rx.text(c.owner, size="1")),
        rx.cond(c.origin != "", rx.text(c.origin, size="1", color_scheme="gray")),
        move_menu(
            c.title, STATUS_CHOICES, lambda status: s.move(c.id, status), shown=AuthState.is_coach
        ),
        card_id=c.id,
        status=c.status,
        label=c.title,
        enabled=AuthState.is_coach,
        on_drag_start=s.start_drag(c.id),
        on_key_down=lambda key: s.key_move(c.id, key),
    )


def _lane(s: Any, lane: BoardLane) -> rx.Component:
    return rx.el.section(
        drop_column(
            rx.vstack(
                rx.heading(
                    lane.label + " (" + lane.cards.length().to_string() + ")", size="3", as_="h3"
                ),
                rx.foreach(lane.cards, lambda c: _card(s, c)),
                spacing="2",
                width="100%",
                min_height="4em",
            ),
            on_drop=s.drop_on(lane.status),
            width="100%",
            height="100%",
        ),
        aria_label="Column " + lane.label,
        class_name="pmo-drop-column",
        style={
            "minWidth": "12em",
            "flex": "1",
            "background": "var(--gray-2)",
            "padding": "0.5em",
            "borderRadius": "6px",
            "alignSelf": "stretch",
        },
    )


def board(s: Any) -> rx.Component:
    return rx.el.section(
        move_hint(AuthState.is_coach),
        rx.hstack(
            rx.foreach(s.board, lambda lane: _lane(s, lane)),
            align="stretch",
            width="100%",
            overflow_x="auto",
        ),
        aria_label="Board",
        style={"width": "100%"},
    )
