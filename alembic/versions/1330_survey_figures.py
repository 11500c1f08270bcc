"""surveys: a closed survey's organisation-level figures, sealed (surveyfigures)

Revision ID: 1330_survey_figures
Revises: 0920_delivery_flow_rollup

Results read the organisation's figures back from this row instead of summing the counters
and opening the small teams' sealed answers on every read (services/figures.py). Surveys
closed before this revision have no row: their figures are computed on each read, as before.
"""

from collections.abc import Sequence

import sqlalchemy as sa

from alembic import op
from pmo_saas.rls import disable_tenant_rls, enable_tenant_rls, grant_existing

revision: str = "1330_survey_figures"
down_revision: str | Sequence[str] | None = "0920_delivery_flow_rollup"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = ("0403_survey_team_figures",)

TENANT_TABLES = ("surveyfigures",)


def upgrade() -> None:
    op.create_table(
        "surveyfigures",
        sa.Column("org_id", sa.Integer(), nullable=False),
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("survey_id", sa.Integer(), nullable=False),
        sa.Column("responses", sa.Integer(), nullable=False),
        sa.Column("sealed", sa.LargeBinary(), nullable=False),
        sa.ForeignKeyConstraint(["org_id"], ["organization.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["survey_id"], ["survey.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("org_id", "survey_id"),
    )
    with op.batch_alter_table("surveyfigures", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_surveyfigures_org_id"), ["org_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_surveyfigures_survey_id"), ["survey_id"], unique=False)
    grant_existing(op)
    for table in TENANT_TABLES:
        enable_tenant_rls(op, table)


def downgrade() -> None:
    for table in TENANT_TABLES:
        disable_tenant_rls(op, table)
    with op.batch_alter_table("surveyfigures", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_surveyfigures_survey_id"))
        batch_op.drop_index(batch_op.f("ix_surveyfigures_org_id"))
    op.drop_table("surveyfigures")
