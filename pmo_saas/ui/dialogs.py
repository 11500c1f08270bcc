"""Dialogs: a form in a dialog opened by a clear button, and a confirmation before a
destructive action. Stateless: the page passes its open flag, its handlers and its messages."""

from __future__ import annotations

from typing import Any

import reflex as rx


def _dialog_error(error: rx.Var[str] | None) -> rx.Component:
    """The refusal inside the dialog (the page's callout is behind the overlay, hidden)."""
    if error is None:
        return rx.fragment()
    return rx.cond(
        error != "",
        rx.callout(error, icon="triangle_alert", color_scheme="red", role="alert", width="100%"),
    )


def open_button(label: str | rx.Var, **props: Any) -> rx.Component:
    """The button that opens a dialog (a trigger: it needs no handler of its own)."""
    return rx.dialog.trigger(rx.button(rx.icon("plus", size=16), label, **props))


def form_dialog(
    title: str | rx.Var,
    *children: rx.Component,
    open: rx.Var[bool],
    on_open_change: Any,
    trigger: rx.Component | None = None,
    description: str | rx.Var = "",
    error: rx.Var[str] | None = None,
    width: str = "40em",
) -> rx.Component:
    """A controlled dialog: `open` is the page's flag, `on_open_change(bool)` sets it (the
    page closes it after a successful submit, so a refusal keeps what was typed). `trigger`
    (an `open_button`) opens it; without one the page opens it from a handler (an edit)."""
    return rx.dialog.root(
        trigger if trigger is not None else rx.fragment(),
        rx.dialog.content(
            rx.vstack(
                rx.hstack(
                    rx.dialog.title(title, margin="0"),
                    rx.spacer(),
                    rx.dialog.close(
                        rx.icon_button(
                            rx.icon("x", size=16),
                            variant="ghost",
                            color_scheme="gray",
                            type="button",
                            aria_label="Close",
                        )
                    ),
                    width="100%",
                    align="center",
                ),
                rx.cond(
                    description != "",
                    rx.dialog.description(description, size="2", color_scheme="gray"),
                    rx.dialog.description("", display="none"),
                ),
                _dialog_error(error),
                *children,
                spacing="3",
                width="100%",
                align="start",
            ),
            max_width=f"min({width}, 96vw)",
            max_height="90vh",
            overflow_y="auto",
        ),
        open=open,
        on_open_change=on_open_change,
    )


def cancel_button(label: str = "Cancel") -> rx.Component:
    return rx.dialog.close(rx.button(label, variant="soft", color_scheme="gray", type="button"))


def confirm_dialog(
    trigger: rx.Component,
    *,
    title: str | rx.Var,
    description: str | rx.Var,
    confirm_label: str | rx.Var,
    on_confirm: Any,
    danger: bool = True,
) -> rx.Component:
    """`trigger` (a button) opens an alert dialog; only its confirm button runs `on_confirm`.
    Uncontrolled: Cancel, Escape and the confirm button all close it."""
    return rx.alert_dialog.root(
        rx.alert_dialog.trigger(trigger),
        rx.alert_dialog.content(
            rx.alert_dialog.title(title),
            rx.alert_dialog.description(description, size="2"),
            rx.hstack(
                rx.alert_dialog.cancel(
                    rx.button("Cancel", variant="soft", color_scheme="gray", type="button")
                ),
                rx.alert_dialog.action(
                    rx.button(
                        confirm_label,
                        color_scheme="red" if danger else "blue",
                        type="button",
                        on_click=on_confirm,
                    )
                ),
                spacing="3",
                justify="end",
                width="100%",
                margin_top="1em",
            ),
            max_width="min(30em, 96vw)",
        ),
    )


def busy_button(label: str | rx.Var, *, busy: rx.Var[bool], **props: Any) -> rx.Component:
    """A button showing a spinner and disabled while `busy` (work over ~300 ms); a
    `disabled` given as well still applies."""
    disabled = props.pop("disabled", None)
    return rx.button(
        label, loading=busy, disabled=busy if disabled is None else busy | disabled, **props
    )


def work_button(
    label: str | rx.Var, *, state: Any, work: str, run: Any, **props: Any
) -> rx.Component:
    """A `busy_button` for a `BusyWork` page state: a click marks `work` under way (the spin
    shows at once), then `run`s the handler, whose `_act` clears it."""
    return busy_button(
        label, busy=state.busy == work, on_click=[state.mark_busy(work), run], **props
    )


def progress_bar(
    label: str | rx.Var, value: rx.Var[int] | None, *, shown: rx.Var[bool]
) -> rx.Component:
    """A labelled progress bar while `shown`: `value` 0-100, or None for work whose share done
    is unknown (an indeterminate bar)."""
    bar = (
        rx.progress(value=value, max=100, width="100%", aria_label=label)
        if value is not None
        else rx.progress(width="100%", duration="2s", aria_label=label)
    )
    return rx.cond(
        shown,
        rx.vstack(rx.text(label, size="2"), bar, width="100%", spacing="1"),
    )


def question_dialog(
    *,
    open: rx.Var[bool],
    title: str | rx.Var,
    question: str | rx.Var,
    confirm_label: str | rx.Var,
    on_confirm: Any,
    keep_label: str | rx.Var,
    on_keep: Any,
) -> rx.Component:
    """A controlled alert dialog for a question the server asked (deleting a goal that has
    actions, say): open while `open`; Escape and `keep_label` run `on_keep`."""
    return rx.alert_dialog.root(
        rx.alert_dialog.content(
            rx.alert_dialog.title(title),
            rx.alert_dialog.description(question, size="2"),
            rx.hstack(
                rx.alert_dialog.cancel(
                    rx.button(keep_label, variant="soft", type="button", on_click=on_keep)
                ),
                rx.alert_dialog.action(
                    rx.button(confirm_label, color_scheme="red", type="button", on_click=on_confirm)
                ),
                spacing="3",
                justify="end",
                wrap="wrap",
                width="100%",
                margin_top="1em",
            ),
            on_escape_key_down=on_keep,
            max_width="min(32em, 96vw)",
        ),
        open=open,
    )


def confirm_button(
    label: str | rx.Var,
    *,
    name: str | rx.Var,
    title: str | rx.Var,
    description: str | rx.Var,
    confirm_label: str | rx.Var,
    on_confirm: Any,
    variant: str = "soft",
) -> rx.Component:
    """A small red button (named `name` for people and tests) that asks in a `confirm_dialog`."""
    return confirm_dialog(
        rx.button(label, size="1", variant=variant, color_scheme="red", aria_label=name),
        title=title,
        description=description,
        confirm_label=confirm_label,
        on_confirm=on_confirm,
    )


def dialog_actions(submit: str | rx.Var, *, busy: rx.Var[bool] | None = None) -> rx.Component:
    """A dialog form's Cancel and submit buttons, at its end (the submit spins while `busy`)."""
    button = (
        busy_button(submit, busy=busy, type="submit")
        if busy is not None
        else rx.button(submit, type="submit")
    )
    return rx.hstack(cancel_button(), button, justify="end", width="100%", margin_top="0.5em")
