"""/o/<slug>/coaching/plans/<id>: goals (current vs target, measured change), actions, sessions.

Coaches and admins change everything here; a member changes the status of the actions they
own; a viewer reads. The server decides each time (the services check the role).
"""

from __future__ import annotations

import reflex as rx
from pydantic import BaseModel

from pmo_saas.coaching.pages.common import (
    PLAN_STATUS_LABELS,
    SCOPE_LABELS,
    STATUS_LABELS,
    Choice,
    choice_select,
    coaching_href,
    id_after,
    optional_int,
    overdue_badge,
    progress_bar,
    section_nav,
    status_badge,
    textarea_field,
    warning_callout,
)
from pmo_saas.coaching.schemas import ActionInput, ActionRow, GoalRow, PlanDetail
from pmo_saas.coaching.services.actions import (
    add_action,
    delete_action,
    set_action_status,
    update_action,
)
from pmo_saas.coaching.services.goals import (
    ConfirmationRequired,
    add_goal,
    delete_goal,
    update_goal,
)
from pmo_saas.coaching.services.plans import delete_plan, get_plan, update_plan
from pmo_saas.coaching.services.sessions import log_session
from pmo_saas.db import in_tenant
from pmo_saas.identity import services as identity
from pmo_saas.identity.auth_state import AuthState, tenant_context
from pmo_saas.kernel.errors import DomainError
from pmo_saas.ui.components import card, error_callout, field, info_callout, page_heading
from pmo_saas.ui.layout import workspace

STATUS_CHOICES = [Choice(value=k, label=v) for k, v in STATUS_LABELS.items()]
SCOPE_CHOICES = [Choice(value=k, label=v) for k, v in SCOPE_LABELS.items()]
PLAN_STATUS_CHOICES = [Choice(value=k, label=v) for k, v in PLAN_STATUS_LABELS.items()]
FOLLOW_UP_ROWS = (1, 2)


def number(value: float | None) -> str:
    if value is None:
        return "—"
    return f"{value:.2f}".rstrip("0").rstrip(".")


def signed(value: float) -> str:
    return ("+" if value > 0 else "") + number(value)


class GoalView(BaseModel):
    """A goal as the page shows it: numbers already formatted on the server."""

    id: int
    title: str
    dimension: str
    current: str
    target: str
    due: str
    overdue: bool
    measured: str
    change: str
    change_tone: str  # green / red / gray
    reached: bool
    actions: list[ActionRow]


class SessionView(BaseModel):
    id: int
    held_on: str
    attendees: str
    notes: str
    decisions: str
    follow_ups: str


def _goal_view(goal: GoalRow, plan: PlanDetail) -> GoalView:
    measured, change, tone = "", "", "gray"
    if not plan.measurement_visible:
        measured = "Shown to coaches"
    elif goal.measured_score is not None:
        measured = f"{number(goal.measured_score)} in {plan.measured_round_title}"
        if goal.measured_change is not None:
            change = signed(goal.measured_change)
            tone = (
                "green"
                if goal.measured_change > 0
                else "red"
                if goal.measured_change < 0
                else "gray"
            )
    elif goal.dimension_key:
        measured = "After the team's next round"
    return GoalView(
        id=goal.id,
        title=goal.title,
        dimension=goal.dimension_name,
        current=number(goal.baseline_score),
        target=number(goal.target_level),
        due=goal.due_date or "",
        overdue=goal.overdue,
        measured=measured,
        change=change,
        change_tone=tone,
        reached=bool(goal.target_reached),
        actions=goal.actions,
    )


def _session_view(row, action_titles: dict[int, str]) -> SessionView:  # type: ignore[no-untyped-def]
    return SessionView(
        id=row.id,
        held_on=row.held_on,
        attendees=", ".join(row.attendee_names),
        notes=row.notes,
        decisions=row.decisions,
        follow_ups="; ".join(action_titles.get(a, "") for a in row.follow_up_action_ids),
    )


class PlanState(rx.State):
    title: str = ""
    for_label: str = ""
    coach_name: str = ""
    coach_id: str = ""
    plan_status: str = ""
    progress: int = 0
    actions_done: int = 0
    actions_total: int = 0
    overdue_actions: int = 0
    source_round: str = ""
    measured_round: str = ""
    can_manage: bool = False
    me: int = 0
    goals: list[GoalView] = []
    loose_actions: list[ActionRow] = []
    sessions: list[SessionView] = []
    people: list[Choice] = []
    goal_choices: list[Choice] = []
    # Editing one action (0 = none).
    edit_id: int = 0
    edit_title: str = ""
    edit_owner: str = ""
    edit_due: str = ""
    edit_goal: str = ""
    edit_scope: str = "team"
    # A goal deletion waiting for the user's confirmation (0 = none).
    confirm_goal_id: int = 0
    confirm_message: str = ""
    # A plan deletion waiting for the user's confirmation.
    confirm_plan_message: str = ""
    # Editing one goal (0 = none).
    goal_edit_id: int = 0
    goal_edit_title: str = ""
    goal_edit_target: str = ""
    goal_edit_due: str = ""
    error: str = ""
    notice: str = ""
    warning: str = ""

    def _plan_id(self) -> int:
        return id_after(self.router.url.path, "plans")

    def _clear_messages(self) -> None:
        self.error = self.notice = self.warning = ""

    def _show(self, plan: PlanDetail) -> None:
        self.title = plan.title
        self.for_label = f"Team {plan.team_name}" if plan.team_name else plan.person_name
        self.coach_name = plan.coach_name or "no coach"
        self.coach_id = str(plan.coach_user_id or "")
        self.plan_status = plan.status
        self.progress = plan.progress_percent
        self.actions_done, self.actions_total = plan.actions_done, plan.actions_total
        self.overdue_actions = plan.overdue_actions
        self.source_round = plan.source_round_title
        self.measured_round = plan.measured_round_title
        self.can_manage = plan.can_manage
        self.goals = [_goal_view(g, plan) for g in plan.goals]
        self.loose_actions = plan.loose_actions
        titles = {a.id: a.title for g in plan.goals for a in g.actions}
        titles.update({a.id: a.title for a in plan.loose_actions})
        self.sessions = [_session_view(s, titles) for s in plan.sessions]
        self.goal_choices = [Choice(value=str(g.id), label=g.title) for g in plan.goals]

    async def _refresh(self) -> None:
        ctx = await tenant_context(self)
        self.me = ctx.user_id or 0
        plan = await in_tenant(ctx, get_plan, plan_id=self._plan_id())
        self._show(plan)
        if plan.can_manage:
            members = await in_tenant(ctx, identity.list_members)
            self.people = [Choice(value=str(m.user_id), label=m.name) for m in members]
        else:
            self.people = []

    def _all_actions(self) -> list[ActionRow]:
        return [a for g in self.goals for a in g.actions] + list(self.loose_actions)

    @rx.event
    async def load(self) -> None:
        self._clear_messages()
        self.edit_id = self.confirm_goal_id = self.goal_edit_id = 0
        self.confirm_message = self.confirm_plan_message = ""
        try:
            await self._refresh()
        except DomainError as error:
            self.title, self.goals, self.loose_actions, self.sessions = "", [], [], []
            self.can_manage = False
            self.error = str(error)

    async def _call(self, fn, notice: str = "", **kwargs):  # type: ignore[no-untyped-def]
        """Run one service as the caller, show its warnings or error, then reload the plan."""
        self._clear_messages()
        try:
            ctx = await tenant_context(self)
            result = await in_tenant(ctx, fn, **kwargs)
        except (DomainError, ValueError) as error:
            self.error = str(error)
            return None
        self.notice = notice
        self.warning = " ".join(getattr(result, "warnings", None) or [])
        try:
            await self._refresh()
        except DomainError as error:
            self.error = str(error)
        return result

    @rx.event
    async def add_action(self, form: dict) -> None:
        try:
            owner = optional_int(form.get("action_owner"))
            goal = optional_int(form.get("action_goal"))
        except ValueError:
            self.error = "Choose the owner from the list."
            return
        title = str(form.get("action_title", ""))
        await self._call(
            add_action,
            notice=f"Action “{title.strip()}” added.",
            plan_id=self._plan_id(),
            title=title,
            owner_user_id=owner,
            due_date=str(form.get("action_due", "")) or None,
            goal_id=goal,
            scope=str(form.get("action_scope", "team")),
        )

    @rx.event
    async def add_goal(self, form: dict) -> None:
        raw_target = str(form.get("goal_target", "")).strip()
        try:
            target = float(raw_target) if raw_target else None
        except ValueError:
            self.error = "Enter the target maturity level as a number, e.g. 3."
            return
        await self._call(
            add_goal,
            notice="Goal added.",
            plan_id=self._plan_id(),
            title=str(form.get("goal_title", "")),
            target_level=target,
            due_date=str(form.get("goal_due", "")) or None,
        )

    @rx.event
    async def set_status(self, action_id: int, status: str) -> None:
        await self._call(
            set_action_status,
            notice="Status saved.",
            action_id=int(action_id),
            status=status,
        )

    @rx.event
    async def set_plan_status(self, status: str) -> None:
        await self._call(
            update_plan,
            notice="Plan status saved.",
            plan_id=self._plan_id(),
            title=self.title,
            status=status,
            coach_user_id=optional_int(self.coach_id),
        )

    @rx.event
    def start_edit(self, action_id: int) -> None:
        self._clear_messages()
        action = next((a for a in self._all_actions() if a.id == int(action_id)), None)
        if action is None:
            return
        self.edit_id = action.id
        self.edit_title = action.title
        self.edit_owner = str(action.owner_user_id or "")
        self.edit_due = action.due_date or ""
        self.edit_goal = str(action.goal_id or "")
        self.edit_scope = action.scope

    @rx.event
    def cancel_edit(self) -> None:
        self.edit_id = 0

    @rx.event
    async def save_action(self, form: dict) -> None:
        try:
            owner = optional_int(form.get("edit_owner"))
            goal = optional_int(form.get("edit_goal"))
        except ValueError:
            self.error = "Choose the owner from the list."
            return
        saved = await self._call(
            update_action,
            notice="Action saved.",
            action_id=self.edit_id,
            title=str(form.get("edit_title", "")),
            owner_user_id=owner,
            due_date=str(form.get("edit_due", "")) or None,
            goal_id=goal,
            scope=str(form.get("edit_scope", "team")),
        )
        if saved is not None:
            self.edit_id = 0

    @rx.event
    async def delete_action(self, action_id: int) -> None:
        await self._call(delete_action, notice="Action deleted.", action_id=int(action_id))

    @rx.event
    async def delete_goal(self, goal_id: int) -> None:
        """Ask first when the goal has actions (the service says so), else delete at once."""
        self._clear_messages()
        self.confirm_goal_id, self.confirm_message = 0, ""
        try:
            ctx = await tenant_context(self)
            await in_tenant(ctx, delete_goal, goal_id=int(goal_id))
        except ConfirmationRequired as question:
            self.confirm_goal_id, self.confirm_message = int(goal_id), str(question)
            return
        except (DomainError, ValueError) as error:
            self.error = str(error)
            return
        self.notice = "Goal deleted."
        await self._refresh()

    @rx.event
    async def confirm_delete_goal(self) -> None:
        goal_id = self.confirm_goal_id
        self.confirm_goal_id, self.confirm_message = 0, ""
        if goal_id:
            await self._call(
                delete_goal,
                notice="Goal and its actions deleted.",
                goal_id=goal_id,
                confirm=True,
            )

    @rx.event
    def cancel_delete_goal(self) -> None:
        self.confirm_goal_id, self.confirm_message = 0, ""

    @rx.event
    def start_goal_edit(self, goal_id: int) -> None:
        self._clear_messages()
        goal = next((g for g in self.goals if g.id == int(goal_id)), None)
        if goal is None:
            return
        self.goal_edit_id, self.goal_edit_title = goal.id, goal.title
        self.goal_edit_target = "" if goal.target == "—" else goal.target
        self.goal_edit_due = goal.due

    @rx.event
    def cancel_goal_edit(self) -> None:
        self.goal_edit_id = 0

    @rx.event
    async def save_goal(self, form: dict) -> None:
        raw_target = str(form.get("goal_edit_target", "")).strip()
        try:
            target = float(raw_target) if raw_target else None
        except ValueError:
            self.error = "Enter the target maturity level as a number, e.g. 3."
            return
        saved = await self._call(
            update_goal,
            notice="Goal saved.",
            goal_id=self.goal_edit_id,
            title=str(form.get("goal_edit_title", "")),
            target_level=target,
            due_date=str(form.get("goal_edit_due", "")) or None,
        )
        if saved is not None:
            self.goal_edit_id = 0

    @rx.event
    async def delete_plan(self, confirm: bool = False):
        """Delete the whole plan; one with actions only after the user confirms."""
        self._clear_messages()
        self.confirm_plan_message = ""
        try:
            ctx = await tenant_context(self)
            await in_tenant(ctx, delete_plan, plan_id=self._plan_id(), confirm=bool(confirm))
        except ConfirmationRequired as question:
            self.confirm_plan_message = str(question)
            return None
        except DomainError as error:
            self.error = str(error)
            return None
        return rx.redirect(f"/o/{ctx.org_slug}/coaching")

    @rx.event
    def cancel_delete_plan(self) -> None:
        self.confirm_plan_message = ""

    @rx.event
    async def log_session(self, form: dict) -> None:
        try:
            attendees = [
                int(key.removeprefix("attendee_"))
                for key, value in form.items()
                if key.startswith("attendee_") and value
            ]
            follow_ups = []
            for n in FOLLOW_UP_ROWS:
                title = str(form.get(f"fu{n}_title", "")).strip()
                owner = optional_int(form.get(f"fu{n}_owner"))
                due = str(form.get(f"fu{n}_due", "")) or None
                if title or owner is not None or due:
                    follow_ups.append(ActionInput(title=title, owner_user_id=owner, due_date=due))
        except ValueError:
            self.error = "Choose attendees and owners from the lists."
            return
        await self._call(
            log_session,
            notice="Session logged.",
            plan_id=self._plan_id(),
            held_on=str(form.get("held_on", "")) or None,
            attendee_user_ids=attendees,
            notes=str(form.get("notes", "")),
            decisions=str(form.get("decisions", "")),
            follow_ups=follow_ups,
        )


# ---------------------------------------------------------------- components


def _form_grid(*children: rx.Component) -> rx.Component:
    return rx.grid(
        *children,
        columns="repeat(auto-fill, minmax(200px, 1fr))",
        gap="3",
        align_items="end",
        width="100%",
    )


def _status_control(a: ActionRow) -> rx.Component:
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


def _action_row(a: ActionRow) -> rx.Component:
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
        rx.table.cell(_status_control(a)),
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
                    rx.button(
                        "Delete",
                        size="1",
                        variant="soft",
                        color_scheme="red",
                        aria_label="Delete action " + a.title,
                        on_click=PlanState.delete_action(a.id),
                    ),
                ),
            )
        ),
        background=rx.cond(a.overdue, "var(--red-a2)", "transparent"),
    )


def _actions_table(actions: rx.Var, name: rx.Var | str) -> rx.Component:
    return rx.el.section(
        rx.table.root(
            rx.table.header(
                rx.table.row(
                    rx.table.column_header_cell("Action"),
                    rx.table.column_header_cell("Owner"),
                    rx.table.column_header_cell("Due"),
                    rx.table.column_header_cell("Status"),
                    rx.table.column_header_cell("Kind"),
                    rx.table.column_header_cell(""),
                )
            ),
            rx.table.body(rx.foreach(actions, _action_row)),
            width="100%",
            size="1",
        ),
        aria_label=name,
        style={"width": "100%"},
    )


def _goal_card(g: GoalView) -> rx.Component:
    return rx.el.article(
        card(
            rx.hstack(
                rx.heading(g.title, size="4", as_="h3"),
                overdue_badge(g.overdue),
                rx.cond(g.reached, rx.badge("Target reached", color_scheme="green")),
                rx.spacer(),
                rx.cond(
                    PlanState.can_manage,
                    rx.hstack(
                        rx.button(
                            "Edit goal",
                            size="1",
                            variant="ghost",
                            aria_label="Edit goal " + g.title,
                            on_click=PlanState.start_goal_edit(g.id),
                        ),
                        rx.button(
                            "Delete goal",
                            size="1",
                            variant="ghost",
                            color_scheme="red",
                            aria_label="Delete goal " + g.title,
                            on_click=PlanState.delete_goal(g.id),
                        ),
                    ),
                ),
                width="100%",
                align="center",
            ),
            rx.el.dl(
                rx.hstack(
                    rx.vstack(
                        rx.el.dt("Dimension"),
                        rx.el.dd(rx.cond(g.dimension != "", g.dimension, "—")),
                        spacing="0",
                    ),
                    rx.vstack(rx.el.dt("Current"), rx.el.dd(g.current), spacing="0"),
                    rx.vstack(rx.el.dt("Target"), rx.el.dd(g.target), spacing="0"),
                    rx.vstack(
                        rx.el.dt("Due"), rx.el.dd(rx.cond(g.due != "", g.due, "—")), spacing="0"
                    ),
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
                    spacing="6",
                    wrap="wrap",
                ),
            ),
            rx.cond(
                g.actions.length() > 0,
                _actions_table(g.actions, "Actions for " + g.title),
                rx.text("No actions yet.", size="2", color_scheme="gray"),
            ),
            width="100%",
        ),
        aria_label="Goal " + g.title,
        style={"width": "100%"},
    )


def _confirm_box() -> rx.Component:
    return rx.cond(
        PlanState.confirm_goal_id != 0,
        rx.box(
            rx.callout(PlanState.confirm_message, icon="triangle_alert", color_scheme="orange"),
            rx.hstack(
                rx.button(
                    "Delete goal and its actions",
                    color_scheme="red",
                    on_click=PlanState.confirm_delete_goal,
                ),
                rx.button("Keep the goal", variant="soft", on_click=PlanState.cancel_delete_goal),
                margin_top="0.5em",
            ),
            role="alertdialog",
            aria_label="Confirm deleting the goal",
            width="100%",
        ),
    )


def _confirm_plan_box() -> rx.Component:
    return rx.cond(
        PlanState.confirm_plan_message != "",
        rx.box(
            rx.callout(
                PlanState.confirm_plan_message, icon="triangle_alert", color_scheme="orange"
            ),
            rx.hstack(
                rx.button(
                    "Delete the plan and everything in it",
                    color_scheme="red",
                    on_click=PlanState.delete_plan(True),
                ),
                rx.button("Keep the plan", variant="soft", on_click=PlanState.cancel_delete_plan),
                margin_top="0.5em",
            ),
            role="alertdialog",
            aria_label="Confirm deleting the plan",
            width="100%",
        ),
    )


def _edit_goal_form() -> rx.Component:
    return rx.cond(
        PlanState.goal_edit_id != 0,
        card(
            rx.heading("Edit the goal", size="4", as_="h2"),
            rx.form(
                _form_grid(
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
                    rx.hstack(
                        rx.button("Save goal", type="submit"),
                        rx.button(
                            "Cancel",
                            type="button",
                            variant="soft",
                            on_click=PlanState.cancel_goal_edit,
                        ),
                    ),
                ),
                on_submit=PlanState.save_goal,
                key=PlanState.goal_edit_id.to(str),
                width="100%",
            ),
            width="100%",
        ),
    )


def _add_action_form() -> rx.Component:
    return card(
        rx.heading("Add an action", size="4", as_="h2"),
        rx.form(
            _form_grid(
                field("Action", "action_title"),
                choice_select("Owner", "action_owner", PlanState.people, empty="Choose an owner"),
                field("Due date", "action_due", type="date", required=False),
                choice_select("For goal", "action_goal", PlanState.goal_choices, empty="No goal"),
                choice_select("Kind", "action_scope", SCOPE_CHOICES, default="team"),
                rx.button("Add action", type="submit"),
            ),
            on_submit=PlanState.add_action,
            reset_on_submit=False,
            width="100%",
        ),
        width="100%",
    )


def _edit_action_form() -> rx.Component:
    return rx.cond(
        PlanState.edit_id != 0,
        card(
            rx.heading("Edit the action", size="4", as_="h2"),
            rx.form(
                _form_grid(
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
                    rx.button("Save action", type="submit"),
                    rx.button(
                        "Cancel", type="button", variant="soft", on_click=PlanState.cancel_edit
                    ),
                ),
                on_submit=PlanState.save_action,
                key=PlanState.edit_id.to(str),
                width="100%",
            ),
            width="100%",
        ),
    )


def _add_goal_form() -> rx.Component:
    return card(
        rx.heading("Add a goal", size="4", as_="h2"),
        rx.form(
            _form_grid(
                field("Goal", "goal_title"),
                field("Target level", "goal_target", type="number", required=False, step="0.5"),
                field("Goal due date", "goal_due", type="date", required=False),
                rx.button("Add goal", type="submit", variant="soft"),
            ),
            on_submit=PlanState.add_goal,
            reset_on_submit=True,
            width="100%",
        ),
        width="100%",
    )


def _attendee_box(c: Choice) -> rx.Component:
    return rx.el.label(
        rx.el.input(type="checkbox", name="attendee_" + c.value, value="on"),
        " ",
        c.label,
        class_name="pmo-label",
        style={"marginRight": "1em"},
    )


def _follow_up_row(n: int) -> rx.Component:
    return _form_grid(
        field(f"Follow-up action {n}", f"fu{n}_title", required=False),
        choice_select(f"Owner of follow-up {n}", f"fu{n}_owner", PlanState.people, empty="—"),
        field(f"Due date of follow-up {n}", f"fu{n}_due", type="date", required=False),
    )


def _log_session_form() -> rx.Component:
    return card(
        rx.heading("Log a coaching session", size="4", as_="h2"),
        rx.form(
            rx.vstack(
                field("Session date", "held_on", type="date"),
                rx.el.fieldset(
                    rx.el.legend("Attendees", class_name="pmo-label"),
                    rx.flex(rx.foreach(PlanState.people, _attendee_box), wrap="wrap"),
                ),
                textarea_field("Notes", "notes"),
                textarea_field("Decisions", "decisions"),
                *[_follow_up_row(n) for n in FOLLOW_UP_ROWS],
                rx.button("Log session", type="submit"),
                align="start",
                width="100%",
            ),
            on_submit=PlanState.log_session,
            reset_on_submit=True,
            width="100%",
        ),
        width="100%",
    )


def _session_row(s: SessionView) -> rx.Component:
    return rx.table.row(
        rx.table.cell(s.held_on),
        rx.table.cell(s.attendees),
        rx.table.cell(rx.text(s.notes, white_space="pre-wrap")),
        rx.table.cell(rx.text(s.decisions, white_space="pre-wrap")),
        rx.table.cell(s.follow_ups),
    )


def _sessions_log() -> rx.Component:
    return rx.vstack(
        rx.heading("Sessions log", size="5", as_="h2"),
        rx.el.section(
            rx.table.root(
                rx.table.header(
                    rx.table.row(
                        rx.table.column_header_cell("Date"),
                        rx.table.column_header_cell("Attendees"),
                        rx.table.column_header_cell("Notes"),
                        rx.table.column_header_cell("Decisions"),
                        rx.table.column_header_cell("Follow-up actions"),
                    )
                ),
                rx.table.body(rx.foreach(PlanState.sessions, _session_row)),
                width="100%",
            ),
            aria_label="Sessions log",
            style={"width": "100%"},
        ),
        width="100%",
        align="start",
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
        _confirm_box(),
        _confirm_plan_box(),
        rx.cond(
            PlanState.can_manage,
            rx.vstack(_edit_goal_form(), _edit_action_form(), width="100%", spacing="4"),
        ),
        rx.heading("Goals", size="5", as_="h2"),
        rx.foreach(PlanState.goals, _goal_card),
        rx.cond(
            PlanState.loose_actions.length() > 0,
            rx.vstack(
                rx.heading("Other actions", size="4", as_="h3"),
                _actions_table(PlanState.loose_actions, "Other actions"),
                width="100%",
                align="start",
            ),
        ),
        _sessions_log(),
        rx.cond(
            PlanState.can_manage,
            rx.vstack(
                _add_action_form(),
                _add_goal_form(),
                _log_session_form(),
                rx.button(
                    "Delete this plan",
                    color_scheme="red",
                    variant="outline",
                    on_click=PlanState.delete_plan(False),
                ),
                width="100%",
                spacing="4",
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
