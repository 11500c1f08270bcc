"""delivery sync: Jira / GitHub connections, their status maps, sync runs and synced items

Revision ID: 0901_delivery_sync
Revises: 0900_delivery
"""

from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
import sqlmodel

from alembic import op
from pmo_saas.rls import disable_tenant_rls, enable_tenant_rls, grant_existing

revision: str = "0901_delivery_sync"
down_revision: str | Sequence[str] | None = "0900_delivery"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TENANT_TABLES = ("syncconnection", "statusmapping", "syncrun", "synceditem")
UTC = sqlmodel.sql.sqltypes.UTCDateTime
TEXT = sqlmodel.sql.sqltypes.AutoString


def _tenant(table: str, *columns: Any) -> None:
    op.create_table(
        table,
        sa.Column("org_id", sa.Integer(), nullable=False),
        sa.Column("id", sa.Integer(), nullable=False),
        *columns,
        sa.ForeignKeyConstraint(["org_id"], ["organization.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index(op.f(f"ix_{table}_org_id"), table, ["org_id"], unique=False)


def _connection_fk() -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint(["connection_id"], ["syncconnection.id"], ondelete="CASCADE")


def upgrade() -> None:
    _tenant(
        "syncconnection",
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("base_url", TEXT(length=300), nullable=False),
        sa.Column("project", TEXT(length=200), nullable=False),
        sa.Column("account", TEXT(length=200), nullable=False),
        sa.Column("token_encrypted", sa.Text(), nullable=False),
        sa.Column("token_hint", TEXT(length=8), nullable=False),
        sa.Column("portfolio_id", sa.Integer(), nullable=False),
        sa.Column("initiative_id", sa.Integer(), nullable=False),
        sa.Column("created_at", UTC(), nullable=False),
        sa.Column("cursor", UTC(), nullable=True),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("last_run_at", UTC(), nullable=True),
        sa.Column("last_ok_at", UTC(), nullable=True),
        sa.Column("last_error", TEXT(length=500), nullable=False),
        sa.Column("locked_until", UTC(), nullable=True),
        sa.ForeignKeyConstraint(["initiative_id"], ["initiative.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["portfolio_id"], ["portfolio.id"], ondelete="CASCADE"),
        sa.UniqueConstraint(
            "org_id", "kind", "base_url", "project", name="uq_syncconnection_project"
        ),
    )
    for column in ("portfolio_id", "initiative_id"):
        op.create_index(op.f(f"ix_syncconnection_{column}"), "syncconnection", [column])
    _tenant(
        "statusmapping",
        sa.Column("connection_id", sa.Integer(), nullable=False),
        sa.Column("external", TEXT(length=120), nullable=False),
        sa.Column("to_column", sa.String(length=16), nullable=False),
        sa.Column("items", sa.Integer(), nullable=False),
        sa.Column("last_seen_at", UTC(), nullable=False),
        _connection_fk(),
        sa.UniqueConstraint(
            "org_id", "connection_id", "external", name="uq_statusmapping_external"
        ),
    )
    op.create_index(op.f("ix_statusmapping_connection_id"), "statusmapping", ["connection_id"])
    _tenant(
        "syncrun",
        sa.Column("connection_id", sa.Integer(), nullable=False),
        sa.Column("trigger", sa.String(length=16), nullable=False),
        sa.Column("started_at", UTC(), nullable=False),
        sa.Column("finished_at", UTC(), nullable=True),
        sa.Column("status", sa.String(length=16), nullable=False),
        *(
            sa.Column(name, sa.Integer(), nullable=False)
            for name in ("fetched", "created", "updated", "removed", "unmapped", "requests")
        ),
        sa.Column("error", TEXT(length=500), nullable=False),
        _connection_fk(),
    )
    op.create_index(
        "ix_syncrun_org_connection_started", "syncrun", ["org_id", "connection_id", "id"]
    )
    _tenant(
        "synceditem",
        sa.Column("connection_id", sa.Integer(), nullable=False),
        sa.Column("work_item_id", sa.Integer(), nullable=False),
        sa.Column("external_key", TEXT(length=120), nullable=False),
        sa.Column("external_status", TEXT(length=120), nullable=False),
        sa.Column("external_status_at", UTC(), nullable=True),
        sa.Column("remote_updated_at", UTC(), nullable=True),
        sa.Column("removed_at", UTC(), nullable=True),
        _connection_fk(),
        sa.ForeignKeyConstraint(["work_item_id"], ["workitem.id"], ondelete="CASCADE"),
        sa.UniqueConstraint("org_id", "connection_id", "external_key", name="uq_synceditem_key"),
    )
    for column in ("connection_id", "work_item_id"):
        op.create_index(op.f(f"ix_synceditem_{column}"), "synceditem", [column])
    grant_existing(op)
    for table in TENANT_TABLES:
        enable_tenant_rls(op, table)


def downgrade() -> None:
    for table in TENANT_TABLES:
        disable_tenant_rls(op, table)
    for table in reversed(TENANT_TABLES):
        op.drop_table(table)
