"""Dashboard share links (API keys live in pmo_saas.rest.models; the governance tables, the
lifecycle, gate reviews and decisions log, in pmo_saas.portfolio.models).

- `ShareLink`: a read-only link to the dashboard for people without an account; only the
  token's hash is stored; it expires and can be revoked.
"""

from __future__ import annotations

from datetime import datetime

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
