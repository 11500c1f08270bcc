"""Small shared components: labelled fields, messages, page headings. No state here."""

from __future__ import annotations

from typing import Any

import reflex as rx
from pydantic import BaseModel


class Choice(BaseModel):
    """One option of a select: the submitted value and what people read."""

    value: str
    label: str


def field(
    label: str,
    name: str,
    *,
    type: str = "text",
    placeholder: str = "",
    required: bool = True,
    hint: str = "",
    **props: Any,
) -> rx.Component:
    """A label tied to its input (so people and tests find it by its label)."""
    input_id = f"field-{name}"
    return rx.vstack(
        rx.el.label(label, html_for=input_id, class_name="pmo-label"),
        rx.input(
            id=input_id,
            name=name,
            type=type,
            placeholder=placeholder,
            required=required,
            width="100%",
            **props,
        ),
        rx.cond(hint != "", rx.text(hint, size="1", color_scheme="gray")),
        spacing="1",
        width="100%",
        align="start",
    )


def select_field(
    label: str, name: str, options: list[str] | rx.Var, *, default: str = ""
) -> rx.Component:
    input_id = f"field-{name}"
    return rx.vstack(
        rx.el.label(label, html_for=input_id, class_name="pmo-label"),
        rx.el.select(
            rx.foreach(options, lambda o: rx.el.option(o, value=o)),
            id=input_id,
            name=name,
            default_value=default,
            class_name="pmo-select",
        ),
        spacing="1",
        align="start",
    )


def error_callout(message: rx.Var[str]) -> rx.Component:
    return rx.cond(
        message != "",
        rx.callout(message, icon="triangle_alert", color_scheme="red", role="alert", width="100%"),
    )


def info_callout(message: rx.Var[str] | str) -> rx.Component:
    if isinstance(message, str):
        return rx.callout(message, icon="info", color_scheme="blue", width="100%")
    return rx.cond(
        message != "",
        rx.callout(message, icon="info", color_scheme="green", role="status", width="100%"),
    )


def page_heading(title: str, subtitle: str = "") -> rx.Component:
    return rx.vstack(
        rx.heading(title, size="7", as_="h1"),
        rx.text(subtitle, color_scheme="gray") if subtitle else rx.fragment(),
        spacing="1",
        align="start",
        margin_bottom="1em",
    )


def card(*children: rx.Component, **props: Any) -> rx.Component:
    return rx.card(rx.vstack(*children, spacing="3", align="start", width="100%"), **props)


def coming_soon(what: list[str]) -> rx.Component:
    return card(
        rx.text("This section is being built. It will hold:", weight="medium"),
        rx.unordered_list(*[rx.list_item(item) for item in what]),
        width="100%",
    )
