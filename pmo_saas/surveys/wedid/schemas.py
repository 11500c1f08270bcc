"""Plain data of "you said, we did" for states, pages, REST and exports (never ORM rows)."""

from __future__ import annotations

from pydantic import BaseModel

from pmo_saas.surveys.schemas import WeDidNote

__all__ = ["WeDidNote"]

# A coaching action's status as a respondent reads it (no owner, no dates: nothing personal).
STATUS_LABELS = {
    "todo": "Planned",
    "doing": "In progress",
    "done": "Done",
    "blocked": "Blocked",
}
REMOVED = "Dropped from the plan"


class CommitmentRow(BaseModel):
    id: int
    action_id: int
    title: str
    # The coaching action's status ("removed" once the action was deleted from the plan).
    status: str
    status_label: str
    owner_name: str = ""
    due_date: str | None = None
    overdue: bool = False
    plan_id: int | None = None


class FocusRow(BaseModel):
    id: int
    survey_id: int
    survey_team_id: int
    team_name: str
    question_key: str
    prompt: str
    shown_mean: float | None
    commitments: list[CommitmentRow] = []


class FollowUpRow(BaseModel):
    """One focus of the team's previous round, seen from this round."""

    focus: FocusRow
    previous_survey_id: int
    previous_title: str
    previous_round: int
    previous_mean: float | None
    # This round's mean for the team, when it has closed and the team is shown.
    current_mean: float | None = None
    change: float | None = None
    # Why there is no change to show (still running, the team hidden, question not asked).
    change_note: str = ""


class Choice(BaseModel):
    value: str
    label: str


class WeDidBoard(BaseModel):
    """What the caller may pick and commit on this survey, and what was committed."""

    survey_id: int
    closed: bool
    # Teams the caller may commit for and the anonymity rules show (hidden ones are absent).
    teams: list[Choice] = []
    questions: list[Choice] = []
    owners: list[Choice] = []
    # Said to a member whose own team is hidden (never naming another team).
    note: str = ""
    focus: list[FocusRow] = []
    follow_up: list[FollowUpRow] = []
