"""The coaching plan page's state (pages/plan.py and its sections plan_goals.py,
plan_actions.py, plan_sessions.py draw it): the plan as the page shows it, and the handlers.

Coaches and admins change everything here; a member changes the status of the actions they
own; a viewer reads. The server decides each time (the services check the role).
"""

from __future__ import annotations

from typing import Any

import reflex as rx
from pydantic import BaseModel
from sqlmodel import Session

from pmo_saas.coaching.pages.common import (
    PLAN_STATUS_LABELS,
    SCOPE_LABELS,
    STATUS_LABELS,
    Choice,
    id_after,
    optional_int,
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
    place_goal,
    update_goal,
)
from pmo_saas.coaching.services.plans import delete_plan, get_plan, update_plan
from pmo_saas.coaching.services.sessions import log_session
from pmo_saas.db import in_tenant
from pmo_saas.identity import services as identity
from pmo_saas.identity.page_state import DialogHost, WorkspacePage
from pmo_saas.kernel.context import TenantContext
from pmo_saas.kernel.errors import ValidationFailed
from pmo_saas.kernel.formatting import NO_VALUE, number, optional_number, signed
from pmo_saas.practices.dimensions import dimension_names
from pmo_saas.practices.schemas import HelpingPractice
from pmo_saas.practices.services.playbook import helping_practices
from pmo_saas.ui.dnd import focus_item, key_step

STATUS_CHOICES = [Choice(value=k, label=v) for k, v in STATUS_LABELS.items()]
SCOPE_CHOICES = [Choice(value=k, label=v) for k, v in SCOPE_LABELS.items()]
PLAN_STATUS_CHOICES = [Choice(value=k, label=v) for k, v in PLAN_STATUS_LABELS.items()]
FOLLOW_UP_ROWS = (1, 2)


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
    place: int = 0  # 1 = the plan's first priority


class SessionView(BaseModel):
    id: int
    held_on: str
    attendees: str
    notes: str
    decisions: str
    follow_ups: str


def _goal_view(goal: GoalRow, plan: PlanDetail, place: int = 0) -> GoalView:
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
        current=optional_number(goal.baseline_score, NO_VALUE),
        target=optional_number(goal.target_level, NO_VALUE),
        due=goal.due_date or "",
        overdue=goal.overdue,
        measured=measured,
        change=change,
        change_tone=tone,
        reached=bool(goal.target_reached),
        actions=goal.actions,
        place=place,
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


def _unless_asked(service: Any, *, session: Session, ctx: TenantContext, **kwargs: Any) -> str:
    """Run a deletion that may first ask for confirmation: "" once done, else the question
    (the service raises ConfirmationRequired before it changes anything)."""
    try:
        service(session=session, ctx=ctx, **kwargs)
    except ConfirmationRequired as question:
        return str(question)
    return ""


def _add_goal_on_dimension(
    *, session: Session, ctx: TenantContext, dimension: str, **goal: Any
) -> GoalRow:
    """`add_goal`, on the assessment dimension chosen in the form ("" = none): its key must be
    one the organisation's maturity models (or the built-in one) name."""
    name = ""
    if dimension:
        name = dimension_names(session=session, ctx=ctx).get(dimension, "")
        if not name:
            raise ValidationFailed("Choose the dimension from the list.")
    return add_goal(
        session=session, ctx=ctx, dimension_key=dimension or None, dimension_name=name, **goal
    )


def _delete_goal_unless_asked(*, session: Session, ctx: TenantContext, goal_id: int) -> str:
    return _unless_asked(delete_goal, session=session, ctx=ctx, goal_id=goal_id)


def _delete_plan_unless_asked(
    *, session: Session, ctx: TenantContext, plan_id: int, confirm: bool
) -> str:
    return _unless_asked(delete_plan, session=session, ctx=ctx, plan_id=plan_id, confirm=confirm)


class PlanState(DialogHost, WorkspacePage, rx.State):
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
    # Practices that help the goals' dimensions, with the plan's team's adoption of each.
    goal_practices: dict[str, list[HelpingPractice]] = {}
    loose_actions: list[ActionRow] = []
    sessions: list[SessionView] = []
    people: list[Choice] = []
    dimensions: list[Choice] = []  # the assessment dimensions a new goal can aim at
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
    _dragged_goal: int = 0  # the goal being dragged (its drop reorders the goals)
    confirm_message: str = ""
    # A plan deletion waiting for the user's confirmation.
    confirm_plan_message: str = ""
    # Editing one goal (0 = none).
    goal_edit_id: int = 0
    goal_edit_title: str = ""
    goal_edit_target: str = ""
    goal_edit_due: str = ""
    # This page's own message: what the service accepted but flags (a due date in the past).
    warning: str = ""
    # `dialog` (DialogHost): "action", "goal", "session", "edit_action", "edit_goal", or none.

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
        self.goals = [_goal_view(g, plan, n) for n, g in enumerate(plan.goals, start=1)]
        self.loose_actions = plan.loose_actions
        titles = {a.id: a.title for g in plan.goals for a in g.actions}
        titles.update({a.id: a.title for a in plan.loose_actions})
        self.sessions = [_session_view(s, titles) for s in plan.sessions]
        self.goal_choices = [Choice(value=str(g.id), label=g.title) for g in plan.goals]

    async def _refresh(self, ctx: TenantContext) -> None:
        self.me = ctx.user_id or 0
        plan = await in_tenant(ctx, get_plan, plan_id=self._plan_id())
        self._show(plan)
        helping = await in_tenant(
            ctx,
            helping_practices,
            dimension_keys=[g.dimension_key or "" for g in plan.goals],
            team_id=plan.team_id,
        )
        self.goal_practices = {
            str(g.id): [p for p in helping if p.dimension_key == g.dimension_key]
            for g in plan.goals
            if g.dimension_key
        }
        if plan.can_manage:
            members = await in_tenant(ctx, identity.list_members)
            self.people = [Choice(value=str(m.user_id), label=m.name) for m in members]
            names = await in_tenant(ctx, dimension_names)
            self.dimensions = [Choice(value=k, label=n) for k, n in names.items()]
        else:
            self.people, self.dimensions = [], []

    def _on_failed_load(self) -> None:
        self.title, self.goals, self.loose_actions, self.sessions = "", [], [], []
        self.can_manage = False

    def _all_actions(self) -> list[ActionRow]:
        return [a for g in self.goals for a in g.actions] + list(self.loose_actions)

    @rx.event
    async def load(self) -> None:
        self.confirm_goal_id = 0
        self.confirm_message = self.confirm_plan_message = ""
        if not self._keeps_dialog():  # a dialog opened while this page loaded stays open
            self.edit_id = self.goal_edit_id = 0
            self.dialog = ""
        await self._load()

    @rx.event
    def set_dialog(self, name: str, open_it: bool) -> None:
        """A dialog opened (its button) or closed (Cancel, Escape, its close button)."""
        self._clear_messages()
        self._open_dialog(name if open_it else "")
        if not open_it:
            self.edit_id = self.goal_edit_id = 0

    def _close_dialog_unless_refused(self) -> None:
        if not self.error:
            self.dialog = ""

    async def _call(self, fn, notice: str = "", **kwargs):  # type: ignore[no-untyped-def]
        """`_act`, then the warnings the service returned with its row (if any)."""
        result = await self._act(fn, notice=notice, **kwargs)
        self.warning = " ".join(getattr(result, "warnings", None) or [])
        return result

    @rx.event
    async def add_action(self, form: dict) -> None:
        try:
            owner = optional_int(form.get("action_owner"))
            goal = optional_int(form.get("action_goal"))
        except ValueError:
            self._refuse("Choose the owner from the list.")
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
        self._close_dialog_unless_refused()

    @rx.event
    async def add_goal(self, form: dict) -> None:
        raw_target = str(form.get("goal_target", "")).strip()
        try:
            target = float(raw_target) if raw_target else None
        except ValueError:
            self._refuse("Enter the target maturity level as a number, e.g. 3.")
            return
        await self._call(
            _add_goal_on_dimension,
            notice="Goal added.",
            plan_id=self._plan_id(),
            dimension=str(form.get("goal_dimension", "")).strip(),
            title=str(form.get("goal_title", "")),
            target_level=target,
            due_date=str(form.get("goal_due", "")) or None,
        )
        self._close_dialog_unless_refused()

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
        try:
            coach = optional_int(self.coach_id)
        except ValueError:
            self._refuse("Choose the coach from the list.")
            return
        await self._call(
            update_plan,
            notice="Plan status saved.",
            plan_id=self._plan_id(),
            title=self.title,
            status=status,
            coach_user_id=coach,
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
        self._open_dialog("edit_action")

    @rx.event
    async def save_action(self, form: dict) -> None:
        try:
            owner = optional_int(form.get("edit_owner"))
            goal = optional_int(form.get("edit_goal"))
        except ValueError:
            self._refuse("Choose the owner from the list.")
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
            self.dialog = ""

    @rx.event
    async def delete_action(self, action_id: int) -> None:
        await self._call(delete_action, notice="Action deleted.", action_id=int(action_id))

    @rx.event
    async def delete_goal(self, goal_id: int) -> None:
        """Ask first when the goal has actions (the service says so), else delete at once."""
        self.confirm_goal_id, self.confirm_message = 0, ""
        question = await self._act(
            _delete_goal_unless_asked, notice="Goal deleted.", goal_id=int(goal_id)
        )
        if question:
            self.notice = ""
            self.confirm_goal_id, self.confirm_message = int(goal_id), question

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

    def _goal_place(self, goal_id: int) -> int:
        return next((g.place for g in self.goals if g.id == int(goal_id)), 0)

    async def _place_goal(self, goal_id: int, place: int) -> Any:
        """The goal to `place` through the service (a coach only: the server checks); the
        move announced in the status line and the goal given focus again."""
        title = next((g.title for g in self.goals if g.id == goal_id), "The goal")
        if not 1 <= place <= len(self.goals) or place == self._goal_place(goal_id):
            return None
        placed = await self._act(place_goal, goal_id=goal_id, place=place)
        if placed is None:
            return None
        self.notice = f"“{title}” is now priority {placed} of {len(self.goals)}."
        return focus_item(goal_id, placed)

    @rx.event
    def start_goal_drag(self, goal_id: int) -> None:
        self._dragged_goal = int(goal_id)

    @rx.event
    async def drop_goal_on(self, goal_id: int):
        """A goal dropped on another takes that one's place."""
        dragged, self._dragged_goal = self._dragged_goal, 0
        target = self._goal_place(int(goal_id))
        if not dragged or not target:
            return None
        return await self._place_goal(dragged, target)

    @rx.event
    async def goal_key(self, goal_id: int, key: str):
        """Up/Down arrow on a focused goal: one place earlier/later."""
        place, step = self._goal_place(int(goal_id)), key_step(key)
        if not place or not step:
            return None
        return await self._place_goal(int(goal_id), place + step)

    @rx.event
    async def move_goal(self, goal_id: int, step: int):
        """The goal's Up/Down buttons (a phone, or without a keyboard's arrows)."""
        place = self._goal_place(int(goal_id))
        if not place or int(step) not in (-1, 1):
            return None
        return await self._place_goal(int(goal_id), place + int(step))

    @rx.event
    def start_goal_edit(self, goal_id: int) -> None:
        self._clear_messages()
        goal = next((g for g in self.goals if g.id == int(goal_id)), None)
        if goal is None:
            return
        self.goal_edit_id, self.goal_edit_title = goal.id, goal.title
        self.goal_edit_target = "" if goal.target == "—" else goal.target
        self.goal_edit_due = goal.due
        self._open_dialog("edit_goal")

    @rx.event
    async def save_goal(self, form: dict) -> None:
        raw_target = str(form.get("goal_edit_target", "")).strip()
        try:
            target = float(raw_target) if raw_target else None
        except ValueError:
            self._refuse("Enter the target maturity level as a number, e.g. 3.")
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
            self.dialog = ""

    @rx.event
    async def delete_plan(self, confirm: bool = False):
        """Delete the whole plan; one with actions only after the user confirms."""
        self.confirm_plan_message = ""
        question = await self._act(
            _delete_plan_unless_asked, refresh=False, plan_id=self._plan_id(), confirm=bool(confirm)
        )
        if question is None:
            return None
        if question:
            self.confirm_plan_message = question
            return None
        return rx.redirect(self._org_path("/coaching"))

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
            self._refuse("Choose attendees and owners from the lists.")
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
        self._close_dialog_unless_refused()
