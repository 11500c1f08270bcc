"""A searchable multi-select (initiatives, dependencies, members, teams): a search box over a
list of checkboxes, each submitted as `<prefix><value>` ("on" when ticked). Stateless: the
search filters in the browser (assets/pickers.js), no event per keystroke."""

from __future__ import annotations

from typing import Any

import reflex as rx

from pmo_saas.ui.components import Choice


def picked(form: dict[str, Any], prefix: str) -> list[int]:
    """The ids ticked in a picker whose checkboxes are named `<prefix><id>`."""
    return [
        int(key.removeprefix(prefix))
        for key, value in form.items()
        if key.startswith(prefix) and key.removeprefix(prefix).isdigit() and value
    ]


def multi_picker(
    label: str,
    prefix: str,
    options: rx.vars.ArrayVar,
    *,
    picker_id: str,
    selected: rx.vars.ArrayVar | None = None,
    empty: str = "Nothing to choose from yet.",
    hide: rx.Var[str] | None = None,
) -> rx.Component:
    """A fieldset named `label`: a "Search <label>" box and one checkbox per option, labelled
    by the option's label (found by role checkbox and name). `selected` ticks values first.
    `hide`: the value of one option, always among `options`, that is not offered (the item
    being edited), so that the list does not have to be computed again for each item."""

    def option(o: Choice) -> rx.Component:
        box = _option(o)
        return box if hide is None else rx.cond(o.value == hide, rx.fragment(), box)

    def _option(o: Choice) -> rx.Component:
        box_id = picker_id + "-" + o.value
        checked = selected.contains(o.value) if selected is not None else False
        return rx.el.label(
            rx.el.input(
                type="checkbox",
                id=box_id,
                name=prefix + o.value,
                default_checked=checked,
            ),
            rx.text(o.label, as_="span", size="2"),
            html_for=box_id,
            class_name="pmo-picker-option",
            custom_attrs={"data-label": o.label.lower()},
        )

    return rx.el.fieldset(
        rx.el.legend(label, class_name="pmo-label"),
        rx.cond(
            options.length() > (0 if hide is None else 1),
            rx.vstack(
                rx.el.input(
                    type="search",
                    placeholder="Type to filter",
                    aria_label=f"Search {label}",
                    class_name="pmo-picker-search",
                ),
                rx.box(rx.foreach(options, option), class_name="pmo-picker-options"),
                spacing="1",
                width="100%",
            ),
            rx.text(empty, size="2", color_scheme="gray"),
        ),
        custom_attrs={"data-picker": picker_id},
        style={"border": "none", "padding": "0", "margin": "0", "width": "100%", "minWidth": "0"},
    )
