"""Pieces the practices pages share: safe markdown, the dimension checkboxes, labels."""

from __future__ import annotations

from typing import Any

import reflex as rx

from pmo_saas.identity.auth_state import AuthState
from pmo_saas.practices.models import ADOPTION_LABELS, FRAMEWORKS
from pmo_saas.practices.schemas import DimensionChoice

ADOPTION_CHOICES = list(ADOPTION_LABELS.items())
FRAMEWORK_CHOICES = list(FRAMEWORKS.items())
DIMENSION_PREFIX = "dim_"


def safe_markdown(text: rx.Var[str] | str) -> rx.Component:
    """Markdown without raw HTML: a <script> or <img onerror> in a how-to shows as text
    (react-markdown escapes HTML unless the rehype-raw plugin is on; it is off here), and
    react-markdown's URL filter drops javascript: links."""
    return rx.markdown(text, use_raw=False, use_math=False, use_katex=False)


def practices_href(suffix: str | rx.Var = "") -> rx.Var:
    return "/o/" + AuthState.org_slug + "/practices" + suffix


def dimension_keys(form: dict[str, Any]) -> list[str]:
    """The keys of the ticked dimension checkboxes."""
    return [
        key[len(DIMENSION_PREFIX) :]
        for key, value in form.items()
        if key.startswith(DIMENSION_PREFIX) and value
    ]


def dimension_boxes(
    choices: rx.Var[list[DimensionChoice]], checked: rx.Var[list[str]] | None = None
) -> rx.Component:
    def box(d: DimensionChoice) -> rx.Component:
        return rx.el.label(
            rx.el.input(
                type="checkbox",
                name=DIMENSION_PREFIX + d.key,
                default_checked=checked.contains(d.key) if checked is not None else False,
            ),
            rx.text(d.name, as_="span", size="2"),
            style={"display": "flex", "gap": "0.4em", "alignItems": "center"},
        )

    return rx.el.fieldset(
        rx.el.legend("Assessment dimensions it helps", class_name="pmo-label"),
        rx.flex(rx.foreach(choices, box), wrap="wrap", gap="3"),
        style={"border": "none", "padding": 0},
    )


def adoption_badge(status: rx.Var[str], label: rx.Var[str]) -> rx.Component:
    return rx.badge(
        label,
        color_scheme=rx.match(
            status, ("adopted", "green"), ("adapted", "teal"), ("trying", "amber"), "gray"
        ),
    )
