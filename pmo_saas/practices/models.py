"""Practices, their versions, the assessment dimensions they help, and team adoption.

Shape of the data:

- `Practice` is the playbook entry as it reads now (purpose, how-to in markdown, owner). Every
  save also writes a `PracticeVersion` with the content saved (number 1 on publish), so the
  previous versions stay readable after each edit.
- `PracticeDimension`: a dimension the practice helps, by the assessment dimension's stable
  `key` (stable across model versions, as coaching goals name dimensions).
- `PracticeAdoption`: one row per team and practice: not started / trying / adopted /
  adapted, with the team's note on how it adapted it. A team without a row has not started.
"""

from __future__ import annotations

from datetime import datetime
from typing import ClassVar

from sqlalchemy import Column, String, Text, UniqueConstraint
from sqlmodel import Field

from pmo_saas.db import TenantOwned
from pmo_saas.kernel.clock import utcnow

NOT_STARTED = "not_started"
TRYING = "trying"
ADOPTED = "adopted"
ADAPTED = "adapted"
ADOPTION_STATUSES = (NOT_STARTED, TRYING, ADOPTED, ADAPTED)
ADOPTION_LABELS = {
    NOT_STARTED: "Not started",
    TRYING: "Trying",
    ADOPTED: "Adopted",
    ADAPTED: "Adapted",
}
# Counted as "adopted" in the practice/maturity comparison.
IN_USE = (ADOPTED, ADAPTED)

FRAMEWORKS = {"dsdm": "DSDM", "scrum": "Scrum", "kanban": "Kanban", "general": "General"}


class Practice(TenantOwned, table=True):
    refused_when_read_only: ClassVar[bool] = True
    __table_args__ = (UniqueConstraint("org_id", "title"),)

    id: int | None = Field(default=None, primary_key=True)
    title: str = Field(max_length=160)
    framework: str = Field(default="general", sa_type=String(16))
    purpose: str = Field(default="", sa_column=Column(Text, nullable=False, default=""))
    how_to: str = Field(default="", sa_column=Column(Text, nullable=False, default=""))
    owner_user_id: int | None = Field(
        default=None, foreign_key="user.id", index=True, ondelete="SET NULL"
    )
    version: int = 1
    # Set for a starter practice ("definition_of_done", ...); None when written here.
    builtin_key: str | None = Field(default=None, max_length=40)
    created_at: datetime = Field(default_factory=utcnow)
    updated_at: datetime = Field(default_factory=utcnow)


class PracticeVersion(TenantOwned, table=True):
    refused_when_read_only: ClassVar[bool] = True
    __table_args__ = (UniqueConstraint("org_id", "practice_id", "number"),)

    id: int | None = Field(default=None, primary_key=True)
    practice_id: int = Field(foreign_key="practice.id", index=True, ondelete="CASCADE")
    number: int
    title: str = Field(max_length=160)
    purpose: str = Field(default="", sa_column=Column(Text, nullable=False, default=""))
    how_to: str = Field(default="", sa_column=Column(Text, nullable=False, default=""))
    owner_user_id: int | None = Field(default=None, foreign_key="user.id", ondelete="SET NULL")
    # Comma-separated dimension keys as they were in this version.
    dimension_keys: str = Field(default="", max_length=1000)
    edited_by_id: int | None = Field(default=None, foreign_key="user.id", ondelete="SET NULL")
    created_at: datetime = Field(default_factory=utcnow)


class PracticeDimension(TenantOwned, table=True):
    refused_when_read_only: ClassVar[bool] = True
    __table_args__ = (UniqueConstraint("org_id", "practice_id", "dimension_key"),)

    id: int | None = Field(default=None, primary_key=True)
    practice_id: int = Field(foreign_key="practice.id", index=True, ondelete="CASCADE")
    dimension_key: str = Field(max_length=60, index=True)


class PracticeAdoption(TenantOwned, table=True):
    refused_when_read_only: ClassVar[bool] = True
    __table_args__ = (UniqueConstraint("org_id", "practice_id", "team_id"),)

    id: int | None = Field(default=None, primary_key=True)
    practice_id: int = Field(foreign_key="practice.id", index=True, ondelete="CASCADE")
    team_id: int = Field(foreign_key="team.id", index=True, ondelete="CASCADE")
    status: str = Field(default=NOT_STARTED, sa_type=String(16))
    note: str = Field(default="", sa_column=Column(Text, nullable=False, default=""))
    updated_by_id: int | None = Field(default=None, foreign_key="user.id", ondelete="SET NULL")
    updated_at: datetime = Field(default_factory=utcnow)
