"""api key role: each key acts with the role chosen when it was made

Revision ID: 0701_apikey_role
Revises: 0700_dashboard
Create Date: 2026-12-01 23:50:00

Every key acted as a coach until now: existing keys get `coach`, so they keep what they could
do; new keys are made with viewer, member, coach or admin (never above their creator's role).
The downgrade drops the column (every key acts as a coach again).
"""

from collections.abc import Sequence

import sqlalchemy as sa

from alembic import op

revision: str = "0701_apikey_role"
down_revision: str | Sequence[str] | None = "0700_dashboard"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # Plain ADD COLUMN (no batch copy of `apikey`: that would cascade-delete its counters).
    op.add_column(
        "apikey",
        sa.Column("role", sa.String(length=16), nullable=False, server_default="coach"),
    )


def downgrade() -> None:
    op.drop_column("apikey", "role")
