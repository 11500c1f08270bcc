"""Board drag and drop, stateless: a card that can be dragged (the browser's own HTML drag and
drop) or moved with the keyboard, and a column it can be dropped on. The page's handlers do
the move through its services (status history, audit, the role check on the server).

Keyboard: a card takes focus (Tab); Left/Right arrow moves it to the previous/next column, and
the page announces the move in its status line (role=status, read by screen readers).
"""

from __future__ import annotations

import json
from typing import Any

import reflex as rx
from reflex.event import EventHandler, no_args_event_spec
from reflex.vars import ObjectVar, Var
from reflex_base.event import JavascriptKeyboardEvent

HINT_ID = "board-move-hint"
KEY_PREVIOUS = ("ArrowLeft", "ArrowUp")
KEY_NEXT = ("ArrowRight", "ArrowDown")


def _key_only(e: ObjectVar[JavascriptKeyboardEvent]) -> tuple[Var[str]]:
    """The key pressed on the card or item itself; "" for one pressed in a control inside
    it (an arrow key in a select or a menu button must not move the card as well)."""
    return (Var(_js_expr=f"(({e}).target === ({e}).currentTarget ? ({e}).key : '')").to(str),)


class DragArea(rx.el.Div):
    """A div with the HTML drag-and-drop and key events (Reflex's div has neither). The
    specs are functions, as Reflex declares its own triggers (its .pyi stubs hide that)."""

    on_drag_start: EventHandler[no_args_event_spec]  # type: ignore[type-arg,valid-type]
    on_drag_end: EventHandler[no_args_event_spec]  # type: ignore[type-arg,valid-type]
    on_drag_over: EventHandler[no_args_event_spec]  # type: ignore[type-arg,valid-type]
    on_drag_enter: EventHandler[no_args_event_spec]  # type: ignore[type-arg,valid-type]
    on_drop: EventHandler[no_args_event_spec]  # type: ignore[type-arg,valid-type]
    on_key_down: EventHandler[_key_only]  # type: ignore[type-arg,valid-type]


def key_step(key: str) -> int:
    """-1, +1 or 0: the column a key moves a card to (used by the page's handler)."""
    if key in KEY_PREVIOUS:
        return -1
    if key in KEY_NEXT:
        return 1
    return 0


def movable_card(
    *children: rx.Component,
    card_id: Var,
    status: Var,
    label: Var,
    enabled: Var[bool],
    on_drag_start: Any,
    on_key_down: Any,
) -> rx.Component:
    """A card (role article, named `label`), draggable and focusable when `enabled` (people who
    may move cards; the server refuses the others anyway). Its element id is `card-<card_id>`,
    so the page can give it focus back after a move (`focus_card`), and `data-status` its
    column."""
    return DragArea.create(
        rx.card(rx.vstack(*children, spacing="1", align="start"), width="100%"),
        id="card-" + card_id.to_string(),
        custom_attrs={"data-status": status},
        role="article",
        aria_label=label,
        draggable=enabled,
        tab_index=rx.cond(enabled, 0, -1),
        aria_describedby=HINT_ID,
        on_drag_start=on_drag_start,
        on_key_down=on_key_down,
        class_name=rx.cond(enabled, "pmo-movable", ""),
        width="100%",
    )


def drop_column(child: rx.Component, *, on_drop: Any, **props: Any) -> rx.Component:
    """A column that takes a dropped card (`on_drop` is the page's move to this column)."""
    return DragArea.create(
        child,
        on_drag_over=rx.prevent_default,
        on_drag_enter=rx.prevent_default,
        on_drop=[rx.prevent_default, on_drop],
        **props,
    )


def move_hint(shown: Var[bool]) -> rx.Component:
    """The instruction movable cards point to (aria-describedby); empty for people who cannot
    move cards, so the reference always finds its element."""
    return rx.text(
        rx.cond(
            shown,
            "Drag a card to another column, or focus it and press the Left or Right arrow key.",
            "",
        ),
        id=HINT_ID,
        size="1",
        color_scheme="gray",
    )


def focus_card(card_id: int, status: str) -> Any:
    """Give the moved card focus again once it is drawn in its new column (`data-status`
    tells the new element from the old one; tried for two seconds, a slow render included)."""
    selector = json.dumps(f'#card-{int(card_id)}[data-status="{status}"]')
    return _focus_when_drawn(selector)


def _focus_when_drawn(selector: str) -> Any:
    return rx.call_script(
        "(() => { let tries = 40; const find = () => { const el = document.querySelector("
        + selector
        + "); if (el) { el.focus(); } else if (tries-- > 0) { setTimeout(find, 50); } }; "
        "find(); })()"
    )


ORDER_HINT_ID = "reorder-hint"


def reorder_item(
    *children: rx.Component,
    item_id: Var,
    place: Var,
    label: Var,
    enabled: Var[bool],
    on_drag_start: Any,
    on_drop: Any,
    on_key_down: Any,
) -> rx.Component:
    """An item of a list whose order matters (role article, named `label`): dragged onto
    another it takes that one's place (`on_drop` is the page's move to this item's place);
    focused, Up/Down arrow moves it one place (`on_key_down(key)`). Draggable and focusable
    when `enabled`. Its element id is `item-<item_id>` and `data-place` its place, so the
    page can give it focus back after a move (`focus_item`)."""
    return DragArea.create(
        *children,
        id="item-" + item_id.to_string(),
        custom_attrs={"data-place": place},
        role="article",
        aria_label=label,
        draggable=enabled,
        tab_index=rx.cond(enabled, 0, -1),
        aria_describedby=ORDER_HINT_ID,
        on_drag_start=on_drag_start,
        on_drag_over=rx.prevent_default,
        on_drag_enter=rx.prevent_default,
        on_drop=[rx.prevent_default, on_drop],
        on_key_down=on_key_down,
        class_name=rx.cond(enabled, "pmo-movable", ""),
        width="100%",
    )


def reorder_hint(shown: Var[bool], what: str) -> rx.Component:
    """The instruction reorderable items point to; empty for people who cannot reorder."""
    return rx.text(
        rx.cond(
            shown,
            f"Drag {what} onto another to change the order, or focus it and press the Up or "
            "Down arrow key, or use its Up and Down buttons.",
            "",
        ),
        id=ORDER_HINT_ID,
        size="1",
        color_scheme="gray",
    )


def reorder_buttons(title: Var, on_move: Any, *, first: Var[bool], last: Var[bool]) -> Any:
    """Up and Down buttons for an item (touch screens; `on_move(step)` is the page's move)."""
    return rx.hstack(
        rx.icon_button(
            rx.icon("arrow-up", size=14),
            size="1",
            variant="soft",
            type="button",
            aria_label="Move " + title.to(str) + " up",
            disabled=first,
            on_click=on_move(-1),
        ),
        rx.icon_button(
            rx.icon("arrow-down", size=14),
            size="1",
            variant="soft",
            type="button",
            aria_label="Move " + title.to(str) + " down",
            disabled=last,
            on_click=on_move(1),
        ),
        spacing="1",
    )


def focus_item(item_id: int, place: int) -> Any:
    """Give the moved item focus again once it is drawn at its new place."""
    selector = json.dumps(f'#item-{int(item_id)}[data-place="{int(place)}"]')
    return _focus_when_drawn(selector)


def move_menu(
    title: Var, columns: list[tuple[str, str]], on_move: Any, *, shown: Var[bool]
) -> rx.Component:
    """On a phone (no drag and drop by touch, no arrow keys): a "Move" menu on the card, one
    item per column; `on_move(status)` is the page's move. Hidden from 48em up."""
    return rx.cond(
        shown,
        rx.box(
            rx.dropdown_menu.root(
                rx.dropdown_menu.trigger(
                    rx.button("Move", size="1", variant="soft", aria_label="Move " + title.to(str))
                ),
                rx.dropdown_menu.content(
                    *[
                        rx.dropdown_menu.item(label, on_click=on_move(value))
                        for value, label in columns
                    ]
                ),
            ),
            display=rx.breakpoints(initial="block", md="none"),
        ),
    )
