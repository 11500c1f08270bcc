"""API keys and their rate counters (the tables stay on the dashboard's Alembic branch).

- `ApiKey`: an organisation's key for the REST API. Only its SHA-256 hash is stored (the key is
  shown once); `prefix` lets people recognise it in the list; `role` is the role the key acts
  with, chosen at creation and never above its creator's.
- `ApiRateCounter`: requests per key per UTC minute, counted in the database so every worker
  of every process sees the same figure (an in-process bucket would multiply the limit).
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import String, UniqueConstraint
from sqlmodel import Field, SQLModel

from pmo_saas.db import TenantOwned
from pmo_saas.kernel.clock import utcnow
from pmo_saas.kernel.roles import Role

SCOPE_READ = "read"
SCOPE_READ_WRITE = "read_write"
SCOPES = (SCOPE_READ, SCOPE_READ_WRITE)
# Roles a key may act with (never owner: a key administers nothing an owner alone may).
KEY_ROLES = (Role.VIEWER, Role.MEMBER, Role.COACH, Role.ADMIN)


class ApiKey(TenantOwned, table=True):
    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(max_length=120)
    prefix: str = Field(max_length=16)
    key_hash: str = Field(max_length=64, unique=True, index=True)
    scope: str = Field(default=SCOPE_READ, sa_type=String(16))
    role: str = Field(default=Role.COACH.value, sa_type=String(16))
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
