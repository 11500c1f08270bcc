"""single sign-on: email domains must be proven (DNS TXT or mailed link) before they count;
signed-in users link their own IdP identity

Revision ID: 0501_sso_domain_proof
Revises: 0500_sso
Create Date: 2026-12-01 21:00:00

Existing domains become pending claims: nothing signs in through them until an admin proves
them again (the security fix for cross-organisation account takeover).
"""

import secrets
from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel

from alembic import op

revision: str = "0501_sso_domain_proof"
down_revision: str | Sequence[str] | None = "0500_sso"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

S = sqlmodel.sql.sqltypes.AutoString
T = sqlmodel.sql.sqltypes.UTCDateTime
VERIFIED = sa.text("status = 'verified'")


def upgrade() -> None:
    with op.batch_alter_table("ssodomain") as batch:
        batch.add_column(
            sa.Column("status", S(length=16), nullable=False, server_default="pending")
        )
        batch.add_column(sa.Column("method", S(length=8), nullable=False, server_default=""))
        batch.add_column(sa.Column("dns_token", S(length=64), nullable=False, server_default=""))
        batch.add_column(
            sa.Column("mail_token_hash", S(length=64), nullable=False, server_default="")
        )
        batch.add_column(sa.Column("mail_token_expires_at", T(), nullable=True))
        batch.add_column(
            sa.Column("mail_sent_to", S(length=320), nullable=False, server_default="")
        )
        batch.add_column(
            sa.Column(
                "claimed_at", T(), nullable=False, server_default=sa.text("CURRENT_TIMESTAMP")
            )
        )
        batch.add_column(sa.Column("verified_at", T(), nullable=True))
        batch.add_column(sa.Column("verified_by", S(length=320), nullable=False, server_default=""))
    op.create_index("ix_ssodomain_mail_token_hash", "ssodomain", ["mail_token_hash"])
    op.create_index(
        "uq_ssodomain_verified_domain",
        "ssodomain",
        ["domain"],
        unique=True,
        sqlite_where=VERIFIED,
        postgresql_where=VERIFIED,
    )
    conn = op.get_bind()
    for (row_id,) in conn.execute(sa.text("SELECT id FROM ssodomain")).all():
        conn.execute(
            sa.text("UPDATE ssodomain SET dns_token = :token WHERE id = :id"),
            {"token": secrets.token_urlsafe(24), "id": row_id},
        )

    with op.batch_alter_table("ssologinattempt") as batch:
        batch.add_column(sa.Column("link_user_id", sa.Integer(), nullable=True))
        batch.create_foreign_key(
            "fk_ssologinattempt_link_user_id_user",
            "user",
            ["link_user_id"],
            ["id"],
            ondelete="CASCADE",
        )


def downgrade() -> None:
    with op.batch_alter_table("ssologinattempt") as batch:
        batch.drop_constraint("fk_ssologinattempt_link_user_id_user", type_="foreignkey")
        batch.drop_column("link_user_id")
    op.drop_index("uq_ssodomain_verified_domain", table_name="ssodomain")
    op.drop_index("ix_ssodomain_mail_token_hash", table_name="ssodomain")
    with op.batch_alter_table("ssodomain") as batch:
        for column in (
            "verified_by",
            "verified_at",
            "claimed_at",
            "mail_sent_to",
            "mail_token_expires_at",
            "mail_token_hash",
            "dns_token",
            "method",
            "status",
        ):
            batch.drop_column(column)
