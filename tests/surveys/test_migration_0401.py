"""0401_survey_anonymity converts stored responses instead of losing them (a scratch SQLite
database, migrated to 0400, filled the old way, then upgraded)."""

from __future__ import annotations

import sqlite3
from collections import Counter

from alembic import command
from pmo_saas.manage import alembic_config
from pmo_saas.surveys import sealing
from tests.conftest import TEST_TMP

PAST, FUTURE = "2020-01-01 00:00:00.000000", "2099-01-01 00:00:00.000000"
TOKEN = "T" * 43


def _fill(db: sqlite3.Connection) -> None:
    db.execute(
        "INSERT INTO organization (id, name, slug, created_at) VALUES (1, 'O', 'o', ?)", [PAST]
    )
    for survey_id, status, closes in (
        (1, "closed", PAST),
        (2, "open", FUTURE),
        (3, "open", FUTURE),
    ):
        db.execute(
            "INSERT INTO survey (org_id, id, title, instrument, series_id, round_number, status, "
            "min_group_size, min_comment_group_size, created_at, closes_at) "
            "VALUES (1, ?, 'S', 'westrum', ?, 1, ?, 5, 8, ?, ?)",
            [survey_id, survey_id, status, PAST, closes],
        )
        db.execute(
            "INSERT INTO surveyteam (org_id, id, survey_id, team_id, team_name, open_token_hash) "
            "VALUES (1, ?, ?, NULL, 'Team', ?)",
            [survey_id, survey_id, "h" * 63 + str(survey_id) if survey_id > 1 else None],
        )
        for q, (key, kind) in enumerate((("information", "scale7"), ("comment", "text"))):
            db.execute(
                "INSERT INTO surveyquestion (org_id, id, survey_id, position, key, kind, prompt, "
                "options, required) VALUES (1, ?, ?, ?, ?, ?, 'P', '[]', 1)",
                [survey_id * 10 + q, survey_id, q, key, kind],
            )
    # Survey 1 also had a team of two (below its threshold of 5).
    db.execute(
        "INSERT INTO surveyteam (org_id, id, survey_id, team_id, team_name, open_token_hash) "
        "VALUES (1, 4, 1, NULL, 'Pair', NULL)"
    )
    # Surveys 1 and 2 had personal links (invitations); survey 3 only an open link.
    for survey_id in (1, 2):
        db.execute(
            "INSERT INTO surveyinvitation (org_id, id, survey_id, survey_team_id, user_id, "
            "answered, reminders_sent) VALUES (1, ?, ?, ?, 99, 1, 0)",
            [survey_id, survey_id, survey_id],
        )
    responses = [  # (response id, survey, team, open-link form key, value, comment)
        *[(f"r1{n}", 1, 1, None, n + 1, f"closed {n}") for n in range(6)],
        *[(f"r4{n}", 1, 4, None, 7, f"pair {n}") for n in range(2)],
        ("r20", 2, 2, None, 3, "personal"),
        ("r21", 2, 2, "k" * 64, 7, "padding"),  # an open link's answer on a personal survey
        ("r30", 3, 3, "a" * 64, 4, "open a"),
        ("r31", 3, 3, "b" * 64, 5, ""),
    ]
    for rid, survey_id, team_id, key, value, comment in responses:
        db.execute(
            "INSERT INTO surveyresponse (org_id, id, survey_id, survey_team_id, submission_key) "
            "VALUES (1, ?, ?, ?, ?)",
            [rid, survey_id, team_id, key],
        )
        db.execute(
            "INSERT INTO surveyanswer (org_id, response_id, question_id, option_key, survey_id, "
            "survey_team_id, value, text) VALUES (1, ?, ?, '', ?, ?, ?, NULL)",
            [rid, survey_id * 10, survey_id, team_id, float(value)],
        )
        if comment:
            db.execute(
                "INSERT INTO surveyanswer (org_id, response_id, question_id, option_key, "
                "survey_id, survey_team_id, value, text) VALUES (1, ?, ?, '', ?, ?, NULL, ?)",
                [rid, survey_id * 10 + 1, survey_id, team_id, comment],
            )
    db.execute(
        "INSERT INTO outboxmessage (org_id, id, to_email, subject, body, sent_via, created_at) "
        "VALUES (1, 1, 'a@b.c', 'Your voice', ?, 'outbox', ?)",
        [f"Your personal link:\n\nhttp://localhost:3000/s/{TOKEN}\n\nThanks", PAST],
    )
    db.commit()


def test_upgrade_converts_every_response_and_masks_old_links():
    path = TEST_TMP / "migration-0401.db"
    url = f"sqlite:///{path}"
    command.upgrade(alembic_config(url), "0400_surveys")
    with sqlite3.connect(path) as db:
        _fill(db)
    command.upgrade(alembic_config(url), "0401_survey_anonymity")
    db = sqlite3.connect(path)
    tables = {r[0] for r in db.execute("SELECT name FROM sqlite_master WHERE type='table'")}
    assert not {"surveyresponse", "surveyanswer"} & tables

    # Closed: counters and comments, every one of the six responses.
    tallies = dict(
        db.execute("SELECT value, count FROM surveytally WHERE survey_id = 1").fetchall()
    )
    assert tallies == {float(n + 1): 1 for n in range(6)}
    comments = [r[0] for r in db.execute("SELECT text FROM surveycomment WHERE survey_id = 1")]
    assert sorted(comments) == [f"closed {n}" for n in range(6)]
    teams = {
        r[0]: r[1:]
        for r in db.execute(
            "SELECT id, responses, open_responses, open_cap, open_token_hash FROM surveyteam"
        )
    }
    assert teams[1] == (6, 0, None, None)
    # ... while the pair (below the threshold) is sealed for good: nothing of it readable.
    assert teams[4] == (2, 0, None, None)
    tally_rows = db.execute("SELECT count(*) FROM surveytally WHERE survey_team_id = 4")
    assert tally_rows.fetchone() == (0,)
    assert "pair 0" not in str(db.execute("SELECT text FROM surveycomment").fetchall())

    # Running, personal links: the personal answer sealed; the open link's stops counting.
    assert teams[2] == (1, 0, None, None)
    sealed = db.execute(
        "SELECT survey_id, survey_team_id, sealed FROM surveysealedresponse"
    ).fetchall()
    opened: Counter[int] = Counter()
    for survey_id, team_id, blob in sealed:
        rows = sealing.unseal(blob, associated=f"{survey_id}:{team_id}".encode())
        opened[team_id] += 1
        if survey_id == 2:
            assert sorted(r[2] for r in rows if r[2] is not None) == [3.0]
            assert [r[3] for r in rows if r[3]] == ["personal"]
    # Running, open links only: both answers sealed, counted as open-link answers.
    assert opened == {2: 1, 3: 2, 4: 2}
    assert teams[3][:3] == (2, 2, 2) and teams[3][3] is not None
    assert db.execute("SELECT open_links FROM survey ORDER BY id").fetchall() == [
        (0,),
        (0,),
        (1,),
    ]
    keys = {r[0] for r in db.execute("SELECT key_hash FROM surveyopenkey")}
    assert keys == {"a" * 64, "b" * 64}

    # The old outbox row no longer holds the token.
    [body] = [r[0] for r in db.execute("SELECT body FROM outboxmessage")]
    assert TOKEN not in body and "/s/[link hidden; configure SMTP to deliver it]" in body
    db.close()
