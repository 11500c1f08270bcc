"""The empty state of a page or a section: what it is for, and the first thing to do."""

from __future__ import annotations

import reflex as rx


def empty_state(
    name: str,
    purpose: str | rx.Var,
    action: rx.Component | None = None,
    *,
    icon: str = "inbox",
) -> rx.Component:
    """A named note (region `name`) saying what belongs here, with the first action."""
    return rx.el.section(
        rx.hstack(
            rx.icon(icon, size=28, color="var(--accent-9)", aria_hidden="true", flex_shrink="0"),
            rx.vstack(
                rx.text(purpose, size="2"),
                action if action is not None else rx.fragment(),
                spacing="2",
                align="start",
            ),
            spacing="3",
            align="start",
            width="100%",
        ),
        aria_label=name,
        class_name="pmo-empty",
    )


def action_link(label: str | rx.Var, href: str | rx.Var) -> rx.Component:
    """The first action, as a button-styled link (a page or an anchor on the page)."""
    # as_child: one element, a link drawn as a button (no button nested in a link)
    return rx.button(rx.link(label, href=href), as_child=True, size="2", variant="soft")
