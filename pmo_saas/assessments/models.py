"""Assessment models (versioned), rounds, participants, raw answers and focus dimensions.

Shape of the data:

- `AssessmentModel` is the named family a coach edits ("Agile maturity", "Team health check").
  Its content lives in `AssessmentModelVersion`s: each version owns its scale levels
  (`AssessmentLevel`), `AssessmentDimension`s and their `AssessmentStatement`s. A version that
  a round has used is `locked`; editing the model then copies it into a new version, so a past
  round's results always read the version it was answered against.
- A dimension's `key` is stable across versions of one model: it is how "the change since the
  team's previous round" and coaching plans follow a dimension through edits.
- `AssessmentRound` is answered by `RoundParticipant`s (one per person per team, snapshot of
  the team's members when the round opened). Each participant's raw `AssessmentAnswer`s carry
  the round, team and dimension so the database aggregates them directly (never an average of
  averages). A statement left unanswered has no row. When a round closes, its answers' count
  and sum per team and dimension go into `RoundDimensionTotal` (exact, never averages).
- References to a version's content use NO ACTION (not RESTRICT): used content is never
  deleted (its version is locked), and deleting an organisation removes everything at once.
- `FocusDimension`: a dimension the coach marked from a team's result; coaching plans start
  from these.
"""

from __future__ import annotations

from datetime import datetime
from typing import ClassVar

from sqlalchemy import Column, Index, String, Text, UniqueConstraint
from sqlmodel import Field

from pmo_saas.db import TenantOwned
from pmo_saas.kernel.clock import utcnow

KIND_MATURITY = "maturity"
KIND_HEALTH_CHECK = "health_check"

ROUND_OPEN = "open"
ROUND_CLOSED = "closed"


class AssessmentModel(TenantOwned, table=True):
    refused_when_read_only: ClassVar[bool] = True
    __table_args__ = (UniqueConstraint("org_id", "name"),)

    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(max_length=120)
    description: str = Field(default="", sa_column=Column(Text, nullable=False, default=""))
    kind: str = Field(default=KIND_MATURITY, sa_type=String(16))
    # Set for the product's built-in models ("agile_maturity", "team_health"); None when built.
    builtin_key: str | None = Field(default=None, max_length=40)
    # The model this one was copied from, if any.
    copied_from_id: int | None = Field(
        default=None, foreign_key="assessmentmodel.id", ondelete="SET NULL"
    )
    archived_at: datetime | None = None
    created_by_id: int | None = Field(default=None, foreign_key="user.id", ondelete="SET NULL")
    created_at: datetime = Field(default_factory=utcnow)


class AssessmentModelVersion(TenantOwned, table=True):
    refused_when_read_only: ClassVar[bool] = True
    __table_args__ = (UniqueConstraint("org_id", "model_id", "number"),)

    id: int | None = Field(default=None, primary_key=True)
    model_id: int = Field(foreign_key="assessmentmodel.id", index=True, ondelete="CASCADE")
    number: int = 1
    # True once a round has used this version: its content never changes again.
    locked: bool = False
    # Whether respondents also give a trend (better / same / worse) per dimension.
    asks_trend: bool = False
    created_at: datetime = Field(default_factory=utcnow)


class AssessmentLevel(TenantOwned, table=True):
    """One step of a version's rating scale, e.g. 3 = "Defined: ..."."""

    refused_when_read_only: ClassVar[bool] = True
    __table_args__ = (UniqueConstraint("org_id", "version_id", "value"),)

    id: int | None = Field(default=None, primary_key=True)
    version_id: int = Field(foreign_key="assessmentmodelversion.id", index=True, ondelete="CASCADE")
    value: int
    label: str = Field(max_length=60)
    description: str = Field(default="", sa_column=Column(Text, nullable=False, default=""))


class AssessmentDimension(TenantOwned, table=True):
    refused_when_read_only: ClassVar[bool] = True
    __table_args__ = (UniqueConstraint("org_id", "version_id", "key"),)

    id: int | None = Field(default=None, primary_key=True)
    version_id: int = Field(foreign_key="assessmentmodelversion.id", index=True, ondelete="CASCADE")
    key: str = Field(max_length=60)
    position: int = 0
    name: str = Field(max_length=120)
    description: str = Field(default="", sa_column=Column(Text, nullable=False, default=""))


class AssessmentStatement(TenantOwned, table=True):
    refused_when_read_only: ClassVar[bool] = True
    id: int | None = Field(default=None, primary_key=True)
    dimension_id: int = Field(foreign_key="assessmentdimension.id", index=True, ondelete="CASCADE")
    position: int = 0
    text: str = Field(sa_column=Column(Text, nullable=False))


class AssessmentRound(TenantOwned, table=True):
    refused_when_read_only: ClassVar[bool] = True
    id: int | None = Field(default=None, primary_key=True)
    title: str = Field(max_length=160)
    model_version_id: int = Field(foreign_key="assessmentmodelversion.id", index=True)
    status: str = Field(default=ROUND_OPEN, sa_type=String(16), index=True)
    # Facilitator notes, visible to coaches only.
    notes: str = Field(default="", sa_column=Column(Text, nullable=False, default=""))
    created_by_id: int | None = Field(default=None, foreign_key="user.id", ondelete="SET NULL")
    opened_at: datetime = Field(default_factory=utcnow, index=True)
    closed_at: datetime | None = Field(default=None, index=True)


class RoundTeam(TenantOwned, table=True):
    refused_when_read_only: ClassVar[bool] = True
    __table_args__ = (UniqueConstraint("org_id", "round_id", "team_id"),)

    id: int | None = Field(default=None, primary_key=True)
    round_id: int = Field(foreign_key="assessmentround.id", index=True, ondelete="CASCADE")
    team_id: int = Field(foreign_key="team.id", index=True, ondelete="CASCADE")


class RoundParticipant(TenantOwned, table=True):
    """One person answering for one team in one round; their answers are theirs alone."""

    refused_when_read_only: ClassVar[bool] = True
    __table_args__ = (UniqueConstraint("org_id", "round_id", "team_id", "user_id"),)

    id: int | None = Field(default=None, primary_key=True)
    round_id: int = Field(foreign_key="assessmentround.id", index=True, ondelete="CASCADE")
    team_id: int = Field(foreign_key="team.id", index=True, ondelete="CASCADE")
    user_id: int = Field(foreign_key="user.id", index=True, ondelete="CASCADE")
    started_at: datetime | None = None
    updated_at: datetime | None = None
    submitted_at: datetime | None = None


class AssessmentAnswer(TenantOwned, table=True):
    """One raw rating. round/team/dimension are copied in so the database aggregates directly."""

    refused_when_read_only: ClassVar[bool] = True
    __table_args__ = (
        UniqueConstraint("org_id", "participant_id", "statement_id"),
        # Covers the heat map and per-team aggregates: grouped reads never touch the table.
        Index(
            "ix_assessmentanswer_rollup", "org_id", "round_id", "team_id", "dimension_id", "value"
        ),
        # The dashboard's maturity tile: means per round and dimension, already in order.
        Index("ix_assessmentanswer_round_dimension", "org_id", "round_id", "dimension_id", "value"),
    )

    id: int | None = Field(default=None, primary_key=True)
    participant_id: int = Field(foreign_key="roundparticipant.id", index=True, ondelete="CASCADE")
    statement_id: int = Field(foreign_key="assessmentstatement.id")
    round_id: int = Field(foreign_key="assessmentround.id", index=True, ondelete="CASCADE")
    team_id: int = Field(foreign_key="team.id", ondelete="CASCADE")
    dimension_id: int = Field(foreign_key="assessmentdimension.id")
    value: int


class RoundDimensionTotal(TenantOwned, table=True):
    """A closed round's answers per team and dimension: how many, and their sum.

    Written from the raw answers when the round closes (close_round), after which its answers
    never change. A row goes with its round or team (CASCADE), as their answers do, so the sums
    stay those of the answers left: the dashboard reads these rows, not every answer.
    """

    refused_when_read_only: ClassVar[bool] = True
    __table_args__ = (
        UniqueConstraint("org_id", "round_id", "team_id", "dimension_id"),
        # The maturity tile's sums per round and dimension, in order, from the index alone.
        Index(
            "ix_rounddimensiontotal_round_dimension",
            "org_id",
            "round_id",
            "dimension_id",
            "answers",
            "total",
        ),
    )

    id: int | None = Field(default=None, primary_key=True)
    round_id: int = Field(foreign_key="assessmentround.id", index=True, ondelete="CASCADE")
    team_id: int = Field(foreign_key="team.id", index=True, ondelete="CASCADE")
    dimension_id: int = Field(foreign_key="assessmentdimension.id")
    answers: int
    total: int


class DimensionComment(TenantOwned, table=True):
    """A participant's optional comment and (health checks) trend for one dimension."""

    refused_when_read_only: ClassVar[bool] = True
    __table_args__ = (UniqueConstraint("org_id", "participant_id", "dimension_id"),)

    id: int | None = Field(default=None, primary_key=True)
    participant_id: int = Field(foreign_key="roundparticipant.id", index=True, ondelete="CASCADE")
    round_id: int = Field(foreign_key="assessmentround.id", index=True, ondelete="CASCADE")
    team_id: int = Field(foreign_key="team.id", ondelete="CASCADE")
    dimension_id: int = Field(foreign_key="assessmentdimension.id")
    comment: str = Field(default="", sa_column=Column(Text, nullable=False, default=""))
    # -1 worse, 0 the same, +1 better; None when not asked or not given.
    trend: int | None = None


class FocusDimension(TenantOwned, table=True):
    """A dimension the coach chose to work on with a team, marked from a round's result."""

    refused_when_read_only: ClassVar[bool] = True
    __table_args__ = (UniqueConstraint("org_id", "round_id", "team_id", "dimension_id"),)

    id: int | None = Field(default=None, primary_key=True)
    round_id: int = Field(foreign_key="assessmentround.id", index=True, ondelete="CASCADE")
    team_id: int = Field(foreign_key="team.id", index=True, ondelete="CASCADE")
    dimension_id: int = Field(foreign_key="assessmentdimension.id")
    note: str = Field(default="", sa_column=Column(Text, nullable=False, default=""))
    marked_by_id: int | None = Field(default=None, foreign_key="user.id", ondelete="SET NULL")
    created_at: datetime = Field(default_factory=utcnow)
