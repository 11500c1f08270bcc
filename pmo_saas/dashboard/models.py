"""API keys and their rate counters, dashboard share links, and initiative governance.

- `ApiKey`: an organisation's key for the REST API. Only its SHA-256 hash is stored (the key is
  shown once); `prefix` lets people recognise it in the list.
- `ApiRateCounter`: requests per key per UTC minute, counted in the database so every worker
  of every process sees the same figure (an in-process bucket would multiply the limit).
- `ShareLink`: a read-only link to the dashboard for people without an account; only the
  token's hash is stored; it expires and can be revoked.
- `InitiativeLifecycle`, `GateReview`, `GovernanceDecision`: the DSDM lifecycle of an
  initiative, its stage-gate reviews and the decisions log.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import ClassVar

from sqlalchemy import Column, String, Text, UniqueConstraint
from sqlmodel import Field, SQLModel

from pmo_saas.db import TenantOwned
from pmo_saas.kernel.clock import utcnow

SCOPE_READ = "read"
SCOPE_READ_WRITE = "read_write"
SCOPES = (SCOPE_READ, SCOPE_READ_WRITE)


class ApiKey(TenantOwned, table=True):
    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(max_length=120)
    prefix: str = Field(max_length=16)
    key_hash: str = Field(max_length=64, unique=True, index=True)
    scope: str = Field(default=SCOPE_READ, sa_type=String(16))
    created_by_id: int | None = Field(default=None, foreign_key="user.id", ondelete="SET NULL")
    created_at: datetime = Field(default_factory=utcnow)
    last_used_at: datetime | None = None
    revoked_at: datetime | None = None


class ApiRateCounter(SQLModel, table=True):
    """Not tenant-owned: it is read and written while the key is checked, before any tenant."""

    __table_args__ = (UniqueConstraint("key_id", "minute"),)

    id: int | None = Field(default=None, primary_key=True)
    key_id: int = Field(foreign_key="apikey.id", index=True, ondelete="CASCADE")
    # Minutes since the epoch (UTC).
    minute: int = Field(index=True)
    count: int = 0


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
