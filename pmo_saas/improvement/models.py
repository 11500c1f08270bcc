"""Improvement items of the PMO's own backlog.

An item comes from one of two sources: the feedback survey on the PMO (then it names the
round, `survey_id`, and optionally the statement, `question_key`, it answers) or a
retrospective of the PMO team (then `retro` says which one, in words). It moves through
proposed -> doing -> done, or is dropped; each change is an audit row (identity.audit).
"""

from __future__ import annotations

from datetime import datetime
from typing import ClassVar

from sqlalchemy import Column, String, Text
from sqlmodel import Field

from pmo_saas.db import TenantOwned
from pmo_saas.kernel.clock import utcnow

PROPOSED = "proposed"
DOING = "doing"
DONE = "done"
DROPPED = "dropped"
STATUSES = (PROPOSED, DOING, DONE, DROPPED)
STATUS_LABELS = {PROPOSED: "Proposed", DOING: "Doing", DONE: "Done", DROPPED: "Dropped"}

FROM_FEEDBACK = "feedback"
FROM_RETRO = "retrospective"
SOURCES = (FROM_FEEDBACK, FROM_RETRO)
SOURCE_LABELS = {FROM_FEEDBACK: "PMO feedback", FROM_RETRO: "PMO retrospective"}


class ImprovementItem(TenantOwned, table=True):
    refused_when_read_only: ClassVar[bool] = True

    id: int | None = Field(default=None, primary_key=True)
    title: str = Field(max_length=160)
    detail: str = Field(default="", sa_column=Column(Text, nullable=False, default=""))
    source: str = Field(default=FROM_FEEDBACK, sa_type=String(16))
    survey_id: int | None = Field(
        default=None, foreign_key="survey.id", index=True, ondelete="SET NULL"
    )
    question_key: str = Field(default="", max_length=40)
    retro: str = Field(default="", max_length=160)
    status: str = Field(default=PROPOSED, sa_type=String(16))
    owner_user_id: int | None = Field(
        default=None, foreign_key="user.id", index=True, ondelete="SET NULL"
    )
    created_by_id: int | None = Field(default=None, foreign_key="user.id", ondelete="SET NULL")
    created_at: datetime = Field(default_factory=utcnow)
    updated_at: datetime = Field(default_factory=utcnow)
