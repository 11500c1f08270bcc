"""The plan side of delivery: what the published plan promised each initiative (dates, budget,
value, funding tranches, a traditional baseline) beside what happened (spend per month, RAG
status with its reasons, measured key results).

Tables of the migration 0910_delivery_plan. One `InitiativePlan` row per funded initiative;
everything else hangs off the initiative so it survives a re-adopted plan.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import ClassVar

from sqlalchemy import BigInteger, Column, String, Text, UniqueConstraint
from sqlmodel import Field

from pmo_saas.db import TenantOwned
from pmo_saas.kernel.clock import utcnow

AGILE = "agile"
TRADITIONAL = "traditional"
APPROACHES = {AGILE: "Agile (DSDM)", TRADITIONAL: "Traditional"}
RAGS = {"green": "Green", "amber": "Amber", "red": "Red"}
PLANNED, RELEASED, STOPPED = "planned", "released", "stopped"


class InitiativePlan(TenantOwned, table=True):
    """What the published plan funded for one initiative, and its traditional baseline."""

    refused_when_read_only: ClassVar[bool] = True
    __table_args__ = (UniqueConstraint("org_id", "initiative_id"),)

    id: int | None = Field(default=None, primary_key=True)
    portfolio_id: int = Field(foreign_key="portfolio.id", index=True, ondelete="CASCADE")
    initiative_id: int = Field(foreign_key="initiative.id", index=True, ondelete="CASCADE")
    published_plan_id: int | None = Field(
        default=None, foreign_key="publishedplan.id", ondelete="SET NULL"
    )
    approach: str = Field(default=AGILE, sa_type=String(16))
    planned_start: date | None = None
    planned_end: date | None = None
    planned_budget: int = Field(default=0, sa_type=BigInteger)
    # The business value scored at funding time (the plan line's score).
    promised_value: float | None = None
    actual_start: date | None = None
    actual_end: date | None = None
    # Traditional projects: the baseline of scope (units of work), schedule and cost.
    baseline_scope: float | None = None
    baseline_start: date | None = None
    baseline_end: date | None = None
    baseline_budget: int | None = Field(default=None, sa_type=BigInteger)
    baselined_at: datetime | None = None
    # The current RAG (its history is RagChange); "" until first set.
    rag: str = Field(default="", sa_type=String(8))
    rag_reason: str = Field(default="", sa_column=Column(Text, nullable=False, default=""))
    created_at: datetime = Field(default_factory=utcnow)
    updated_at: datetime = Field(default_factory=utcnow)


class RagChange(TenantOwned, table=True):
    refused_when_read_only: ClassVar[bool] = True
    id: int | None = Field(default=None, primary_key=True)
    initiative_id: int = Field(foreign_key="initiative.id", index=True, ondelete="CASCADE")
    rag: str = Field(sa_type=String(8))
    reason: str = Field(sa_column=Column(Text, nullable=False))
    set_by_id: int | None = Field(default=None, foreign_key="user.id", ondelete="SET NULL")
    set_at: datetime = Field(default_factory=utcnow)


class SpendEntry(TenantOwned, table=True):
    """Actual spend of one initiative in one month (`month` is its first day)."""

    refused_when_read_only: ClassVar[bool] = True
    __table_args__ = (UniqueConstraint("org_id", "initiative_id", "month"),)

    id: int | None = Field(default=None, primary_key=True)
    initiative_id: int = Field(foreign_key="initiative.id", index=True, ondelete="CASCADE")
    month: date
    amount: int = Field(sa_type=BigInteger)
    source: str = Field(default="manual", sa_type=String(16))
    recorded_by_id: int | None = Field(default=None, foreign_key="user.id", ondelete="SET NULL")
    updated_at: datetime = Field(default_factory=utcnow)


class FundingTranche(TenantOwned, table=True):
    """One tranche of an initiative's funding: planned, released by a gate, or stopped."""

    refused_when_read_only: ClassVar[bool] = True
    __table_args__ = (UniqueConstraint("org_id", "initiative_id", "position"),)

    id: int | None = Field(default=None, primary_key=True)
    initiative_id: int = Field(foreign_key="initiative.id", index=True, ondelete="CASCADE")
    position: int
    amount: int = Field(sa_type=BigInteger)
    status: str = Field(default=PLANNED, sa_type=String(16))
    released_on: date | None = None
    gate_review_id: int | None = Field(
        default=None, foreign_key="gatereview.id", ondelete="SET NULL"
    )


class KeyResult(TenantOwned, table=True):
    """A measurable expected outcome of a funded initiative: a target by a date."""

    refused_when_read_only: ClassVar[bool] = True
    id: int | None = Field(default=None, primary_key=True)
    initiative_id: int = Field(foreign_key="initiative.id", index=True, ondelete="CASCADE")
    title: str = Field(max_length=200)
    target: float
    unit: str = Field(default="", max_length=40)
    due_on: date
    created_at: datetime = Field(default_factory=utcnow)


class KeyResultMeasure(TenantOwned, table=True):
    refused_when_read_only: ClassVar[bool] = True
    id: int | None = Field(default=None, primary_key=True)
    key_result_id: int = Field(foreign_key="keyresult.id", index=True, ondelete="CASCADE")
    measured_on: date
    value: float
    recorded_by_id: int | None = Field(default=None, foreign_key="user.id", ondelete="SET NULL")
    created_at: datetime = Field(default_factory=utcnow)
