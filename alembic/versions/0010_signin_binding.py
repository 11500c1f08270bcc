"""identity: sign-in tickets bound to the browser that asked for them

Revision ID: 0010_signin_binding
Revises: 0001_foundation
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel

from alembic import op

revision: str = "0010_signin_binding"
down_revision: str | Sequence[str] | None = "0001_foundation"
branch_labels: str | Sequence[str] | None = ("signin_binding",)
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("signinticket") as batch:
        batch.add_column(
            sa.Column(
                "browser_binding_hash",
                sqlmodel.sql.sqltypes.AutoString(length=64),
                nullable=False,
                server_default="",
            )
        )


def downgrade() -> None:
    with op.batch_alter_table("signinticket") as batch:
        batch.drop_column("browser_binding_hash")
