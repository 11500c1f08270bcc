"""Dashboard share links and initiative governance (API keys live in pmo_saas.rest.models).

- `ShareLink`: a read-only link to the dashboard for people without an account; only the
  token's hash is stored; it expires and can be revoked.
- `InitiativeLifecycle`, `GateReview`, `GovernanceDecision`: the DSDM lifecycle of an
  initiative, its stage-gate reviews and the decisions log.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import ClassVar

from sqlalchemy import Column, String, Text, UniqueConstraint
from sqlmodel import Field

from pmo_saas.db import TenantOwned
from pmo_saas.kernel.clock import utcnow


class ShareLink(TenantOwned, table=True):
    id: int | None = Field(default=None, primary_key=True)
    label: str = Field(max_length=120)
    prefix: str = Field(max_length=16)
    token_hash: str = Field(max_length=64, unique=True, index=True)
    created_by_id: int | None = Field(default=None, foreign_key="user.id", ondelete="SET NULL")
    created_at: datetime = Field(default_factory=utcnow)
    expires_at: datetime
    revoked_at: datetime | None = None
    views: int = 0
    last_viewed_at: datetime | None = None


class InitiativeLifecycle(TenantOwned, table=True):
    """Where an initiative stands in the DSDM lifecycle (one row per initiative)."""

    __table_args__ = (UniqueConstraint("org_id", "initiative_id"),)

    id: int | None = Field(default=None, primary_key=True)
    initiative_id: int = Field(foreign_key="initiative.id", index=True, ondelete="CASCADE")
    stage: str = Field(default="pre_project", sa_type=String(32))
    # active, on_hold, stopped, completed
    status: str = Field(default="active", sa_type=String(16), index=True)
    updated_at: datetime = Field(default_factory=utcnow)


class GateReview(TenantOwned, table=True):
    refused_when_read_only: ClassVar[bool] = True
    id: int | None = Field(default=None, primary_key=True)
    initiative_id: int = Field(foreign_key="initiative.id", index=True, ondelete="CASCADE")
    # The stage whose gate was reviewed, and where the initiative went.
    stage: str = Field(sa_type=String(32))
    next_stage: str = Field(sa_type=String(32))
    decision: str = Field(sa_type=String(24))
    decided_on: date
    # Names of the approvers, one per line.
    approvers: str = Field(sa_column=Column(Text, nullable=False))
    conditions: str = Field(default="", sa_column=Column(Text, nullable=False, default=""))
    recorded_by_id: int | None = Field(default=None, foreign_key="user.id", ondelete="SET NULL")
    created_at: datetime = Field(default_factory=utcnow)


class GovernanceDecision(TenantOwned, table=True):
    refused_when_read_only: ClassVar[bool] = True
    id: int | None = Field(default=None, primary_key=True)
    initiative_id: int = Field(foreign_key="initiative.id", index=True, ondelete="CASCADE")
    gate_review_id: int | None = Field(
        default=None, foreign_key="gatereview.id", ondelete="SET NULL"
    )
    decided_on: date
    title: str = Field(max_length=200)
    rationale: str = Field(default="", sa_column=Column(Text, nullable=False, default=""))
    decided_by: str = Field(default="", max_length=200)
    recorded_by_id: int | None = Field(default=None, foreign_key="user.id", ondelete="SET NULL")
    created_at: datetime = Field(default_factory=utcnow)
