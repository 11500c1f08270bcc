"""identity: e-mail verification, reset links dated, sign-in failures move to the limiter

Revision ID: 0002_identity_guessing
Revises: 0001_foundation
Create Date: 2026-12-01 21:00:00

"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel

from alembic import op
from pmo_saas.rls import grant_existing

revision: str = "0002_identity_guessing"
down_revision: str | Sequence[str] | None = "0001_foundation"
branch_labels: str | Sequence[str] | None = ("identity",)
depends_on: str | Sequence[str] | None = None

S = sqlmodel.sql.sqltypes.AutoString
T = sqlmodel.sql.sqltypes.UTCDateTime


def upgrade() -> None:
    with op.batch_alter_table("user", schema=None) as batch_op:
        batch_op.add_column(sa.Column("email_verified_at", T(), nullable=True))
        batch_op.add_column(sa.Column("password_changed_at", T(), nullable=True))
    # People who were already here keep inviting: their address counts as verified.
    op.execute('UPDATE "user" SET email_verified_at = created_at')

    # Links issued before this column existed cannot be dated against a password change.
    op.execute("DELETE FROM passwordreset")
    with op.batch_alter_table("passwordreset", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column(
                "created_at", T(), nullable=False, server_default=sa.text("CURRENT_TIMESTAMP")
            )
        )
    with op.batch_alter_table("passwordreset", schema=None) as batch_op:
        batch_op.alter_column("created_at", server_default=None)

    op.create_table(
        "emailverification",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("token_hash", S(length=64), nullable=False),
        sa.Column("created_at", T(), nullable=False),
        sa.Column("expires_at", T(), nullable=False),
        sa.Column("used_at", T(), nullable=True),
        sa.ForeignKeyConstraint(["user_id"], ["user.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("emailverification", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_emailverification_token_hash"), ["token_hash"], unique=True
        )
        batch_op.create_index(batch_op.f("ix_emailverification_user_id"), ["user_id"], unique=False)

    # Failures are counted by the limiter (memory or Redis) now: identity/guessing.py.
    with op.batch_alter_table("signinfailure", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_signinfailure_email"))
        batch_op.drop_index(batch_op.f("ix_signinfailure_at"))
    op.drop_table("signinfailure")
    grant_existing(op)


def downgrade() -> None:
    op.create_table(
        "signinfailure",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("email", S(length=254), nullable=False),
        sa.Column("at", T(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("signinfailure", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_signinfailure_at"), ["at"], unique=False)
        batch_op.create_index(batch_op.f("ix_signinfailure_email"), ["email"], unique=False)
    with op.batch_alter_table("emailverification", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_emailverification_user_id"))
        batch_op.drop_index(batch_op.f("ix_emailverification_token_hash"))
    op.drop_table("emailverification")
    with op.batch_alter_table("passwordreset", schema=None) as batch_op:
        batch_op.drop_column("created_at")
    with op.batch_alter_table("user", schema=None) as batch_op:
        batch_op.drop_column("password_changed_at")
        batch_op.drop_column("email_verified_at")
    grant_existing(op)
