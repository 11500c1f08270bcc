"""participatory budgeting

Revision ID: 1220_budgeting
Revises: 1200_collaboration
Create Date: 2026-12-02 06:00:00.000000

"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel

from alembic import op
from pmo_saas.rls import disable_tenant_rls, enable_tenant_rls, grant_existing

# revision identifiers, used by Alembic.
revision: str = "1220_budgeting"
down_revision: str | Sequence[str] | None = "1210_we_did"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TENANT_TABLES = ("budgetsession", "budgetstakeholder", "budgetallocation")


def upgrade() -> None:
    """Upgrade schema."""
    op.create_table(
        "budgetsession",
        sa.Column("org_id", sa.Integer(), nullable=False),
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("portfolio_id", sa.Integer(), nullable=False),
        sa.Column("name", sqlmodel.sql.sqltypes.AutoString(length=120), nullable=False),
        sa.Column("total", sa.BigInteger(), nullable=False),
        sa.Column("basis", sa.String(length=16), nullable=False),
        sa.Column("options_json", sa.Text(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("opened_by_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.Column("settled_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
        sa.Column("settled_by_id", sa.Integer(), nullable=True),
        sa.Column("settled_json", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(["opened_by_id"], ["user.id"], ondelete="SET NULL"),
        sa.ForeignKeyConstraint(["org_id"], ["organization.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["portfolio_id"], ["portfolio.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["settled_by_id"], ["user.id"], ondelete="SET NULL"),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("budgetsession", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_budgetsession_org_id"), ["org_id"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_budgetsession_portfolio_id"), ["portfolio_id"], unique=False
        )

    op.create_table(
        "budgetstakeholder",
        sa.Column("org_id", sa.Integer(), nullable=False),
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("session_id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("submitted_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
        sa.ForeignKeyConstraint(["org_id"], ["organization.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["session_id"], ["budgetsession.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["user_id"], ["user.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("org_id", "session_id", "user_id"),
    )
    with op.batch_alter_table("budgetstakeholder", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_budgetstakeholder_org_id"), ["org_id"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_budgetstakeholder_session_id"), ["session_id"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_budgetstakeholder_user_id"), ["user_id"], unique=False)

    op.create_table(
        "budgetallocation",
        sa.Column("org_id", sa.Integer(), nullable=False),
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("session_id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("option_key", sqlmodel.sql.sqltypes.AutoString(length=120), nullable=False),
        sa.Column("amount", sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(["org_id"], ["organization.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["session_id"], ["budgetsession.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["user_id"], ["user.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("org_id", "session_id", "user_id", "option_key"),
    )
    with op.batch_alter_table("budgetallocation", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_budgetallocation_org_id"), ["org_id"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_budgetallocation_session_id"), ["session_id"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_budgetallocation_user_id"), ["user_id"], unique=False)

    grant_existing(op)
    for table in TENANT_TABLES:
        enable_tenant_rls(op, table)


def downgrade() -> None:
    """Downgrade schema."""
    for table in TENANT_TABLES:
        disable_tenant_rls(op, table)
    for table in ("budgetallocation", "budgetstakeholder", "budgetsession"):
        op.drop_table(table)
