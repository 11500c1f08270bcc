"""delivery: work items under initiatives and the status history of initiatives and items

Revision ID: 0900_delivery
Revises: 0001_foundation
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel

from alembic import op
from pmo_saas.rls import disable_tenant_rls, enable_tenant_rls, grant_existing

revision: str = "0900_delivery"
down_revision: str | Sequence[str] | None = "0001_foundation"
branch_labels: str | Sequence[str] | None = ("delivery",)
# workitem and statuschange reference portfolio.id and initiative.id.
depends_on: str | Sequence[str] | None = ("0100_portfolio",)

TENANT_TABLES = ("workitem", "statuschange")


def upgrade() -> None:
    op.create_table(
        "workitem",
        sa.Column("org_id", sa.Integer(), nullable=False),
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("portfolio_id", sa.Integer(), nullable=False),
        sa.Column("initiative_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("title", sqlmodel.sql.sqltypes.AutoString(length=300), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("estimate", sa.Float(), nullable=True),
        sa.Column("created_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.Column("started_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
        sa.Column("done_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
        sa.Column("moved_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.Column("active_days", sa.Float(), nullable=False),
        sa.Column("waiting_days", sa.Float(), nullable=False),
        sa.Column("cycle_days", sa.Float(), nullable=True),
        sa.Column("lead_days", sa.Float(), nullable=True),
        sa.Column("source", sa.String(length=16), nullable=False),
        sa.Column("external_key", sqlmodel.sql.sqltypes.AutoString(length=120), nullable=False),
        sa.ForeignKeyConstraint(["initiative_id"], ["initiative.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["org_id"], ["organization.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["portfolio_id"], ["portfolio.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index(op.f("ix_workitem_org_id"), "workitem", ["org_id"], unique=False)
    op.create_index(op.f("ix_workitem_portfolio_id"), "workitem", ["portfolio_id"], unique=False)
    op.create_index(op.f("ix_workitem_initiative_id"), "workitem", ["initiative_id"], unique=False)
    op.create_index(
        "ix_workitem_org_portfolio_done",
        "workitem",
        [
            "org_id",
            "portfolio_id",
            "done_at",
            "cycle_days",
            "lead_days",
            "active_days",
            "waiting_days",
        ],
        unique=False,
    )
    op.create_index(
        "ix_workitem_org_portfolio_status",
        "workitem",
        ["org_id", "portfolio_id", "status"],
        unique=False,
    )
    op.create_table(
        "statuschange",
        sa.Column("org_id", sa.Integer(), nullable=False),
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("portfolio_id", sa.Integer(), nullable=False),
        sa.Column("initiative_id", sa.Integer(), nullable=False),
        sa.Column("work_item_id", sa.Integer(), nullable=True),
        sa.Column("from_status", sa.String(length=16), nullable=True),
        sa.Column("to_status", sa.String(length=16), nullable=False),
        sa.Column("at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.Column("by_user_id", sa.Integer(), nullable=True),
        sa.Column("source", sa.String(length=16), nullable=False),
        sa.ForeignKeyConstraint(["by_user_id"], ["user.id"], ondelete="SET NULL"),
        sa.ForeignKeyConstraint(["initiative_id"], ["initiative.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["org_id"], ["organization.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["portfolio_id"], ["portfolio.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["work_item_id"], ["workitem.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index(op.f("ix_statuschange_org_id"), "statuschange", ["org_id"], unique=False)
    op.create_index(
        op.f("ix_statuschange_initiative_id"), "statuschange", ["initiative_id"], unique=False
    )
    op.create_index(
        op.f("ix_statuschange_work_item_id"), "statuschange", ["work_item_id"], unique=False
    )
    op.create_index(
        "ix_statuschange_org_portfolio_at",
        "statuschange",
        ["org_id", "portfolio_id", "at", "work_item_id", "from_status", "to_status"],
        unique=False,
    )
    grant_existing(op)
    for table in TENANT_TABLES:
        enable_tenant_rls(op, table)


def downgrade() -> None:
    for table in TENANT_TABLES:
        disable_tenant_rls(op, table)
    op.drop_table("statuschange")
    op.drop_table("workitem")
