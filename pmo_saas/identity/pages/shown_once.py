"""One page pattern for credentials an admin makes, sees once, lists and revokes: the
dashboard's share links (dashboard/pages/sharing.py) and the API keys (rest/pages.py).

A page state subclasses `ShownOncePage` and adds its rows and `_refresh`; its handlers are one
line each (`_open`, `_create_shown_once`, `_revoke`). The new secret is never a var: it
travels in the one event that shows it (`reveal_once`), so the state store never holds it.
`shown_once_page` lays the page out the same way for both.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any, TypeVar

import reflex as rx
from reflex.event import EventSpec

from pmo_saas.identity.page_state import WorkspacePage
from pmo_saas.kernel.roles import Role
from pmo_saas.ui.components import card, error_callout, info_callout, page_heading
from pmo_saas.ui.dialogs import confirm_button
from pmo_saas.ui.section_nav import dashboard_nav

R = TypeVar("R")


def reveal_once(element_id: str, secret: str) -> EventSpec:
    """Show a new secret once without a state var: it travels in this event only.

    Vars are persisted by the state store (disk, Redis); an event's script is sent to the
    browser and kept nowhere. The script writes the value into the element (which the
    state's flag mounts) once React has rendered it.
    """
    return rx.call_script(
        "(() => { let n = 0; const put = () => {"
        f"const el = document.getElementById({json.dumps(element_id)});"
        f"if (el) {{ el.textContent = {json.dumps(secret)}; }}"
        "else if (n++ < 250) { setTimeout(put, 20); } }; put(); })()"
    )


class ShownOncePage(WorkspacePage, mixin=True):
    """Admins only: `created_name` names the credential just made (its secret is not kept)."""

    created_name: str = ""

    async def _open(self) -> None:
        """The on_load: nothing just made, the rows read (admins only)."""
        self.created_name = ""
        await self._load(Role.ADMIN)

    async def _create_shown_once(
        self,
        fn: Callable[..., R],
        /,
        *,
        notice: str,
        element_id: str,
        shown: Callable[[R], tuple[str, str]],
        **kwargs: Any,
    ) -> EventSpec | None:
        """Make one with `fn(**kwargs)`; `shown(result)` gives (its name, the secret to show)."""
        self.created_name = ""
        created = await self._act(fn, notice=notice, minimum=Role.ADMIN, **kwargs)
        if created is None:
            return None
        self.created_name, secret = shown(created)
        return reveal_once(element_id, secret)

    async def _revoke(self, fn: Callable[..., Any], /, *, notice: str, **kwargs: Any) -> None:
        self.created_name = ""
        await self._act(fn, notice=notice, minimum=Role.ADMIN, **kwargs)


def revoke_button(aria_label: Any, on_click: Any) -> rx.Component:
    """Revoke, after a confirmation (`aria_label` names what: "Revoke key Reporting")."""
    return confirm_button(
        "Revoke",
        name=aria_label,
        title=aria_label + "?",
        description="Anything using it stops working at once. This cannot be undone.",
        confirm_label="Revoke",
        on_confirm=on_click,
    )


def shown_once_page(
    state: type[ShownOncePage],
    *,
    title: str,
    subtitle: str,
    element_id: str,
    what: str,
    shown_card: tuple[rx.Component, ...] = (),
    fields: tuple[rx.Component, ...],
    submit_label: str,
    on_submit: Any,
    table: rx.Component,
) -> rx.Component:
    """Heading, the section's links, messages, the secret just made (once, in the element
    labelled "New <what>"), the form, the table of what exists."""
    return rx.vstack(
        page_heading(title, subtitle),
        dashboard_nav(),
        error_callout(state.error),
        info_callout(state.notice),
        rx.cond(
            state.created_name != "",
            card(
                rx.text(f"The new {what} (shown once):", weight="bold"),
                rx.code(id=element_id, aria_label=f"New {what}"),
                *shown_card,
                width="100%",
            ),
        ),
        card(
            rx.form(
                rx.hstack(
                    *fields,
                    rx.button(submit_label, type="submit"),
                    align="end",
                    width="100%",
                ),
                on_submit=on_submit,
                reset_on_submit=True,
                width="100%",
            ),
            width="100%",
        ),
        table,
        width="100%",
        align="start",
    )
