"""identity: sign-in tickets bound to the browser that asked for them

Revision ID: 0003_signin_binding
Revises: 0002_identity_guessing
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel

from alembic import op

revision: str = "0003_signin_binding"
down_revision: str | Sequence[str] | None = "0002_identity_guessing"
branch_labels: str | Sequence[str] | None = None
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
