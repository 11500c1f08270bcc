"""delivery plan: planned vs actual, RAG history, spend, funding tranches, key results

Revision ID: 0910_delivery_plan
Revises: 0900_delivery
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel

from alembic import op
from pmo_saas.rls import disable_tenant_rls, enable_tenant_rls, grant_existing

revision: str = "0910_delivery_plan"
down_revision: str | Sequence[str] | None = "0900_delivery"
branch_labels: str | Sequence[str] | None = ("delivery_plan",)
# initiativeplan references publishedplan (0100); fundingtranche references gatereview (0700).
depends_on: str | Sequence[str] | None = ("0100_portfolio", "0700_dashboard")

TENANT_TABLES = (
    "initiativeplan",
    "ragchange",
    "spendentry",
    "fundingtranche",
    "keyresult",
    "keyresultmeasure",
)


def upgrade() -> None:
    op.create_table(
        "keyresult",
        sa.Column("org_id", sa.Integer(), nullable=False),
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("initiative_id", sa.Integer(), nullable=False),
        sa.Column("title", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
        sa.Column("target", sa.Float(), nullable=False),
        sa.Column("unit", sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
        sa.Column("due_on", sa.Date(), nullable=False),
        sa.Column("created_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(["initiative_id"], ["initiative.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["org_id"], ["organization.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("keyresult", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_keyresult_initiative_id"), ["initiative_id"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_keyresult_org_id"), ["org_id"], unique=False)

    op.create_table(
        "ragchange",
        sa.Column("org_id", sa.Integer(), nullable=False),
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("initiative_id", sa.Integer(), nullable=False),
        sa.Column("rag", sa.String(length=8), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("set_by_id", sa.Integer(), nullable=True),
        sa.Column("set_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(["initiative_id"], ["initiative.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["org_id"], ["organization.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["set_by_id"], ["user.id"], ondelete="SET NULL"),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("ragchange", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_ragchange_initiative_id"), ["initiative_id"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_ragchange_org_id"), ["org_id"], unique=False)

    op.create_table(
        "spendentry",
        sa.Column("org_id", sa.Integer(), nullable=False),
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("initiative_id", sa.Integer(), nullable=False),
        sa.Column("month", sa.Date(), nullable=False),
        sa.Column("amount", sa.BigInteger(), nullable=False),
        sa.Column("source", sa.String(length=16), nullable=False),
        sa.Column("recorded_by_id", sa.Integer(), nullable=True),
        sa.Column("updated_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(["initiative_id"], ["initiative.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["org_id"], ["organization.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["recorded_by_id"], ["user.id"], ondelete="SET NULL"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("org_id", "initiative_id", "month"),
    )
    with op.batch_alter_table("spendentry", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_spendentry_initiative_id"), ["initiative_id"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_spendentry_org_id"), ["org_id"], unique=False)

    op.create_table(
        "fundingtranche",
        sa.Column("org_id", sa.Integer(), nullable=False),
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("initiative_id", sa.Integer(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("amount", sa.BigInteger(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("released_on", sa.Date(), nullable=True),
        sa.Column("gate_review_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(["gate_review_id"], ["gatereview.id"], ondelete="SET NULL"),
        sa.ForeignKeyConstraint(["initiative_id"], ["initiative.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["org_id"], ["organization.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("org_id", "initiative_id", "position"),
    )
    with op.batch_alter_table("fundingtranche", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_fundingtranche_initiative_id"), ["initiative_id"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_fundingtranche_org_id"), ["org_id"], unique=False)

    op.create_table(
        "initiativeplan",
        sa.Column("org_id", sa.Integer(), nullable=False),
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("portfolio_id", sa.Integer(), nullable=False),
        sa.Column("initiative_id", sa.Integer(), nullable=False),
        sa.Column("published_plan_id", sa.Integer(), nullable=True),
        sa.Column("approach", sa.String(length=16), nullable=False),
        sa.Column("planned_start", sa.Date(), nullable=True),
        sa.Column("planned_end", sa.Date(), nullable=True),
        sa.Column("planned_budget", sa.BigInteger(), nullable=False),
        sa.Column("promised_value", sa.Float(), nullable=True),
        sa.Column("actual_start", sa.Date(), nullable=True),
        sa.Column("actual_end", sa.Date(), nullable=True),
        sa.Column("baseline_scope", sa.Float(), nullable=True),
        sa.Column("baseline_start", sa.Date(), nullable=True),
        sa.Column("baseline_end", sa.Date(), nullable=True),
        sa.Column("baseline_budget", sa.BigInteger(), nullable=True),
        sa.Column("baselined_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
        sa.Column("rag", sa.String(length=8), nullable=False),
        sa.Column("rag_reason", sa.Text(), nullable=False),
        sa.Column("created_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.Column("updated_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(["initiative_id"], ["initiative.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["org_id"], ["organization.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["portfolio_id"], ["portfolio.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["published_plan_id"], ["publishedplan.id"], ondelete="SET NULL"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("org_id", "initiative_id"),
    )
    with op.batch_alter_table("initiativeplan", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_initiativeplan_initiative_id"), ["initiative_id"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_initiativeplan_org_id"), ["org_id"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_initiativeplan_portfolio_id"), ["portfolio_id"], unique=False
        )

    op.create_table(
        "keyresultmeasure",
        sa.Column("org_id", sa.Integer(), nullable=False),
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("key_result_id", sa.Integer(), nullable=False),
        sa.Column("measured_on", sa.Date(), nullable=False),
        sa.Column("value", sa.Float(), nullable=False),
        sa.Column("recorded_by_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(["key_result_id"], ["keyresult.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["org_id"], ["organization.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["recorded_by_id"], ["user.id"], ondelete="SET NULL"),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("keyresultmeasure", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_keyresultmeasure_key_result_id"), ["key_result_id"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_keyresultmeasure_org_id"), ["org_id"], unique=False)

    grant_existing(op)
    for table in TENANT_TABLES:
        enable_tenant_rls(op, table)


def downgrade() -> None:
    for table in TENANT_TABLES:
        disable_tenant_rls(op, table)
    for table in reversed(TENANT_TABLES):
        op.drop_table(table)
