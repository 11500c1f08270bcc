"""Coaching plans, goals, actions, coaching sessions, agile training and digest bookkeeping.

Shape of the data:

- `CoachingPlan` belongs to a team or to one person (e.g. a leader); a coach runs it. A plan
  started from an assessment round remembers that round (`source_round_id`): its goals then
  carry the dimension's stable `key` and the team's score in that round as their baseline, so
  the team's next round of the same model measures the change per goal.
- `CoachingGoal`: a target maturity level for one dimension (or a free-text goal), due by a date.
- `CoachingAction`: who does what by when, with a status. `scope` says whether the team can do
  it alone ("team") or leadership must take it up ("organisation"); organisational items roll
  up to the leadership board and can be promoted to the portfolio (`initiative_id`; the
  portfolio's initiative is read through its services, so it is a plain id, not a foreign key
  into another domain's tables).
- `CoachingSession` (+ attendees): the log of coaching conversations; follow-up actions point
  back to the session they came from.
- `Course` / `Enrolment`: the agile training catalogue and who took what, completed when.
- `DigestSent`: one row per coach per ISO week: a re-run of the weekly digest sends nothing twice.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import ClassVar

from sqlalchemy import Column, String, Text, UniqueConstraint
from sqlmodel import Field

from pmo_saas.db import TenantOwned
from pmo_saas.kernel.clock import utcnow

PLAN_ACTIVE = "active"
PLAN_ON_HOLD = "on_hold"
PLAN_COMPLETED = "completed"
PLAN_STATUSES = (PLAN_ACTIVE, PLAN_ON_HOLD, PLAN_COMPLETED)

ACTION_TODO = "todo"
ACTION_DOING = "doing"
ACTION_DONE = "done"
ACTION_BLOCKED = "blocked"
ACTION_STATUSES = (ACTION_TODO, ACTION_DOING, ACTION_DONE, ACTION_BLOCKED)

SCOPE_TEAM = "team"
SCOPE_ORGANISATION = "organisation"
ACTION_SCOPES = (SCOPE_TEAM, SCOPE_ORGANISATION)

COURSE_LEVELS = ("beginner", "intermediate", "advanced")


class CoachingPlan(TenantOwned, table=True):
    refused_when_read_only: ClassVar[bool] = True
    id: int | None = Field(default=None, primary_key=True)
    title: str = Field(max_length=160)
    # Exactly one of team_id / person_user_id is set.
    team_id: int | None = Field(default=None, foreign_key="team.id", index=True, ondelete="CASCADE")
    person_user_id: int | None = Field(
        default=None, foreign_key="user.id", index=True, ondelete="CASCADE"
    )
    coach_user_id: int | None = Field(
        default=None, foreign_key="user.id", index=True, ondelete="SET NULL"
    )
    status: str = Field(default=PLAN_ACTIVE, sa_type=String(16), index=True)
    source_round_id: int | None = Field(
        default=None, foreign_key="assessmentround.id", ondelete="SET NULL"
    )
    # The source round's model: the "next round" that measures change is one of this model.
    source_model_id: int | None = None
    source_round_title: str = Field(default="", max_length=160)
    created_by_id: int | None = Field(default=None, foreign_key="user.id", ondelete="SET NULL")
    created_at: datetime = Field(default_factory=utcnow)
    updated_at: datetime = Field(default_factory=utcnow)


class CoachingGoal(TenantOwned, table=True):
    refused_when_read_only: ClassVar[bool] = True
    id: int | None = Field(default=None, primary_key=True)
    plan_id: int = Field(foreign_key="coachingplan.id", index=True, ondelete="CASCADE")
    title: str = Field(max_length=200)
    # The assessment dimension's stable key (None for a free-text goal).
    dimension_key: str | None = Field(default=None, max_length=60)
    dimension_name: str = Field(default="", max_length=120)
    # The team's mean on the dimension in the plan's source round.
    baseline_score: float | None = None
    target_level: float | None = None
    due_date: date | None = None
    position: int = 0
    created_at: datetime = Field(default_factory=utcnow)


class CoachingSession(TenantOwned, table=True):
    refused_when_read_only: ClassVar[bool] = True
    id: int | None = Field(default=None, primary_key=True)
    plan_id: int = Field(foreign_key="coachingplan.id", index=True, ondelete="CASCADE")
    held_on: date
    notes: str = Field(default="", sa_column=Column(Text, nullable=False, default=""))
    decisions: str = Field(default="", sa_column=Column(Text, nullable=False, default=""))
    created_by_id: int | None = Field(default=None, foreign_key="user.id", ondelete="SET NULL")
    created_at: datetime = Field(default_factory=utcnow)


class SessionAttendee(TenantOwned, table=True):
    refused_when_read_only: ClassVar[bool] = True
    __table_args__ = (UniqueConstraint("org_id", "session_id", "user_id"),)

    id: int | None = Field(default=None, primary_key=True)
    session_id: int = Field(foreign_key="coachingsession.id", index=True, ondelete="CASCADE")
    user_id: int = Field(foreign_key="user.id", index=True, ondelete="CASCADE")


class CoachingAction(TenantOwned, table=True):
    refused_when_read_only: ClassVar[bool] = True
    id: int | None = Field(default=None, primary_key=True)
    plan_id: int = Field(foreign_key="coachingplan.id", index=True, ondelete="CASCADE")
    goal_id: int | None = Field(
        default=None, foreign_key="coachinggoal.id", index=True, ondelete="CASCADE"
    )
    # The coaching session this follow-up came from, if any.
    session_id: int | None = Field(
        default=None, foreign_key="coachingsession.id", ondelete="SET NULL"
    )
    title: str = Field(max_length=200)
    # Required on input; None only when the owner's account was deleted later.
    owner_user_id: int | None = Field(
        default=None, foreign_key="user.id", index=True, ondelete="SET NULL"
    )
    due_date: date | None = Field(default=None, index=True)
    status: str = Field(default=ACTION_TODO, sa_type=String(16), index=True)
    scope: str = Field(default=SCOPE_TEAM, sa_type=String(16), index=True)
    done_at: datetime | None = None
    # Set once an organisational item is promoted to the portfolio (an Initiative's id).
    initiative_id: int | None = Field(default=None, index=True)
    promoted_at: datetime | None = None
    created_at: datetime = Field(default_factory=utcnow)
    updated_at: datetime = Field(default_factory=utcnow)


class Course(TenantOwned, table=True):
    refused_when_read_only: ClassVar[bool] = True
    __table_args__ = (UniqueConstraint("org_id", "name"),)

    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(max_length=160)
    level: str = Field(default="beginner", sa_type=String(16))
    duration_hours: float = 1.0
    provider: str = Field(default="", max_length=120)
    archived_at: datetime | None = None
    created_at: datetime = Field(default_factory=utcnow)


class Enrolment(TenantOwned, table=True):
    refused_when_read_only: ClassVar[bool] = True
    __table_args__ = (UniqueConstraint("org_id", "course_id", "user_id"),)

    id: int | None = Field(default=None, primary_key=True)
    course_id: int = Field(foreign_key="course.id", index=True, ondelete="CASCADE")
    user_id: int = Field(foreign_key="user.id", index=True, ondelete="CASCADE")
    enrolled_at: datetime = Field(default_factory=utcnow)
    completed_on: date | None = None


class DigestSent(TenantOwned, table=True):
    __table_args__ = (UniqueConstraint("org_id", "coach_user_id", "week"),)

    id: int | None = Field(default=None, primary_key=True)
    coach_user_id: int = Field(foreign_key="user.id", index=True, ondelete="CASCADE")
    # ISO week, e.g. "2026-W48".
    week: str = Field(max_length=10)
    sent_at: datetime = Field(default_factory=utcnow)
