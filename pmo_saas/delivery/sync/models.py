"""Tables of the synchronisation: a connection per Jira project or GitHub repository, the
status map (their status -> our column), each sync run, and the link of a synced item.

The API token is stored only as Fernet ciphertext (`token_encrypted`); no DTO carries it.
"""

from __future__ import annotations

from datetime import datetime
from typing import ClassVar

from sqlalchemy import Column, Index, String, Text, UniqueConstraint
from sqlmodel import Field

from pmo_saas.db import TenantOwned
from pmo_saas.kernel.clock import utcnow

JIRA, GITHUB = "jira", "github"
NEVER, QUEUED, RUNNING, OK, FAILED = "never", "queued", "running", "ok", "failed"


class SyncConnection(TenantOwned, table=True):
    refused_when_read_only: ClassVar[bool] = True
    __table_args__ = (
        UniqueConstraint("org_id", "kind", "base_url", "project", name="uq_syncconnection_project"),
    )

    id: int | None = Field(default=None, primary_key=True)
    kind: str = Field(sa_type=String(16))
    base_url: str = Field(max_length=300)
    project: str = Field(max_length=200)  # a Jira project key, or "owner/repo"
    account: str = Field(default="", max_length=200)  # Jira: the account's e-mail
    token_encrypted: str = Field(sa_column=Column(Text, nullable=False))
    token_hint: str = Field(default="", max_length=8)  # its last 4 characters, for "••••abcd"
    portfolio_id: int = Field(foreign_key="portfolio.id", index=True, ondelete="CASCADE")
    initiative_id: int = Field(foreign_key="initiative.id", index=True, ondelete="CASCADE")
    created_at: datetime = Field(default_factory=utcnow)
    # The peer's own `updated` time of the newest item seen: the next sync asks from there.
    cursor: datetime | None = None
    status: str = Field(default=NEVER, sa_type=String(16))
    last_run_at: datetime | None = None
    last_ok_at: datetime | None = None
    last_error: str = Field(default="", max_length=500)
    # A lease: a sync holds it until then, so two never run on one connection at once.
    locked_until: datetime | None = None


class StatusMapping(TenantOwned, table=True):
    """Their status -> our column; `to_column` "" is unmapped (shown, never dropped)."""

    refused_when_read_only: ClassVar[bool] = True
    __table_args__ = (
        UniqueConstraint("org_id", "connection_id", "external", name="uq_statusmapping_external"),
    )

    id: int | None = Field(default=None, primary_key=True)
    connection_id: int = Field(foreign_key="syncconnection.id", index=True, ondelete="CASCADE")
    external: str = Field(max_length=120)
    to_column: str = Field(default="", sa_type=String(16))
    items: int = 0  # items in that status at the last sync
    last_seen_at: datetime = Field(default_factory=utcnow)


class SyncRun(TenantOwned, table=True):
    refused_when_read_only: ClassVar[bool] = True
    __table_args__ = (Index("ix_syncrun_org_connection_started", "org_id", "connection_id", "id"),)

    id: int | None = Field(default=None, primary_key=True)
    connection_id: int = Field(foreign_key="syncconnection.id", ondelete="CASCADE")
    trigger: str = Field(default="manual", sa_type=String(16))  # "manual" or "schedule"
    started_at: datetime = Field(default_factory=utcnow)
    finished_at: datetime | None = None
    status: str = Field(default=RUNNING, sa_type=String(16))
    fetched: int = 0
    created: int = 0
    updated: int = 0
    removed: int = 0
    unmapped: int = 0
    requests: int = 0
    error: str = Field(default="", max_length=500)


class SyncedItem(TenantOwned, table=True):
    """A work item's twin on the other side: its key, raw status and last change there."""

    refused_when_read_only: ClassVar[bool] = True
    __table_args__ = (
        UniqueConstraint("org_id", "connection_id", "external_key", name="uq_synceditem_key"),
    )

    id: int | None = Field(default=None, primary_key=True)
    connection_id: int = Field(foreign_key="syncconnection.id", index=True, ondelete="CASCADE")
    work_item_id: int = Field(foreign_key="workitem.id", index=True, ondelete="CASCADE")
    external_key: str = Field(max_length=120)
    external_status: str = Field(default="", max_length=120)
    external_status_at: datetime | None = None
    remote_updated_at: datetime | None = None
    # When the peer stopped listing it: the work item and its history stay.
    removed_at: datetime | None = None
