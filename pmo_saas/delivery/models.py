"""Work items under an initiative and the status history of initiatives and work items.

The history is the one source of flow: every move is a `StatusChange` row written by the
services (boards, edits, imports with the source's own times). A work item also keeps its
`started_at` / `done_at` as derived from its history, so the portfolio's throughput and cycle
times are one indexed read. `external_key` and `source` leave room for synchronised items.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import ClassVar

from sqlalchemy import Index, String, UniqueConstraint
from sqlmodel import Field

from pmo_saas.db import TenantOwned
from pmo_saas.kernel.clock import utcnow


class WorkItem(TenantOwned, table=True):
    refused_when_read_only: ClassVar[bool] = True
    # Covering indexes: the portfolio's figures read only index pages.
    __table_args__ = (
        Index(
            "ix_workitem_org_portfolio_done",
            "org_id",
            "portfolio_id",
            "done_at",
            "cycle_days",
            "lead_days",
            "active_days",
            "waiting_days",
        ),
        # The work in progress and its age: read from this index alone.
        Index(
            "ix_workitem_org_portfolio_status",
            "org_id",
            "portfolio_id",
            "status",
            "started_at",
            "removed_at",
        ),
    )

    id: int | None = Field(default=None, primary_key=True)
    portfolio_id: int = Field(foreign_key="portfolio.id", index=True, ondelete="CASCADE")
    initiative_id: int = Field(foreign_key="initiative.id", index=True, ondelete="CASCADE")
    kind: str = Field(default="story", sa_type=String(16))
    title: str = Field(max_length=300)
    status: str = Field(default="backlog", sa_type=String(16))
    estimate: float | None = None
    created_at: datetime = Field(default_factory=utcnow)
    started_at: datetime | None = None
    done_at: datetime | None = None
    # Kept by every move (history.move_work_item), so the portfolio's figures are aggregates:
    # the last move, days worked and waiting since the start, and cycle/lead days once done.
    moved_at: datetime = Field(default_factory=utcnow)
    active_days: float = 0.0
    waiting_days: float = 0.0
    cycle_days: float | None = None
    lead_days: float | None = None
    # Where it came from: "manual", "csv" (later "jira", "github" with their key).
    source: str = Field(default="manual", sa_type=String(16))
    external_key: str = Field(default="", max_length=120)
    # Removed at the source (a synced item its peer no longer lists) or deleted by hand: the
    # item and its history stay, but it counts in no figure (history.set_removed).
    removed_at: datetime | None = None


class StatusChange(TenantOwned, table=True):
    """One move: of an initiative (`work_item_id` None) or of one of its work items."""

    refused_when_read_only: ClassVar[bool] = True
    __table_args__ = (
        Index(
            "ix_statuschange_org_portfolio_at",
            "org_id",
            "portfolio_id",
            "at",
            "work_item_id",
            "from_status",
            "to_status",
        ),
    )

    id: int | None = Field(default=None, primary_key=True)
    portfolio_id: int = Field(foreign_key="portfolio.id", ondelete="CASCADE")
    initiative_id: int = Field(foreign_key="initiative.id", index=True, ondelete="CASCADE")
    work_item_id: int | None = Field(
        default=None, foreign_key="workitem.id", index=True, ondelete="CASCADE"
    )
    from_status: str | None = Field(default=None, sa_type=String(16))
    to_status: str = Field(sa_type=String(16))
    at: datetime
    by_user_id: int | None = Field(default=None, foreign_key="user.id", ondelete="SET NULL")
    source: str = Field(default="board", sa_type=String(16))


class FlowDay(TenantOwned, table=True):
    """The portfolio's flow, summed: written by history.py in the moves' own transaction, so
    the portfolio's figures read a few hundred rows, not its whole history. Removed items are
    in none of it. `measure`, and what `day`, `key`, `n` and `total` mean for it:
    - "move": `day` the UTC day, `key` "from>to" (from "" for an arrival), `n` moves;
    - "done": `day` the Monday of the items' done week, `n` items done (now);
    - "cycle" / "lead": that Monday, `key` the days as shown (one decimal) in tenths, `n` items;
    - "active" / "waiting": that Monday, `total` the done items' days worked / waiting.
    """

    refused_when_read_only: ClassVar[bool] = True
    __table_args__ = (
        UniqueConstraint("org_id", "portfolio_id", "measure", "day", "key", name="uq_flowday"),
    )

    id: int | None = Field(default=None, primary_key=True)
    portfolio_id: int = Field(foreign_key="portfolio.id", ondelete="CASCADE")
    measure: str = Field(sa_type=String(8))
    day: date
    key: str = Field(default="", sa_type=String(24))
    n: int = 0
    total: float = 0.0


class FlowTally(TenantOwned, table=True):
    """How many live (not removed) work items each initiative has in each column now."""

    refused_when_read_only: ClassVar[bool] = True
    __table_args__ = (
        UniqueConstraint("org_id", "initiative_id", "status", name="uq_flowtally"),
        Index("ix_flowtally_org_portfolio", "org_id", "portfolio_id", "initiative_id"),
    )

    id: int | None = Field(default=None, primary_key=True)
    portfolio_id: int = Field(foreign_key="portfolio.id", ondelete="CASCADE")
    initiative_id: int = Field(foreign_key="initiative.id", ondelete="CASCADE")
    status: str = Field(sa_type=String(16))
    n: int = 0
