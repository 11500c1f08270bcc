"""API keys and their rate counters, and dashboard share links.

- `ApiKey`: an organisation's key for the REST API. Only its SHA-256 hash is stored (the key is
  shown once); `prefix` lets people recognise it in the list.
- `ApiRateCounter`: requests per key per UTC minute, counted in the database so every worker
  of every process sees the same figure (an in-process bucket would multiply the limit).
- `ShareLink`: a read-only link to the dashboard for people without an account; only the
  token's hash is stored; it expires and can be revoked.

The governance tables (lifecycle, gate reviews, decisions log) are portfolio's (portfolio.models).
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import String, UniqueConstraint
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
