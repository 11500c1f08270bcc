"""Roll-out waves, the teams in each, and each wave's entry and exit criteria.

Shape of the data:

- `RolloutWave`: one step of the transformation roadmap (pilot, wave 1, wave 2 ...), in
  roadmap order (`position`), with its dates. `is_pilot` marks the wave(s) whose teams the
  roadmap compares with the rest.
- `WaveTeam`: a team in a wave; a team is in at most one wave.
- `WaveCriterion`: a structured entry or exit criterion: a metric (maturity from the latest
  closed assessment round, or a culture-survey figure from the latest closed survey of an
  instrument), what it reads (a dimension key, a survey question key, or "" for the overall
  figure), an operator and a threshold: "maturity >= 3 in Team practices".
"""

from __future__ import annotations

from datetime import date, datetime
from typing import ClassVar

from sqlalchemy import Column, String, Text, UniqueConstraint
from sqlmodel import Field

from pmo_saas.db import TenantOwned
from pmo_saas.kernel.clock import utcnow

ENTRY = "entry"
EXIT = "exit"
CRITERION_KINDS = {ENTRY: "Entry", EXIT: "Exit"}
MATURITY = "maturity"
SURVEY = "survey"
METRICS = {MATURITY: "Maturity (latest assessment round)", SURVEY: "Culture survey figure"}
OPERATORS = (">=", ">", "<=", "<")


class RolloutWave(TenantOwned, table=True):
    refused_when_read_only: ClassVar[bool] = True
    __table_args__ = (UniqueConstraint("org_id", "title"),)

    id: int | None = Field(default=None, primary_key=True)
    title: str = Field(max_length=120)
    position: int = 0
    is_pilot: bool = False
    starts_on: date | None = None
    ends_on: date | None = None
    notes: str = Field(default="", sa_column=Column(Text, nullable=False, default=""))
    created_at: datetime = Field(default_factory=utcnow)


class WaveTeam(TenantOwned, table=True):
    refused_when_read_only: ClassVar[bool] = True
    __table_args__ = (UniqueConstraint("org_id", "team_id"),)

    id: int | None = Field(default=None, primary_key=True)
    wave_id: int = Field(foreign_key="rolloutwave.id", index=True, ondelete="CASCADE")
    team_id: int = Field(foreign_key="team.id", index=True, ondelete="CASCADE")


class WaveCriterion(TenantOwned, table=True):
    refused_when_read_only: ClassVar[bool] = True

    id: int | None = Field(default=None, primary_key=True)
    wave_id: int = Field(foreign_key="rolloutwave.id", index=True, ondelete="CASCADE")
    kind: str = Field(default=EXIT, sa_type=String(8))
    metric: str = Field(default=MATURITY, sa_type=String(16))
    # maturity: a dimension key ("" = every dimension); survey: a question key ("" = headline).
    key: str = Field(default="", max_length=60)
    # survey only: the instrument whose latest closed survey is read ("westrum", ...).
    instrument: str = Field(default="", max_length=16)
    operator: str = Field(default=">=", sa_type=String(2))
    threshold: float = 0.0
