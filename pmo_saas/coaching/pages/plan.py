"""/o/<slug>/coaching/plans/<id>: goals (current vs target, measured change), actions, sessions.

The page in sections: plan_goals.py, plan_actions.py, plan_sessions.py; the state they all
draw is plan_state.PlanState.
"""

from __future__ import annotations

import reflex as rx

from pmo_saas.coaching.pages.common import (
    coaching_href,
    progress_bar,
    section_nav,
    warning_callout,
)
from pmo_saas.coaching.pages.plan_actions import (
    actions_table,
    add_action_form,
    edit_action_form,
)
from pmo_saas.coaching.pages.plan_goals import (
    add_goal_form,
    confirm_goal_box,
    edit_goal_form,
    goal_card,
)
from pmo_saas.coaching.pages.plan_sessions import log_session_form, sessions_log
from pmo_saas.coaching.pages.plan_state import PLAN_STATUS_CHOICES, PlanState
from pmo_saas.collaboration.pages.thread import comment_thread
from pmo_saas.identity.auth_state import AuthState
from pmo_saas.identity.shell import workspace
from pmo_saas.ui.components import error_callout, info_callout, page_heading
from pmo_saas.ui.dialogs import confirm_dialog, question_dialog
from pmo_saas.ui.dnd import reorder_hint

__all__ = ["PlanState", "coaching_plan_page"]


def _confirm_plan_box() -> rx.Component:
    return question_dialog(
        open=PlanState.confirm_plan_message != "",
        title="Confirm deleting the plan",
        question=PlanState.confirm_plan_message,
        confirm_label="Delete the plan and everything in it",
        on_confirm=PlanState.delete_plan(True),
        keep_label="Keep the plan",
        on_keep=PlanState.cancel_delete_plan,
    )


def _summary() -> rx.Component:
    return rx.vstack(
        rx.hstack(
            rx.text(PlanState.for_label, weight="medium"),
            rx.text("· Coach: ", PlanState.coach_name),
            rx.cond(
                PlanState.can_manage,
                rx.el.select(
                    *[rx.el.option(c.label, value=c.value) for c in PLAN_STATUS_CHOICES],
                    value=PlanState.plan_status,
                    on_change=PlanState.set_plan_status,
                    aria_label="Plan status",
                    class_name="pmo-select",
                ),
                rx.badge(PlanState.plan_status),
            ),
            align="center",
            spacing="3",
        ),
        rx.hstack(
            progress_bar(PlanState.progress, "Plan progress"),
            rx.text(
                PlanState.actions_done.to(str)
                + " of "
                + PlanState.actions_total.to(str)
                + " actions done",
                size="2",
            ),
            rx.cond(
                PlanState.overdue_actions > 0,
                rx.badge(
                    PlanState.overdue_actions.to(str) + " overdue",
                    color_scheme="red",
                    variant="solid",
                ),
            ),
            align="center",
            spacing="3",
        ),
        rx.cond(
            PlanState.source_round != "",
            rx.text("From the assessment round ", rx.text.strong(PlanState.source_round), size="2"),
        ),
        rx.cond(
            PlanState.measured_round != "",
            rx.text(
                "Measured in the next round ", rx.text.strong(PlanState.measured_round), size="2"
            ),
        ),
        spacing="2",
        align="start",
    )


def _plan_body() -> rx.Component:
    return rx.vstack(
        rx.link("← All plans", href=coaching_href()),
        page_heading("Coaching plan"),
        rx.heading(PlanState.title, size="6", as_="h2"),
        section_nav(),
        error_callout(PlanState.error),
        info_callout(PlanState.notice),
        warning_callout(PlanState.warning),
        rx.cond(PlanState.title != "", _summary()),
        confirm_goal_box(),
        _confirm_plan_box(),
        rx.cond(
            PlanState.can_manage,
            rx.hstack(
                add_action_form(),
                add_goal_form(),
                log_session_form(),
                edit_goal_form(),
                edit_action_form(),
                wrap="wrap",
                spacing="3",
            ),
        ),
        rx.heading("Goals", size="5", as_="h2"),
        reorder_hint(PlanState.can_manage & (PlanState.goals.length() > 1), "a goal"),
        rx.foreach(PlanState.goals, goal_card),
        rx.cond(
            PlanState.loose_actions.length() > 0,
            rx.vstack(
                rx.heading("Other actions", size="4", as_="h3"),
                actions_table(PlanState.loose_actions, "Other actions"),
                width="100%",
                align="start",
            ),
        ),
        sessions_log(),
        comment_thread("coaching_plan"),
        rx.cond(
            PlanState.can_manage,
            rx.cond(
                PlanState.actions_total > 0,  # the server asks, naming what goes with it
                rx.button(
                    "Delete this plan",
                    color_scheme="red",
                    variant="outline",
                    on_click=PlanState.delete_plan(False),
                ),
                confirm_dialog(
                    rx.button("Delete this plan", color_scheme="red", variant="outline"),
                    title="Delete this coaching plan?",
                    description="Its goals and session log are deleted. This cannot be undone.",
                    confirm_label="Delete plan",
                    on_confirm=PlanState.delete_plan(True),
                ),
            ),
        ),
        width="100%",
        align="start",
        spacing="4",
    )


@rx.page(
    route="/o/[slug]/coaching/plans/[plan_id]",
    title="Coaching plan",
    on_load=[AuthState.load_workspace, PlanState.load],
)
@workspace
def coaching_plan_page() -> rx.Component:
    return _plan_body()
