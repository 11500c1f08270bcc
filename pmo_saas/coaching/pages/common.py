"""Small pieces shared by the coaching pages: route helpers, choice lists, labelled selects
(the shared `Choice`, `labelled_select` and `text_area` of ui.components underneath)."""

from __future__ import annotations

from typing import Any

import reflex as rx

from pmo_saas.identity.auth_state import AuthState
from pmo_saas.kernel.paths import id_after  # noqa: F401  (the pages import it from here)
from pmo_saas.ui.components import Choice, labelled_select, text_area

STATUS_LABELS = {"todo": "To do", "doing": "Doing", "done": "Done", "blocked": "Blocked"}
PLAN_STATUS_LABELS = {"active": "Active", "on_hold": "On hold", "completed": "Completed"}
SCOPE_LABELS = {"team": "Team growth item", "organisation": "Organisational (leadership)"}


def optional_int(raw: Any) -> int | None:
    """A form value as an id; empty means none. Not a number raises ValueError."""
    text = str(raw or "").strip()
    return int(text) if text else None


def coaching_href(suffix: str | rx.Var = "") -> rx.Var:
    return "/o/" + AuthState.org_slug + "/coaching" + suffix


def plan_href(plan_id: rx.Var) -> rx.Var:
    return "/o/" + AuthState.org_slug + "/coaching/plans/" + plan_id.to(str)


def section_nav() -> rx.Component:
    return rx.el.nav(
        rx.hstack(
            rx.link("Plans", href=coaching_href()),
            rx.link("My actions", href=coaching_href("/mine")),
            rx.link("Leadership board", href=coaching_href("/board")),
            rx.link("Training", href=coaching_href("/training")),
            spacing="4",
        ),
        aria_label="Coaching",
    )


def choice_select(
    label: str,
    name: str,
    options: list[Choice] | rx.Var,
    *,
    empty: str = "",
    default: str | rx.Var = "",
    **props: Any,
) -> rx.Component:
    """A label tied to a select of (value, label) choices; `empty` adds a first blank option."""
    pairs = [(o.value, o.label) for o in options] if isinstance(options, list) else options
    return labelled_select(label, name, pairs, default=default, empty=empty, **props)


def textarea_field(label: str, name: str, *, default: str | rx.Var = "") -> rx.Component:
    return text_area(label, name, rows="3", default_value=default)


def warning_callout(message: rx.Var[str]) -> rx.Component:
    return rx.cond(
        message != "",
        rx.callout(message, icon="clock-alert", color_scheme="amber", role="status", width="100%"),
    )


def status_badge(status: rx.Var[str]) -> rx.Component:
    return rx.badge(
        rx.match(
            status,
            *[(key, label) for key, label in STATUS_LABELS.items()],
            status,
        ),
        color_scheme=rx.match(
            status, ("done", "green"), ("blocked", "red"), ("doing", "blue"), "gray"
        ),
    )


def overdue_badge(overdue: rx.Var[bool]) -> rx.Component:
    return rx.cond(overdue, rx.badge("Overdue", color_scheme="red", variant="solid"))


def progress_bar(percent: rx.Var[int], label: rx.Var[str]) -> rx.Component:
    return rx.hstack(
        rx.progress(value=percent, max=100, width="120px", aria_label=label),
        rx.text(percent.to(str) + "%", size="1"),
        align="center",
        spacing="2",
    )
