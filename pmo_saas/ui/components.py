"""Small shared components: labelled fields, messages, page headings. No state here."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import reflex as rx
from pydantic import BaseModel
from reflex.vars.base import VarData


class Choice(BaseModel):
    """One option of a select: the submitted value and what people read."""

    value: str
    label: str


def labelled(
    label: str,
    input_id: str,
    control: rx.Component,
    *extra: rx.Component,
    full_width: bool = False,
    **props: Any,
) -> rx.Component:
    """A label tied to its control by id (people and tests find the control by its label)."""
    width = {"width": "100%"} if full_width else {}
    return rx.vstack(
        rx.el.label(label, html_for=input_id, class_name="pmo-label"),
        control,
        *extra,
        spacing="1",
        align="start",
        **width,
        **props,
    )


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
    control = rx.input(
        id=input_id,
        name=name,
        type=type,
        placeholder=placeholder,
        required=required,
        width="100%",
        **props,
    )
    hint_text = rx.cond(hint != "", rx.text(hint, size="1", color_scheme="gray"))
    return labelled(label, input_id, control, hint_text, full_width=True)


def select_field(
    label: str, name: str, options: list[str] | rx.Var, *, default: str = ""
) -> rx.Component:
    input_id = f"field-{name}"
    control = rx.el.select(
        rx.foreach(options, lambda o: rx.el.option(o, value=o)),
        id=input_id,
        name=name,
        default_value=default,
        class_name="pmo-select",
    )
    return labelled(label, input_id, control)


def labelled_select(
    label: str,
    name: str,
    options: list[tuple[str, str]] | rx.Var,
    *,
    default: str | rx.Var = "",
    empty: str = "",
    input_id: str = "",
    **props: Any,
) -> rx.Component:
    """A select of (value, label) pairs, or of `Choice`s when a Var; `empty` adds a blank first."""
    input_id = input_id or f"field-{name}"
    if isinstance(options, list):
        opts = [rx.el.option(text, value=value) for value, text in options]
    else:
        opts = [rx.foreach(options, lambda o: rx.el.option(o.label, value=o.value))]
    blank = [rx.el.option(empty, value="")] if empty else []
    control = rx.el.select(
        *blank,
        *opts,
        id=input_id,
        name=name,
        default_value=default,
        class_name="pmo-select",
        **props,
    )
    return labelled(label, input_id, control)


def text_area(label: str, name: str, *, rows: str = "4", **props: Any) -> rx.Component:
    input_id = f"field-{name}"
    control = rx.text_area(id=input_id, name=name, rows=rows, width="100%", **props)
    return labelled(label, input_id, control, full_width=True)


def region(name: str | rx.Var, *children: rx.Component) -> rx.Component:
    """A named section (people and tests find a table by the region's name)."""
    return rx.el.section(*children, aria_label=name, style={"width": "100%"})


def header_row(*names: str | rx.Var) -> rx.Component:
    return rx.table.header(rx.table.row(*[rx.table.column_header_cell(n) for n in names]))


def plain_table(
    headers: Sequence[str | rx.Var],
    items: rx.Var,
    row: Callable[[Any], rx.Component],
    *,
    full_width: bool = True,
    **props: Any,
) -> rx.Component:
    """A table, one `row(item)` per item, for a region that holds more than the table (a
    heading, an empty-state line): otherwise use `data_table`. `props` go to the table."""
    width = {"width": "100%"} if full_width else {}
    return rx.table.root(
        header_row(*headers), rx.table.body(rx.foreach(items, row)), **width, **props
    )


def data_table(
    name: str | rx.Var,
    headers: Sequence[str | rx.Var],
    items: rx.vars.ArrayVar,
    row: Callable[[Any], rx.Component],
    *,
    empty: str = "",
    full_width: bool = True,
    **props: Any,
) -> rx.Component:
    """A table in a region called `name`, one `row(item)` per item; when `empty` is given it is
    said below the (then empty) table. `props` go to the table (size="1", say)."""
    table = region(name, plain_table(headers, items, row, full_width=full_width, **props))
    if not empty:
        return table
    return rx.fragment(table, rx.cond(items.length() == 0, rx.text(empty, color_scheme="gray")))


def toast_when_set(message: rx.Var[str], level: str) -> rx.Var:
    """Renders nothing; pops an rx.toast (sonner, the app's toaster) of `level` ("success",
    "error") each time `message` changes to a non-empty text that stays 300 ms (a message
    replaced at once, like a load refused mid sign-in and then answered, pops nothing)."""
    text = str(message)
    effect = (
        f"useEffect(() => {{ if (!{text}) return; const shown = {text}; "
        f"const timer = setTimeout(() => refs['__toast']?.{level}(shown), 300); "
        f"return () => clearTimeout(timer); }}, [{text}]);"
    )
    imports = VarData(
        imports={"react": ["useEffect"], "$/utils/state": ["refs"]},
    )
    deps = VarData.merge(message._get_all_var_data(), imports)
    return rx.Var(_js_expr="null", _var_data=VarData(hooks={effect: deps}))


def error_callout(message: rx.Var[str]) -> rx.Component:
    """The message inline (role=alert) and as an error toast."""
    return rx.fragment(
        toast_when_set(message, "error"),
        rx.cond(
            message != "",
            rx.callout(
                message, icon="triangle_alert", color_scheme="red", role="alert", width="100%"
            ),
        ),
    )


def info_callout(message: rx.Var[str] | str) -> rx.Component:
    """A fixed hint (str), or a page's notice (Var): inline (role=status) and as a toast."""
    if isinstance(message, str):
        return rx.callout(message, icon="info", color_scheme="blue", width="100%")
    return rx.fragment(
        toast_when_set(message, "success"),
        rx.cond(
            message != "",
            rx.callout(message, icon="info", color_scheme="green", role="status", width="100%"),
        ),
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
