"""The plan page's coaching sessions: the log, and logging one with its follow-up actions."""

from __future__ import annotations

import reflex as rx

from pmo_saas.coaching.pages.common import (
    Choice,
    choice_select,
    textarea_field,
)
from pmo_saas.coaching.pages.plan_actions import form_grid
from pmo_saas.coaching.pages.plan_state import (
    FOLLOW_UP_ROWS,
    PlanState,
    SessionView,
)
from pmo_saas.ui.components import data_table, field
from pmo_saas.ui.dialogs import dialog_actions, form_dialog, open_button


def attendee_box(c: Choice) -> rx.Component:
    return rx.el.label(
        rx.el.input(type="checkbox", name="attendee_" + c.value, value="on"),
        " ",
        c.label,
        class_name="pmo-label",
        style={"marginRight": "1em"},
    )


def follow_up_row(n: int) -> rx.Component:
    return form_grid(
        field(f"Follow-up action {n}", f"fu{n}_title", required=False),
        choice_select(f"Owner of follow-up {n}", f"fu{n}_owner", PlanState.people, empty="—"),
        field(f"Due date of follow-up {n}", f"fu{n}_due", type="date", required=False),
    )


def log_session_form() -> rx.Component:
    return form_dialog(
        "Log a coaching session",
        rx.form(
            rx.vstack(
                field("Session date", "held_on", type="date"),
                rx.el.fieldset(
                    rx.el.legend("Attendees", class_name="pmo-label"),
                    rx.flex(rx.foreach(PlanState.people, attendee_box), wrap="wrap"),
                ),
                textarea_field("Notes", "notes"),
                textarea_field("Decisions", "decisions"),
                *[follow_up_row(n) for n in FOLLOW_UP_ROWS],
                dialog_actions("Log session"),
                align="start",
                width="100%",
            ),
            on_submit=PlanState.log_session,
            width="100%",
        ),
        open=PlanState.dialog == "session",
        on_open_change=lambda o: PlanState.set_dialog("session", o),
        trigger=open_button("Log a coaching session", variant="outline"),
        error=PlanState.error,
        width="48em",
    )


def session_row(s: SessionView) -> rx.Component:
    return rx.table.row(
        rx.table.cell(s.held_on),
        rx.table.cell(s.attendees),
        rx.table.cell(rx.text(s.notes, white_space="pre-wrap")),
        rx.table.cell(rx.text(s.decisions, white_space="pre-wrap")),
        rx.table.cell(s.follow_ups),
    )


def sessions_log() -> rx.Component:
    return rx.vstack(
        rx.heading("Sessions log", size="5", as_="h2"),
        data_table(
            "Sessions log",
            ["Date", "Attendees", "Notes", "Decisions", "Follow-up actions"],
            PlanState.sessions,
            session_row,
        ),
        width="100%",
        align="start",
    )
