"""Team capacity per quarter and allocations of funded initiatives to teams.

Shape of the data:

- `TeamCapacity`: one row per team and quarter ("2027-Q1"): how many people and how many days
  each is available, so capacity is `people x days_per_person` person-days. `value_stream`
  says which value stream the team serves that quarter (its capacity counts there).
- `Allocation`: person-days of one funded initiative given to one team in one quarter. The
  initiative is the portfolio's, read through capacity/portfolio_link.py, so it is a plain id
  (as coaching keeps promoted initiatives), not a foreign key into another domain's tables.
"""

from __future__ import annotations

from datetime import datetime
from typing import ClassVar

from sqlalchemy import Index, UniqueConstraint
from sqlmodel import Field

from pmo_saas.db import TenantOwned
from pmo_saas.kernel.clock import utcnow


class TeamCapacity(TenantOwned, table=True):
    refused_when_read_only: ClassVar[bool] = True
    __table_args__ = (UniqueConstraint("org_id", "team_id", "quarter"),)

    id: int | None = Field(default=None, primary_key=True)
    team_id: int = Field(foreign_key="team.id", index=True, ondelete="CASCADE")
    quarter: str = Field(max_length=7, index=True)
    people: float = 0.0
    days_per_person: float = 0.0
    value_stream: str = Field(default="", max_length=120)
    updated_by_id: int | None = Field(default=None, foreign_key="user.id", ondelete="SET NULL")
    updated_at: datetime = Field(default_factory=utcnow)


class Allocation(TenantOwned, table=True):
    refused_when_read_only: ClassVar[bool] = True
    __table_args__ = (
        UniqueConstraint("org_id", "initiative_id", "team_id", "quarter"),
        # Demand per team and quarter is one grouped read of this index.
        Index("ix_allocation_demand", "org_id", "team_id", "quarter", "person_days"),
    )

    id: int | None = Field(default=None, primary_key=True)
    initiative_id: int = Field(index=True)
    team_id: int = Field(foreign_key="team.id", index=True, ondelete="CASCADE")
    quarter: str = Field(max_length=7)
    person_days: float = 0.0
    created_by_id: int | None = Field(default=None, foreign_key="user.id", ondelete="SET NULL")
    created_at: datetime = Field(default_factory=utcnow)


class MemberSkill(TenantOwned, table=True):
    """A skill one person of the organisation has (an optional tag on their membership)."""

    refused_when_read_only: ClassVar[bool] = True
    __table_args__ = (UniqueConstraint("org_id", "user_id", "skill"),)

    id: int | None = Field(default=None, primary_key=True)
    user_id: int = Field(foreign_key="user.id", index=True, ondelete="CASCADE")
    skill: str = Field(max_length=60)


class InitiativeSkill(TenantOwned, table=True):
    """A skill a funded initiative needs, and how many people with it (the demand its teams
    carry in every quarter it is allocated to them)."""

    refused_when_read_only: ClassVar[bool] = True
    __table_args__ = (UniqueConstraint("org_id", "initiative_id", "skill"),)

    id: int | None = Field(default=None, primary_key=True)
    initiative_id: int = Field(index=True)
    skill: str = Field(max_length=60)
    people: int = 1
