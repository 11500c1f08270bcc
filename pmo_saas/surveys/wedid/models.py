"""Focus questions picked from a closed survey's shown results, and the actions committed.

- `SurveyFocus`: one question of one surveyed team (only a team the anonymity rules show),
  with the mean that was shown when it was picked.
- `SurveyCommitment`: an action committed on a focus; the action itself is a coaching action
  in the team's plan (`action_id`: a plain id read through coaching's services, as coaching
  keeps the portfolio's initiative id). The title is kept if the action is deleted later.
"""

from __future__ import annotations

from datetime import datetime
from typing import ClassVar

from sqlalchemy import Column, Text, UniqueConstraint
from sqlmodel import Field

from pmo_saas.db import TenantOwned
from pmo_saas.kernel.clock import utcnow


class SurveyFocus(TenantOwned, table=True):
    refused_when_read_only: ClassVar[bool] = True
    __table_args__ = (UniqueConstraint("org_id", "survey_team_id", "question_key"),)

    id: int | None = Field(default=None, primary_key=True)
    survey_id: int = Field(foreign_key="survey.id", index=True, ondelete="CASCADE")
    survey_team_id: int = Field(foreign_key="surveyteam.id", index=True, ondelete="CASCADE")
    question_key: str = Field(max_length=40)
    prompt: str = Field(sa_column=Column(Text, nullable=False))
    shown_mean: float | None = None
    picked_by_id: int | None = Field(default=None, foreign_key="user.id", ondelete="SET NULL")
    created_at: datetime = Field(default_factory=utcnow)


class SurveyCommitment(TenantOwned, table=True):
    refused_when_read_only: ClassVar[bool] = True

    id: int | None = Field(default=None, primary_key=True)
    focus_id: int = Field(foreign_key="surveyfocus.id", index=True, ondelete="CASCADE")
    action_id: int = Field(index=True)
    title: str = Field(max_length=200)
    created_by_id: int | None = Field(default=None, foreign_key="user.id", ondelete="SET NULL")
    created_at: datetime = Field(default_factory=utcnow)
