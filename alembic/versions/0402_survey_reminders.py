"""surveys: reminder schedule set at launch; the last scheduled reminder each person got

Revision ID: 0402_survey_reminders
Revises: 0401_survey_anonymity

Surveys launched before this revision get no scheduled reminders (an empty schedule): their
coaches chose none when launching them. Coaches can still send reminders by hand.
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel

from alembic import op

revision: str = "0402_survey_reminders"
down_revision: str | Sequence[str] | None = "0401_survey_anonymity"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # Plain ADD COLUMN with a server default, never a batch copy (see 0401 for why).
    op.add_column(
        "survey",
        sa.Column(
            "reminder_days",
            sqlmodel.sql.sqltypes.AutoString(length=64),
            nullable=False,
            server_default="",
        ),
    )
    op.add_column(
        "surveyinvitation",
        sa.Column("reminded_day", sa.Integer(), nullable=False, server_default="0"),
    )


def downgrade() -> None:
    # Plain DROP COLUMN (SQLite >= 3.35), not a batch copy, as in 0401.
    op.drop_column("surveyinvitation", "reminded_day")
    op.drop_column("survey", "reminder_days")
