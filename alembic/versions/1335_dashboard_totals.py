"""assessments: each closed round's answer count and sum per team and dimension

Revision ID: 1335_dashboard_totals
Revises: 1330_survey_figures
Create Date: 2026-12-03 14:00:00

The dashboard's maturity tile averaged every answer of every closed round on each load
(120,000 answers of a large organisation: about 100 ms of the dashboard on PostgreSQL, most
of it the row-security filter on each row read). close_round now writes the count and sum of
the round's answers per team and dimension, which no longer change; the tile sums those few
rows (in round and dimension order from a covering index). The rows of the rounds already
closed are built here from their answers.
"""

from collections.abc import Sequence

import sqlalchemy as sa

from alembic import op
from pmo_saas.rls import disable_tenant_rls, enable_tenant_rls, grant_existing

revision: str = "1335_dashboard_totals"
down_revision: str | Sequence[str] | None = "1330_survey_figures"
branch_labels: str | Sequence[str] | None = None
# The assessment tables (their own branch) come first.
depends_on: str | Sequence[str] | None = ("0201_assessment_round_rollup",)

TABLE = "rounddimensiontotal"


def upgrade() -> None:
    op.create_table(
        TABLE,
        sa.Column("org_id", sa.Integer(), nullable=False),
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("round_id", sa.Integer(), nullable=False),
        sa.Column("team_id", sa.Integer(), nullable=False),
        sa.Column("dimension_id", sa.Integer(), nullable=False),
        sa.Column("answers", sa.Integer(), nullable=False),
        sa.Column("total", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["dimension_id"], ["assessmentdimension.id"]),
        sa.ForeignKeyConstraint(["org_id"], ["organization.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["round_id"], ["assessmentround.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["team_id"], ["team.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("org_id", "round_id", "team_id", "dimension_id"),
    )
    with op.batch_alter_table(TABLE, schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_rounddimensiontotal_org_id"), ["org_id"])
        batch_op.create_index(batch_op.f("ix_rounddimensiontotal_round_id"), ["round_id"])
        batch_op.create_index(batch_op.f("ix_rounddimensiontotal_team_id"), ["team_id"])
        batch_op.create_index(
            "ix_rounddimensiontotal_round_dimension",
            ["org_id", "round_id", "dimension_id", "answers", "total"],
        )
    # The rounds closed before this table existed: the same sums close_round writes.
    op.execute(
        f"""
        INSERT INTO {TABLE} (org_id, round_id, team_id, dimension_id, answers, total)
        SELECT a.org_id, a.round_id, a.team_id, a.dimension_id, count(*), sum(a.value)
        FROM assessmentanswer a
        JOIN assessmentround r ON r.id = a.round_id AND r.org_id = a.org_id
        WHERE r.status = 'closed'
        GROUP BY a.org_id, a.round_id, a.team_id, a.dimension_id
        """  # noqa: S608
    )
    grant_existing(op)
    enable_tenant_rls(op, TABLE)


def downgrade() -> None:
    disable_tenant_rls(op, TABLE)
    with op.batch_alter_table(TABLE, schema=None) as batch_op:
        batch_op.drop_index("ix_rounddimensiontotal_round_dimension")
        batch_op.drop_index(batch_op.f("ix_rounddimensiontotal_team_id"))
        batch_op.drop_index(batch_op.f("ix_rounddimensiontotal_round_id"))
        batch_op.drop_index(batch_op.f("ix_rounddimensiontotal_org_id"))
    op.drop_table(TABLE)
