"""assessment answers: an index in (round, dimension) order for the dashboard's maturity tile

Revision ID: 0201_assessment_round_rollup
Revises: 0200_assessments
Create Date: 2026-12-02 03:00:00

The maturity tile averages every answer per round and dimension. The roll-up index has the
team between round and dimension, so both databases sorted 120,000 answers of a large
organisation for that GROUP BY; this one hands them over already grouped (and covers the
value, so the table itself is not read).
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0201_assessment_round_rollup"
down_revision: str | Sequence[str] | None = "0200_assessments"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index(
        "ix_assessmentanswer_round_dimension",
        "assessmentanswer",
        ["org_id", "round_id", "dimension_id", "value"],
        unique=False,
    )


def downgrade() -> None:
    op.drop_index("ix_assessmentanswer_round_dimension", table_name="assessmentanswer")
