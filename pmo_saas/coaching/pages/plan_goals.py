"""The plan page's goals: one card per goal (current vs target, measured change, its
actions), adding and editing a goal, and confirming a deletion that takes actions with it.
"""

from __future__ import annotations

import reflex as rx

from pmo_saas.coaching.pages.common import (
    choice_select,
    overdue_badge,
)
from pmo_saas.coaching.pages.plan_actions import actions_table, form_grid
from pmo_saas.coaching.pages.plan_state import (
    GoalView,
    PlanState,
)
from pmo_saas.identity.auth_state import AuthState
from pmo_saas.practices.schemas import HelpingPractice
from pmo_saas.ui.components import card, field
from pmo_saas.ui.dialogs import (
    confirm_button,
    dialog_actions,
    form_dialog,
    open_button,
    question_dialog,
)
from pmo_saas.ui.dnd import reorder_buttons, reorder_item


def goal_card(g: GoalView) -> rx.Component:
    """A goal, in the plan's order of priority: a coach drags it onto another goal, or moves
    it with the Up/Down arrow keys or its Up and Down buttons."""
    return reorder_item(
        card(
            rx.hstack(
                rx.badge("Priority " + g.place.to_string(), variant="outline"),
                rx.heading(g.title, size="4", as_="h3"),
                overdue_badge(g.overdue),
                rx.cond(g.reached, rx.badge("Target reached", color_scheme="green")),
                rx.spacer(),
                rx.cond(
                    PlanState.can_manage,
                    rx.hstack(
                        rx.cond(
                            PlanState.goals.length() > 1,
                            reorder_buttons(
                                "goal " + g.title,
                                lambda step: PlanState.move_goal(g.id, step),
                                first=g.place == 1,
                                last=g.place == PlanState.goals.length(),
                            ),
                        ),
                        rx.button(
                            "Edit goal",
                            size="1",
                            variant="ghost",
                            aria_label="Edit goal " + g.title,
                            on_click=PlanState.start_goal_edit(g.id),
                        ),
                        rx.cond(
                            g.actions.length() > 0,  # the server asks, naming its actions
                            rx.button(
                                "Delete goal",
                                size="1",
                                variant="ghost",
                                color_scheme="red",
                                aria_label="Delete goal " + g.title,
                                on_click=PlanState.delete_goal(g.id),
                            ),
                            confirm_button(
                                "Delete goal",
                                name="Delete goal " + g.title,
                                variant="ghost",
                                title="Delete the goal " + g.title + "?",
                                description="It has no actions. This cannot be undone.",
                                confirm_label="Delete goal",
                                on_confirm=PlanState.delete_goal(g.id),
                            ),
                        ),
                    ),
                ),
                width="100%",
                align="center",
            ),
            rx.el.dl(
                rx.vstack(
                    rx.el.dt("Dimension"),
                    rx.el.dd(rx.cond(g.dimension != "", g.dimension, "—")),
                    spacing="0",
                ),
                rx.vstack(rx.el.dt("Current"), rx.el.dd(g.current), spacing="0"),
                rx.vstack(rx.el.dt("Target"), rx.el.dd(g.target), spacing="0"),
                rx.vstack(rx.el.dt("Due"), rx.el.dd(rx.cond(g.due != "", g.due, "—")), spacing="0"),
                rx.vstack(
                    rx.el.dt("Measured"),
                    rx.el.dd(rx.cond(g.measured != "", g.measured, "—")),
                    spacing="0",
                ),
                rx.vstack(
                    rx.el.dt("Change"),
                    rx.el.dd(
                        rx.cond(
                            g.change != "",
                            rx.badge(g.change, color_scheme=g.change_tone),
                            "—",
                        )
                    ),
                    spacing="0",
                ),
                style={"display": "flex", "flexWrap": "wrap", "gap": "var(--space-6)", "margin": 0},
            ),
            goal_practices(g),
            rx.cond(
                g.actions.length() > 0,
                actions_table(g.actions, "Actions for " + g.title),
                rx.text("No actions yet.", size="2", color_scheme="gray"),
            ),
            width="100%",
        ),
        item_id=g.id,
        place=g.place,
        label="Goal " + g.title,
        enabled=PlanState.can_manage,
        on_drag_start=PlanState.start_goal_drag(g.id),
        on_drop=PlanState.drop_goal_on(g.id),
        on_key_down=lambda key: PlanState.goal_key(g.id, key),
    )


def goal_practices(g: GoalView) -> rx.Component:
    """ "To raise <dimension>, try these": the playbook's practices for the goal's dimension,
    each with the team's adoption state."""
    found = PlanState.goal_practices.get(g.id.to(str), [])

    def item(p: HelpingPractice) -> rx.Component:
        return rx.el.li(
            rx.link(p.title, href="/o/" + AuthState.org_slug + "/practices/"
                    + p.practice_id.to(str)),
            rx.cond(p.status_label != "", rx.text(" · " + p.status_label, as_="span",
                                                  size="1", color_scheme="gray")),
        )  # fmt: skip

    return rx.cond(
        found.length() > 0,
        rx.el.nav(
            rx.text("To raise " + g.dimension + ", try these:", size="2", weight="medium"),
            rx.el.ul(rx.foreach(found, item), style={"margin": 0}),
            aria_label="Practices for " + g.title,
        ),
    )


def confirm_goal_box() -> rx.Component:
    return question_dialog(
        open=PlanState.confirm_goal_id != 0,
        title="Confirm deleting the goal",
        question=PlanState.confirm_message,
        confirm_label="Delete goal and its actions",
        on_confirm=PlanState.confirm_delete_goal,
        keep_label="Keep the goal",
        on_keep=PlanState.cancel_delete_goal,
    )


def edit_goal_form() -> rx.Component:
    return form_dialog(
        "Edit the goal",
        rx.form(
            form_grid(
                field("Goal title", "goal_edit_title", default_value=PlanState.goal_edit_title),
                field(
                    "Goal target level",
                    "goal_edit_target",
                    type="number",
                    step="0.5",
                    required=False,
                    default_value=PlanState.goal_edit_target,
                ),
                field(
                    "Goal due by",
                    "goal_edit_due",
                    type="date",
                    required=False,
                    default_value=PlanState.goal_edit_due,
                ),
            ),
            dialog_actions("Save goal"),
            on_submit=PlanState.save_goal,
            key=PlanState.goal_edit_id.to(str),
            width="100%",
        ),
        open=PlanState.dialog == "edit_goal",
        on_open_change=lambda o: PlanState.set_dialog("edit_goal", o),
        error=PlanState.error,
    )


def add_goal_form() -> rx.Component:
    return form_dialog(
        "Add a goal",
        rx.form(
            form_grid(
                field("Goal", "goal_title"),
                choice_select(
                    "Assessment dimension", "goal_dimension", PlanState.dimensions, empty="None"
                ),
                field("Target level", "goal_target", type="number", required=False, step="0.5"),
                field("Goal due date", "goal_due", type="date", required=False),
            ),
            dialog_actions("Add goal"),
            on_submit=PlanState.add_goal,
            width="100%",
        ),
        open=PlanState.dialog == "goal",
        on_open_change=lambda o: PlanState.set_dialog("goal", o),
        trigger=open_button("Add a goal", variant="soft"),
        error=PlanState.error,
    )
