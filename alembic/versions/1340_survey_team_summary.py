"""surveys: each opened team's figures without the bars (surveyteam.summary)

Revision ID: 1340_survey_team_summary
Revises: 1335_dashboard_totals

A survey's results read every shown team's headline and question means (the list of teams,
the heat map), but each team's bars only when that team is asked for (services/figures.py).
Reading the full figures of 200 teams meant decoding some 10,000 objects on every read (a
third of the results' time on PostgreSQL). The summary is the full figures with the bars
left out; the teams opened before this revision get theirs here, from their figures.
"""

import json
from collections.abc import Sequence

import sqlalchemy as sa

from alembic import op

revision: str = "1340_survey_team_summary"
down_revision: str | Sequence[str] | None = "1335_dashboard_totals"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = ("0403_survey_team_figures",)


def _summary(figures: str) -> str:
    """The figures without any question's bars: read back, what the close now keeps
    (figures.TeamFigures.summary)."""
    data = json.loads(figures)
    for question in data.get("questions", []):
        question.pop("bars", None)
    return json.dumps(data, separators=(",", ":"))


def upgrade() -> None:
    # Plain ADD COLUMN with a server default, never a batch copy (see 0401 for why).
    op.add_column("surveyteam", sa.Column("summary", sa.Text(), nullable=False, server_default=""))
    conn = op.get_bind()
    rows = conn.execute(sa.text("SELECT id, figures FROM surveyteam WHERE figures <> ''")).all()
    update = sa.text("UPDATE surveyteam SET summary = :summary WHERE id = :id")
    for row_id, figures in rows:
        conn.execute(update, {"id": row_id, "summary": _summary(figures)})


def downgrade() -> None:
    op.drop_column("surveyteam", "summary")
