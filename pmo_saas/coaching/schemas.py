"""Plain data handed from coaching services to states, pages and other domains."""

from __future__ import annotations

from pydantic import BaseModel


class ActionInput(BaseModel):
    """A new action (also a follow-up of a coaching session)."""

    title: str
    owner_user_id: int | None = None
    due_date: str | None = None  # ISO date; a date object is accepted by the services too
    goal_id: int | None = None
    scope: str = "team"


class ActionRow(BaseModel):
    id: int
    plan_id: int
    goal_id: int | None
    session_id: int | None
    title: str
    owner_user_id: int | None
    owner_name: str
    due_date: str | None
    status: str
    scope: str
    overdue: bool
    done_at: str | None
    initiative_id: int | None = None
    # Once promoted: the initiative's lifecycle status in the portfolio (funnel, ...) and
    # its funding (funded / not_funded / undecided / removed), read through its services.
    initiative_status: str | None = None
    funding_status: str | None = None
    funding_label: str = ""
    warnings: list[str] = []


class GoalRow(BaseModel):
    id: int
    plan_id: int
    title: str
    dimension_key: str | None
    dimension_name: str
    baseline_score: float | None
    target_level: float | None
    due_date: str | None
    overdue: bool
    # After the team's next round of the same model: its score there, and the change.
    measured_score: float | None = None
    measured_change: float | None = None
    measured_round_id: int | None = None
    target_reached: bool | None = None
    actions: list[ActionRow] = []
    warnings: list[str] = []


class SessionRow(BaseModel):
    id: int
    plan_id: int
    held_on: str
    attendee_ids: list[int]
    attendee_names: list[str]
    notes: str
    decisions: str
    follow_up_action_ids: list[int] = []
    warnings: list[str] = []


class PlanRow(BaseModel):
    id: int
    title: str
    team_id: int | None
    team_name: str
    person_user_id: int | None
    person_name: str
    coach_user_id: int | None
    coach_name: str
    status: str
    actions_total: int
    actions_done: int
    overdue_actions: int
    # Share of actions done, 0..100 (0 when there are no actions yet).
    progress_percent: int


class PlanDetail(PlanRow):
    source_round_id: int | None
    source_round_title: str
    # The team's next closed round of the same model, when there is one.
    measured_round_id: int | None = None
    measured_round_title: str = ""
    # False when the caller's role cannot read team scores (measured values are then None).
    measurement_visible: bool = True
    goals: list[GoalRow] = []
    # Actions that belong to no goal (e.g. follow-ups of a session).
    loose_actions: list[ActionRow] = []
    sessions: list[SessionRow] = []
    can_manage: bool = False
    warnings: list[str] = []


class BoardItem(BaseModel):
    """One organisational growth item on the leadership board."""

    action: ActionRow
    plan_id: int
    plan_title: str
    team_id: int | None
    team_name: str


class InitiativeOrigin(BaseModel):
    """Where a portfolio initiative came from (for the portfolio's initiative page)."""

    initiative_id: int
    action_id: int
    action_title: str
    plan_id: int
    plan_title: str
    team_id: int | None
    team_name: str


class CourseRow(BaseModel):
    id: int
    name: str
    level: str
    duration_hours: float
    provider: str
    archived: bool
    enrolled: int
    completed: int


class EnrolmentRow(BaseModel):
    id: int
    course_id: int
    course_name: str
    user_id: int
    user_name: str
    enrolled_at: str
    completed_on: str | None


class TeamCoverage(BaseModel):
    team_id: int
    team_name: str
    members: int
    # Members who completed at least one course.
    trained: int
    coverage_percent: int
    # course id -> number of this team's members who completed it
    completed_by_course: dict[int, int] = {}
