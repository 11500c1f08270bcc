"""single sign-on: OIDC connection per organisation, domains, linked identities, attempts

Revision ID: 0500_sso
Revises: 0001_foundation
Create Date: 2026-11-23 23:30:00

"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel

from alembic import op
from pmo_saas.rls import disable_tenant_rls, enable_tenant_rls, grant_existing

revision: str = "0500_sso"
down_revision: str | Sequence[str] | None = "0001_foundation"
branch_labels: str | Sequence[str] | None = ("sso",)
depends_on: str | Sequence[str] | None = None

TENANT_TABLES = ("ssoconnection", "ssodomain", "ssoidentity")
S = sqlmodel.sql.sqltypes.AutoString
T = sqlmodel.sql.sqltypes.UTCDateTime


def _org_fk() -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint(["org_id"], ["organization.id"], ondelete="CASCADE")


def upgrade() -> None:
    op.create_table(
        "ssoconnection",
        sa.Column("org_id", sa.Integer(), nullable=False),
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("issuer_url", S(length=500), nullable=False),
        sa.Column("client_id", S(length=255), nullable=False),
        sa.Column("client_secret_encrypted", sa.Text(), nullable=False),
        sa.Column("default_role", sa.String(length=16), nullable=False),
        sa.Column("require_sso", sa.Boolean(), nullable=False),
        sa.Column("enabled", sa.Boolean(), nullable=False),
        sa.Column("role_claim", S(length=100), nullable=False),
        sa.Column("role_mapping", sa.Text(), nullable=False),
        sa.Column("created_at", T(), nullable=False),
        sa.Column("updated_at", T(), nullable=False),
        _org_fk(),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("org_id", name="uq_ssoconnection_org"),
    )
    op.create_index("ix_ssoconnection_org_id", "ssoconnection", ["org_id"])

    op.create_table(
        "ssodomain",
        sa.Column("org_id", sa.Integer(), nullable=False),
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("domain", S(length=253), nullable=False),
        _org_fk(),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("org_id", "domain"),
    )
    op.create_index("ix_ssodomain_org_id", "ssodomain", ["org_id"])
    op.create_index("ix_ssodomain_domain", "ssodomain", ["domain"])

    op.create_table(
        "ssoidentity",
        sa.Column("org_id", sa.Integer(), nullable=False),
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("issuer", S(length=500), nullable=False),
        sa.Column("subject", S(length=255), nullable=False),
        sa.Column("created_at", T(), nullable=False),
        sa.Column("last_sign_in_at", T(), nullable=True),
        _org_fk(),
        sa.ForeignKeyConstraint(["user_id"], ["user.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("org_id", "issuer", "subject"),
    )
    op.create_index("ix_ssoidentity_org_id", "ssoidentity", ["org_id"])
    op.create_index("ix_ssoidentity_user_id", "ssoidentity", ["user_id"])

    op.create_table(
        "ssologinattempt",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("state_hash", S(length=64), nullable=False),
        sa.Column("org_id", sa.Integer(), nullable=True),
        sa.Column("provider", S(length=32), nullable=False),
        sa.Column("nonce", S(length=128), nullable=False),
        sa.Column("code_verifier_encrypted", sa.Text(), nullable=False),
        sa.Column("redirect_uri", S(length=500), nullable=False),
        sa.Column("next_path", S(length=255), nullable=False),
        sa.Column("created_at", T(), nullable=False),
        sa.Column("expires_at", T(), nullable=False),
        sa.Column("used_at", T(), nullable=True),
        _org_fk(),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_ssologinattempt_state_hash", "ssologinattempt", ["state_hash"], unique=True)
    op.create_index("ix_ssologinattempt_org_id", "ssologinattempt", ["org_id"])
    op.create_index("ix_ssologinattempt_expires_at", "ssologinattempt", ["expires_at"])

    op.create_table(
        "ssosessionlink",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("session_token_hash", S(length=64), nullable=False),
        sa.Column("org_id", sa.Integer(), nullable=True),
        sa.Column("provider", S(length=32), nullable=False),
        sa.Column("end_session_endpoint", S(length=500), nullable=False),
        sa.Column("client_id", S(length=255), nullable=False),
        sa.Column("id_token_encrypted", sa.Text(), nullable=False),
        sa.Column("created_at", T(), nullable=False),
        _org_fk(),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index(
        "ix_ssosessionlink_session_token_hash",
        "ssosessionlink",
        ["session_token_hash"],
        unique=True,
    )
    op.create_index("ix_ssosessionlink_org_id", "ssosessionlink", ["org_id"])

    grant_existing(op)
    for table in TENANT_TABLES:
        enable_tenant_rls(op, table)


def downgrade() -> None:
    for table in TENANT_TABLES:
        disable_tenant_rls(op, table)
    for table in ("ssosessionlink", "ssologinattempt", "ssoidentity", "ssodomain", "ssoconnection"):
        op.drop_table(table)
