"""The plan page's actions: the table (status, kind, funding), adding and editing one."""

from __future__ import annotations

import reflex as rx

from pmo_saas.coaching.pages.common import (
    choice_select,
    overdue_badge,
    status_badge,
)
from pmo_saas.coaching.pages.plan_state import (
    SCOPE_CHOICES,
    STATUS_CHOICES,
    PlanState,
)
from pmo_saas.coaching.schemas import ActionRow
from pmo_saas.ui.components import data_table, field
from pmo_saas.ui.dialogs import (
    confirm_button,
    dialog_actions,
    form_dialog,
    open_button,
)


def form_grid(*children: rx.Component) -> rx.Component:
    return rx.grid(
        *children,
        columns="repeat(auto-fill, minmax(min(200px, 100%), 1fr))",  # one column when narrow
        gap="3",
        align_items="end",
        width="100%",
    )


def status_control(a: ActionRow) -> rx.Component:
    return rx.cond(
        PlanState.can_manage | (a.owner_user_id == PlanState.me),
        rx.el.select(
            *[rx.el.option(c.label, value=c.value) for c in STATUS_CHOICES],
            value=a.status,
            on_change=lambda value: PlanState.set_status(a.id, value),
            aria_label="Status of " + a.title,
            class_name="pmo-select",
        ),
        status_badge(a.status),
    )


def action_row(a: ActionRow) -> rx.Component:
    return rx.table.row(
        rx.table.cell(a.title),
        rx.table.cell(a.owner_name),
        rx.table.cell(
            rx.hstack(
                rx.text(rx.cond(a.due_date, a.due_date, "—")),
                overdue_badge(a.overdue),
                spacing="2",
                align="center",
            )
        ),
        rx.table.cell(status_control(a)),
        rx.table.cell(
            rx.vstack(
                rx.text(rx.cond(a.scope == "organisation", "Organisational", "Team"), size="2"),
                rx.cond(
                    a.funding_label != "",
                    rx.badge(a.funding_label, color_scheme="purple"),
                ),
                spacing="1",
            )
        ),
        rx.table.cell(
            rx.cond(
                PlanState.can_manage,
                rx.hstack(
                    rx.button(
                        "Edit",
                        size="1",
                        variant="soft",
                        aria_label="Edit " + a.title,
                        on_click=PlanState.start_edit(a.id),
                    ),
                    confirm_button(
                        "Delete",
                        name="Delete action " + a.title,
                        title="Delete the action " + a.title + "?",
                        description="The action leaves the plan; the audit trail keeps a line.",
                        confirm_label="Delete action",
                        on_confirm=PlanState.delete_action(a.id),
                    ),
                ),
            )
        ),
        background=rx.cond(a.overdue, "var(--red-a2)", "transparent"),
    )


def actions_table(actions: rx.Var, name: rx.Var | str) -> rx.Component:
    return data_table(
        name,
        ["Action", "Owner", "Due", "Status", "Kind", ""],
        actions,
        action_row,
        size="1",
    )


def add_action_form() -> rx.Component:
    return form_dialog(
        "Add an action",
        rx.form(
            form_grid(
                field("Action", "action_title"),
                choice_select("Owner", "action_owner", PlanState.people, empty="Choose an owner"),
                field("Due date", "action_due", type="date", required=False),
                choice_select("For goal", "action_goal", PlanState.goal_choices, empty="No goal"),
                choice_select("Kind", "action_scope", SCOPE_CHOICES, default="team"),
            ),
            dialog_actions("Add action"),
            on_submit=PlanState.add_action,
            reset_on_submit=False,
            width="100%",
        ),
        open=PlanState.dialog == "action",
        on_open_change=lambda o: PlanState.set_dialog("action", o),
        trigger=open_button("Add an action"),
        error=PlanState.error,
    )


def edit_action_form() -> rx.Component:
    return form_dialog(
        "Edit the action",
        rx.form(
            form_grid(
                field("Action title", "edit_title", default_value=PlanState.edit_title),
                choice_select(
                    "Action owner",
                    "edit_owner",
                    PlanState.people,
                    empty="Choose an owner",
                    default=PlanState.edit_owner,
                ),
                field(
                    "Action due date",
                    "edit_due",
                    type="date",
                    required=False,
                    default_value=PlanState.edit_due,
                ),
                choice_select(
                    "Action goal",
                    "edit_goal",
                    PlanState.goal_choices,
                    empty="No goal",
                    default=PlanState.edit_goal,
                ),
                choice_select(
                    "Action kind", "edit_scope", SCOPE_CHOICES, default=PlanState.edit_scope
                ),
            ),
            dialog_actions("Save action"),
            on_submit=PlanState.save_action,
            key=PlanState.edit_id.to(str),
            width="100%",
        ),
        open=PlanState.dialog == "edit_action",
        on_open_change=lambda o: PlanState.set_dialog("edit_action", o),
        error=PlanState.error,
    )
