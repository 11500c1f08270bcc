"""identity: organization.data_version, bumped by every write to the organisation's data

Revision ID: 0004_data_version
Revises: 0003_signin_binding
"""

from collections.abc import Sequence

import sqlalchemy as sa

from alembic import op

revision: str = "0004_data_version"
down_revision: str | Sequence[str] | None = "0003_signin_binding"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("organization") as batch:
        batch.add_column(
            sa.Column("data_version", sa.Integer(), nullable=False, server_default="0")
        )


def downgrade() -> None:
    with op.batch_alter_table("organization") as batch:
        batch.drop_column("data_version")
