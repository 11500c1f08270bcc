"""Culture surveys: the survey, its questions and teams, who was asked, and the answers.

Anonymity is a property of the schema, not a promise of the code:
- `SurveyResponse` and `SurveyAnswer` have no user id, no invitation id and no timestamp; a
  response knows only its survey and the team as it was at launch (`SurveyTeam`). Response
  ids are random, so not even insertion order is kept.
- `SurveyInvitation` (participation: who was asked, whether they answered, for reminders)
  holds no time and no reference to a response. Every submission rewrites all participation
  rows of its team in one statement, so even PostgreSQL's row versions (xmin) cannot pair an
  answer with a person.
"""

from __future__ import annotations

from datetime import datetime
from typing import ClassVar

from sqlalchemy import Column, Index, String, Text, UniqueConstraint
from sqlmodel import Field

from pmo_saas.db import TenantOwned
from pmo_saas.kernel.clock import utcnow


class Survey(TenantOwned, table=True):
    refused_when_read_only: ClassVar[bool] = True
    id: int | None = Field(default=None, primary_key=True)
    title: str = Field(max_length=160)
    instrument: str = Field(max_length=16, sa_type=String(16))
    # Rounds of one survey share a series id (the first round's id); round numbers count up.
    series_id: int | None = Field(default=None, index=True)
    round_number: int = 1
    status: str = Field(default="open", max_length=16, sa_type=String(16))
    min_group_size: int = 5
    min_comment_group_size: int = 8
    created_by_id: int | None = Field(default=None, foreign_key="user.id", ondelete="SET NULL")
    created_at: datetime = Field(default_factory=utcnow)
    closes_at: datetime
    closed_at: datetime | None = None


class SurveyQuestion(TenantOwned, table=True):
    refused_when_read_only: ClassVar[bool] = True
    __table_args__ = (UniqueConstraint("org_id", "survey_id", "key"),)

    id: int | None = Field(default=None, primary_key=True)
    survey_id: int = Field(foreign_key="survey.id", index=True, ondelete="CASCADE")
    position: int
    key: str = Field(max_length=40)
    kind: str = Field(max_length=16, sa_type=String(16))
    prompt: str = Field(sa_column=Column(Text, nullable=False))
    # JSON list of [key, label] pairs for choices; empty for scales and free text.
    options: str = Field(default="[]", sa_column=Column(Text, nullable=False, default="[]"))
    required: bool = True


class SurveyTeam(TenantOwned, table=True):
    """A team as it was when the survey was launched (the name is kept if the team goes)."""

    refused_when_read_only: ClassVar[bool] = True
    __table_args__ = (UniqueConstraint("org_id", "survey_id", "team_id"),)

    id: int | None = Field(default=None, primary_key=True)
    survey_id: int = Field(foreign_key="survey.id", index=True, ondelete="CASCADE")
    team_id: int | None = Field(default=None, foreign_key="team.id", ondelete="SET NULL")
    team_name: str = Field(max_length=120)
    open_token_hash: str | None = Field(default=None, max_length=64, unique=True, index=True)


class SurveyInvitation(TenantOwned, table=True):
    """Participation: who was asked and whether they answered. No time, no response id."""

    refused_when_read_only: ClassVar[bool] = True
    __table_args__ = (UniqueConstraint("org_id", "survey_id", "user_id"),)

    id: int | None = Field(default=None, primary_key=True)
    survey_id: int = Field(foreign_key="survey.id", index=True, ondelete="CASCADE")
    survey_team_id: int = Field(foreign_key="surveyteam.id", index=True, ondelete="CASCADE")
    user_id: int = Field(foreign_key="user.id", index=True, ondelete="CASCADE")
    answered: bool = False
    reminders_sent: int = 0


class SurveyLink(TenantOwned, table=True):
    """A personal link's token (only its hash). A reminder adds a new link; all stay valid."""

    refused_when_read_only: ClassVar[bool] = True
    id: int | None = Field(default=None, primary_key=True)
    invitation_id: int = Field(foreign_key="surveyinvitation.id", index=True, ondelete="CASCADE")
    token_hash: str = Field(max_length=64, unique=True, index=True)


class SurveyResponse(TenantOwned, table=True):
    """One submitted questionnaire: no user, no invitation, no time; a random id."""

    refused_when_read_only: ClassVar[bool] = True
    __table_args__ = (UniqueConstraint("org_id", "survey_id", "submission_key"),)

    id: str = Field(primary_key=True, max_length=32)
    survey_id: int = Field(foreign_key="survey.id", index=True, ondelete="CASCADE")
    survey_team_id: int = Field(foreign_key="surveyteam.id", index=True, ondelete="CASCADE")
    # Open links only: the hash of a random key the form carries, so a double submit counts once.
    submission_key: str | None = Field(default=None, max_length=64)


class SurveyAnswer(TenantOwned, table=True):
    """One value of a response. Survey and team are repeated so results need no join."""

    refused_when_read_only: ClassVar[bool] = True
    __table_args__ = (
        Index("ix_surveyanswer_results", "survey_id", "question_id", "survey_team_id"),
    )

    response_id: str = Field(
        foreign_key="surveyresponse.id", primary_key=True, max_length=32, ondelete="CASCADE"
    )
    question_id: int = Field(foreign_key="surveyquestion.id", primary_key=True, ondelete="CASCADE")
    # "" for scales; the option for choices; "now:clan" etc. for OCAI points.
    option_key: str = Field(default="", primary_key=True, max_length=40)
    survey_id: int = Field(foreign_key="survey.id", ondelete="CASCADE")
    survey_team_id: int = Field(foreign_key="surveyteam.id", ondelete="CASCADE")
    value: float | None = None
    text: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
