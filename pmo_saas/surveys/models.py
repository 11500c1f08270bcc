"""Culture surveys: the survey, its questions and teams, who was asked, and the answers.

Anonymity is a property of the schema, not a promise of the code (threat model: anonymity.py):
- While a survey runs, a response exists only as a `SurveySealedResponse`: encrypted with a
  key derived from the server's secret, padded to whole blocks, with a random id, no person,
  no invitation and no time (SQLite keeps it in random-id order, not insertion order).
- When the survey closes, the sealed responses of every team with at least the threshold
  are opened in one transaction, shuffled, and become counters (`SurveyTally`: per team,
  question, option and value) and comments (`SurveyComment`: random ids, inserted in
  shuffled order); those sealed rows go. A smaller team's stay sealed (opened in memory
  only, for the organisation total). No per-response row ever becomes readable, so neither
  row order nor ids nor versions can pair a scored answer with anyone.
- `SurveyInvitation` (participation: who was asked, whether they answered, for reminders)
  holds no time and no reference to a response (`reminded_day`, the day offset of the last
  scheduled reminder, says only "had not answered by day N": participation, like `answered`).
  Every submission rewrites all participation rows of its team in one statement, so even
  PostgreSQL's row versions (xmin) cannot pair an answer with a person.
"""

from __future__ import annotations

from datetime import datetime
from typing import ClassVar

from sqlalchemy import Column, LargeBinary, String, Text, UniqueConstraint
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
    # Launched to be answered through open links (one per team) instead of personal links.
    open_links: bool = False
    # Scheduled reminders: days after launch, comma-separated ("3,7"); "" for none.
    reminder_days: str = Field(default="", max_length=64)
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
    # Open-link surveys: at most this many answers through the team's link (set at launch).
    open_cap: int | None = None
    # Acknowledged responses (sealed or tallied), and how many of them came by open link.
    responses: int = 0
    open_responses: int = 0
    # Once the team's answers are opened into the counters (closed, at or above the
    # threshold): its headline and question results as JSON (services/figures.py).
    figures: str = Field(default="", sa_column=Column(Text, nullable=False, default=""))
    # The same figures without any question's bars (headline, each question's count and
    # mean): all the survey's results list and heat map read of a team.
    summary: str = Field(default="", sa_column=Column(Text, nullable=False, default=""))


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
    # The latest scheduled reminder (its day after launch) this person was sent; 0: none.
    # Set with the reminder's mail in one transaction, so a job run twice sends it once.
    reminded_day: int = 0


class SurveyLink(TenantOwned, table=True):
    """A personal link's token (only its hash). A reminder adds a new link; all stay valid."""

    refused_when_read_only: ClassVar[bool] = True

    id: int | None = Field(default=None, primary_key=True)
    invitation_id: int = Field(foreign_key="surveyinvitation.id", index=True, ondelete="CASCADE")
    token_hash: str = Field(max_length=64, unique=True, index=True)


# SQLite: no rowid, so rows sit in the order of their random primary key, not of insertion.
NO_ROWID = {"sqlite_with_rowid": False}


class SurveySealedResponse(TenantOwned, table=True):
    """A response waiting, sealed, for its survey to close: random id, no person, no time."""

    refused_when_read_only: ClassVar[bool] = True

    __table_args__ = NO_ROWID

    id: str = Field(primary_key=True, max_length=32)
    survey_id: int = Field(foreign_key="survey.id", index=True, ondelete="CASCADE")
    survey_team_id: int = Field(foreign_key="surveyteam.id", index=True, ondelete="CASCADE")
    sealed: bytes = Field(sa_column=Column(LargeBinary, nullable=False))


class SurveyTally(TenantOwned, table=True):
    """How many responses of a team gave `value` to a question ("" option for scales; the
    option for choices; "now:clan" etc. for OCAI points). Counters only: no response rows."""

    refused_when_read_only: ClassVar[bool] = True

    survey_team_id: int = Field(foreign_key="surveyteam.id", primary_key=True, ondelete="CASCADE")
    question_id: int = Field(foreign_key="surveyquestion.id", primary_key=True, ondelete="CASCADE")
    option_key: str = Field(default="", primary_key=True, max_length=40)
    value: float = Field(primary_key=True)
    survey_id: int = Field(foreign_key="survey.id", index=True, ondelete="CASCADE")
    count: int = 0


class SurveyComment(TenantOwned, table=True):
    """One free-text answer, apart from the response it came with: random id, no time."""

    refused_when_read_only: ClassVar[bool] = True

    __table_args__ = NO_ROWID

    id: str = Field(primary_key=True, max_length=32)
    survey_id: int = Field(foreign_key="survey.id", index=True, ondelete="CASCADE")
    survey_team_id: int = Field(foreign_key="surveyteam.id", ondelete="CASCADE")
    question_id: int = Field(foreign_key="surveyquestion.id", ondelete="CASCADE")
    text: str = Field(sa_column=Column(Text, nullable=False))


class SurveyOpenKey(TenantOwned, table=True):
    """A browser that answered through an open link (the hash of the key it keeps), so a
    reload cannot answer again; or the receipt of one filled-in form (any link), so its
    retry is told the answers were received. Neither names a person or a response. Dropped
    when the survey closes."""

    refused_when_read_only: ClassVar[bool] = True

    __table_args__ = NO_ROWID

    key_hash: str = Field(primary_key=True, max_length=64)
    survey_id: int = Field(foreign_key="survey.id", index=True, ondelete="CASCADE")


class SurveyFigures(TenantOwned, table=True):
    """A closed survey's organisation-level figures, rendered once at the close from the
    counters and the small teams' answers (services/figures.py), and kept sealed: they include
    the small teams, which the counters of the large teams would otherwise give away by
    subtraction. Stored only when the organisation total may be shown."""

    refused_when_read_only: ClassVar[bool] = True

    __table_args__ = (UniqueConstraint("org_id", "survey_id"),)

    id: int | None = Field(default=None, primary_key=True)
    survey_id: int = Field(foreign_key="survey.id", index=True, ondelete="CASCADE")
    # The responses the figures count: a read whose count differs computes them afresh.
    responses: int
    sealed: bytes = Field(sa_column=Column(LargeBinary, nullable=False))
