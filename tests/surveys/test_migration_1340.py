"""1340_survey_team_summary gives the teams opened before it their summary: exactly what the
close now keeps (a scratch SQLite database, migrated to 1335, filled, then upgraded)."""

from __future__ import annotations

import sqlite3

from alembic import command
from pmo_saas.manage import alembic_config
from pmo_saas.surveys.schemas import Bar, Headline, QuestionResult
from pmo_saas.surveys.services.figures import TeamFigures
from tests.conftest import TEST_TMP

PAST = "2020-01-01 00:00:00.000000"


def _figures() -> TeamFigures:
    bars = [Bar(label=str(v), count=v, percent=round(100 * v / 28, 1)) for v in range(1, 8)]
    return TeamFigures(
        headline=Headline(label="Westrum score (1-7)", value=5.0, detail="Mean agreement."),
        questions=[
            QuestionResult(
                key="information", prompt="P", kind="scale7", answered=28, mean=5.0, bars=bars
            ),
            QuestionResult(
                key="now", prompt="O", kind="ocai", answered=3, split={"now": {"clan": 25.0}}
            ),
        ],
    )


def test_upgrade_keeps_each_opened_team_s_summary_and_downgrade_drops_it():
    path = TEST_TMP / "migration-1340.db"
    path.unlink(missing_ok=True)
    url = f"sqlite:///{path}"
    command.upgrade(alembic_config(url), "1335_dashboard_totals")
    figures = _figures()
    with sqlite3.connect(path) as db:
        db.execute(
            "INSERT INTO organization (id, name, slug, created_at) VALUES (1, 'O', 'o', ?)",
            [PAST],
        )
        db.execute(
            "INSERT INTO survey (org_id, id, title, instrument, series_id, round_number, status, "
            "min_group_size, min_comment_group_size, created_at, closes_at) "
            "VALUES (1, 1, 'S', 'westrum', 1, 1, 'closed', 5, 8, ?, ?)",
            [PAST, PAST],
        )
        for team_id, kept in ((1, figures.model_dump_json()), (2, "")):
            db.execute(
                "INSERT INTO surveyteam (org_id, id, survey_id, team_name, figures) "
                "VALUES (1, ?, 1, 'Team', ?)",
                [team_id, kept],
            )
    command.upgrade(alembic_config(url), "1340_survey_team_summary")
    with sqlite3.connect(path) as db:
        summaries = dict(db.execute("SELECT id, summary FROM surveyteam").fetchall())
    # Opened: the figures without bars, read back as the close's own summary is.
    assert TeamFigures.model_validate_json(summaries[1]) == figures.summary()
    assert '"bars"' not in summaries[1] and figures.summary().questions[1].split
    assert summaries[2] == ""  # never opened (below the threshold): nothing kept
    command.downgrade(alembic_config(url), "1335_dashboard_totals")
    with sqlite3.connect(path) as db:
        columns = {r[1] for r in db.execute("PRAGMA table_info(surveyteam)")}
    assert "figures" in columns and "summary" not in columns
