"""surveys: each opened team's final figures (headline and question results, as JSON)

Revision ID: 0403_survey_team_figures
Revises: 0402_survey_reminders

A closed survey's counters no longer change, so a team's figures are rendered once, when its
answers are opened, and results read them back (services/figures.py). Surveys closed before
this revision keep an empty value: their figures are computed from the counters on each read,
as before.
"""

from collections.abc import Sequence

import sqlalchemy as sa

from alembic import op

revision: str = "0403_survey_team_figures"
down_revision: str | Sequence[str] | None = "0402_survey_reminders"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # Plain ADD COLUMN with a server default, never a batch copy (see 0401 for why).
    op.add_column("surveyteam", sa.Column("figures", sa.Text(), nullable=False, server_default=""))


def downgrade() -> None:
    op.drop_column("surveyteam", "figures")
