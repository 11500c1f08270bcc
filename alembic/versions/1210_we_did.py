"""you said, we did: focus questions and commitments on closed surveys

Revision ID: 1210_we_did
Revises: 1200_collaboration
Create Date: 2026-12-02 06:00:00

"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel

from alembic import op
from pmo_saas.rls import disable_tenant_rls, enable_tenant_rls, grant_existing

# revision identifiers, used by Alembic.
revision: str = "1210_we_did"
down_revision: str | Sequence[str] | None = "1200_collaboration"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = ("0403_survey_team_figures",)

TENANT_TABLES = ("surveyfocus", "surveycommitment")


def upgrade() -> None:
    """Upgrade schema."""
    op.create_table(
        "surveyfocus",
        sa.Column("org_id", sa.Integer(), nullable=False),
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("survey_id", sa.Integer(), nullable=False),
        sa.Column("survey_team_id", sa.Integer(), nullable=False),
        sa.Column("question_key", sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
        sa.Column("prompt", sa.Text(), nullable=False),
        sa.Column("shown_mean", sa.Float(), nullable=True),
        sa.Column("picked_by_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(["org_id"], ["organization.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["picked_by_id"], ["user.id"], ondelete="SET NULL"),
        sa.ForeignKeyConstraint(["survey_id"], ["survey.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["survey_team_id"], ["surveyteam.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("org_id", "survey_team_id", "question_key"),
    )
    with op.batch_alter_table("surveyfocus", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_surveyfocus_org_id"), ["org_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_surveyfocus_survey_id"), ["survey_id"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_surveyfocus_survey_team_id"), ["survey_team_id"], unique=False
        )

    op.create_table(
        "surveycommitment",
        sa.Column("org_id", sa.Integer(), nullable=False),
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("focus_id", sa.Integer(), nullable=False),
        sa.Column("action_id", sa.Integer(), nullable=False),
        sa.Column("title", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
        sa.Column("created_by_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(["created_by_id"], ["user.id"], ondelete="SET NULL"),
        sa.ForeignKeyConstraint(["focus_id"], ["surveyfocus.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["org_id"], ["organization.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("surveycommitment", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_surveycommitment_action_id"), ["action_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_surveycommitment_focus_id"), ["focus_id"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_surveycommitment_org_id"), ["org_id"], unique=False)

    grant_existing(op)
    for table in TENANT_TABLES:
        enable_tenant_rls(op, table)


def downgrade() -> None:
    """Downgrade schema."""
    for table in TENANT_TABLES:
        disable_tenant_rls(op, table)
    with op.batch_alter_table("surveycommitment", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_surveycommitment_org_id"))
        batch_op.drop_index(batch_op.f("ix_surveycommitment_focus_id"))
        batch_op.drop_index(batch_op.f("ix_surveycommitment_action_id"))
    op.drop_table("surveycommitment")
    with op.batch_alter_table("surveyfocus", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_surveyfocus_survey_team_id"))
        batch_op.drop_index(batch_op.f("ix_surveyfocus_survey_id"))
        batch_op.drop_index(batch_op.f("ix_surveyfocus_org_id"))
    op.drop_table("surveyfocus")
