"""surveys: culture surveys, anonymous by design

Revision ID: 0400_surveys
Revises: 0001_foundation
Create Date: 2026-11-23 23:03:57.978025

"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel

from alembic import op
from pmo_saas.rls import disable_tenant_rls, enable_tenant_rls, grant_existing

# revision identifiers, used by Alembic.
revision: str = "0400_surveys"
down_revision: str | Sequence[str] | None = "0001_foundation"
branch_labels: str | Sequence[str] | None = ("surveys",)
depends_on: str | Sequence[str] | None = None

TENANT_TABLES = (
    "survey",
    "surveyquestion",
    "surveyteam",
    "surveyinvitation",
    "surveylink",
    "surveyresponse",
    "surveyanswer",
)


def upgrade() -> None:
    """Upgrade schema."""
    op.create_table(
        "survey",
        sa.Column("org_id", sa.Integer(), nullable=False),
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("title", sqlmodel.sql.sqltypes.AutoString(length=160), nullable=False),
        sa.Column("instrument", sa.String(length=16), nullable=False),
        sa.Column("series_id", sa.Integer(), nullable=True),
        sa.Column("round_number", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("min_group_size", sa.Integer(), nullable=False),
        sa.Column("min_comment_group_size", sa.Integer(), nullable=False),
        sa.Column("created_by_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.Column("closes_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.Column("closed_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
        sa.ForeignKeyConstraint(["created_by_id"], ["user.id"], ondelete="SET NULL"),
        sa.ForeignKeyConstraint(["org_id"], ["organization.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("survey", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_survey_org_id"), ["org_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_survey_series_id"), ["series_id"], unique=False)

    op.create_table(
        "surveyquestion",
        sa.Column("org_id", sa.Integer(), nullable=False),
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("survey_id", sa.Integer(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("key", sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("prompt", sa.Text(), nullable=False),
        sa.Column("options", sa.Text(), nullable=False),
        sa.Column("required", sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(["org_id"], ["organization.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["survey_id"], ["survey.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("org_id", "survey_id", "key"),
    )
    with op.batch_alter_table("surveyquestion", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_surveyquestion_org_id"), ["org_id"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_surveyquestion_survey_id"), ["survey_id"], unique=False
        )

    op.create_table(
        "surveyteam",
        sa.Column("org_id", sa.Integer(), nullable=False),
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("survey_id", sa.Integer(), nullable=False),
        sa.Column("team_id", sa.Integer(), nullable=True),
        sa.Column("team_name", sqlmodel.sql.sqltypes.AutoString(length=120), nullable=False),
        sa.Column("open_token_hash", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True),
        sa.ForeignKeyConstraint(["org_id"], ["organization.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["survey_id"], ["survey.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["team_id"], ["team.id"], ondelete="SET NULL"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("org_id", "survey_id", "team_id"),
    )
    with op.batch_alter_table("surveyteam", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_surveyteam_open_token_hash"), ["open_token_hash"], unique=True
        )
        batch_op.create_index(batch_op.f("ix_surveyteam_org_id"), ["org_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_surveyteam_survey_id"), ["survey_id"], unique=False)

    op.create_table(
        "surveyinvitation",
        sa.Column("org_id", sa.Integer(), nullable=False),
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("survey_id", sa.Integer(), nullable=False),
        sa.Column("survey_team_id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("answered", sa.Boolean(), nullable=False),
        sa.Column("reminders_sent", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["org_id"], ["organization.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["survey_id"], ["survey.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["survey_team_id"], ["surveyteam.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["user_id"], ["user.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("org_id", "survey_id", "user_id"),
    )
    with op.batch_alter_table("surveyinvitation", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_surveyinvitation_org_id"), ["org_id"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_surveyinvitation_survey_id"), ["survey_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_surveyinvitation_survey_team_id"), ["survey_team_id"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_surveyinvitation_user_id"), ["user_id"], unique=False)

    op.create_table(
        "surveyresponse",
        sa.Column("org_id", sa.Integer(), nullable=False),
        sa.Column("id", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
        sa.Column("survey_id", sa.Integer(), nullable=False),
        sa.Column("survey_team_id", sa.Integer(), nullable=False),
        sa.Column("submission_key", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True),
        sa.ForeignKeyConstraint(["org_id"], ["organization.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["survey_id"], ["survey.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["survey_team_id"], ["surveyteam.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("org_id", "survey_id", "submission_key"),
    )
    with op.batch_alter_table("surveyresponse", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_surveyresponse_org_id"), ["org_id"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_surveyresponse_survey_id"), ["survey_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_surveyresponse_survey_team_id"), ["survey_team_id"], unique=False
        )

    op.create_table(
        "surveyanswer",
        sa.Column("org_id", sa.Integer(), nullable=False),
        sa.Column("response_id", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
        sa.Column("question_id", sa.Integer(), nullable=False),
        sa.Column("option_key", sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
        sa.Column("survey_id", sa.Integer(), nullable=False),
        sa.Column("survey_team_id", sa.Integer(), nullable=False),
        sa.Column("value", sa.Float(), nullable=True),
        sa.Column("text", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(["org_id"], ["organization.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["question_id"], ["surveyquestion.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["response_id"], ["surveyresponse.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["survey_id"], ["survey.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["survey_team_id"], ["surveyteam.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("response_id", "question_id", "option_key"),
    )
    with op.batch_alter_table("surveyanswer", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_surveyanswer_org_id"), ["org_id"], unique=False)
        batch_op.create_index(
            "ix_surveyanswer_results", ["survey_id", "question_id", "survey_team_id"], unique=False
        )

    op.create_table(
        "surveylink",
        sa.Column("org_id", sa.Integer(), nullable=False),
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("invitation_id", sa.Integer(), nullable=False),
        sa.Column("token_hash", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.ForeignKeyConstraint(["invitation_id"], ["surveyinvitation.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["org_id"], ["organization.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("surveylink", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_surveylink_invitation_id"), ["invitation_id"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_surveylink_org_id"), ["org_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_surveylink_token_hash"), ["token_hash"], unique=True)

    grant_existing(op)
    for table in TENANT_TABLES:
        enable_tenant_rls(op, table)


def downgrade() -> None:
    """Downgrade schema."""
    for table in TENANT_TABLES:
        disable_tenant_rls(op, table)
    with op.batch_alter_table("surveylink", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_surveylink_token_hash"))
        batch_op.drop_index(batch_op.f("ix_surveylink_org_id"))
        batch_op.drop_index(batch_op.f("ix_surveylink_invitation_id"))

    op.drop_table("surveylink")
    with op.batch_alter_table("surveyanswer", schema=None) as batch_op:
        batch_op.drop_index("ix_surveyanswer_results")
        batch_op.drop_index(batch_op.f("ix_surveyanswer_org_id"))

    op.drop_table("surveyanswer")
    with op.batch_alter_table("surveyresponse", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_surveyresponse_survey_team_id"))
        batch_op.drop_index(batch_op.f("ix_surveyresponse_survey_id"))
        batch_op.drop_index(batch_op.f("ix_surveyresponse_org_id"))

    op.drop_table("surveyresponse")
    with op.batch_alter_table("surveyinvitation", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_surveyinvitation_user_id"))
        batch_op.drop_index(batch_op.f("ix_surveyinvitation_survey_team_id"))
        batch_op.drop_index(batch_op.f("ix_surveyinvitation_survey_id"))
        batch_op.drop_index(batch_op.f("ix_surveyinvitation_org_id"))

    op.drop_table("surveyinvitation")
    with op.batch_alter_table("surveyteam", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_surveyteam_survey_id"))
        batch_op.drop_index(batch_op.f("ix_surveyteam_org_id"))
        batch_op.drop_index(batch_op.f("ix_surveyteam_open_token_hash"))

    op.drop_table("surveyteam")
    with op.batch_alter_table("surveyquestion", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_surveyquestion_survey_id"))
        batch_op.drop_index(batch_op.f("ix_surveyquestion_org_id"))

    op.drop_table("surveyquestion")
    with op.batch_alter_table("survey", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_survey_series_id"))
        batch_op.drop_index(batch_op.f("ix_survey_org_id"))

    op.drop_table("survey")
