"""surveys: sealed responses, counters and loose comments; open links only where launched for

Revision ID: 0401_survey_anonymity
Revises: 0400_surveys
Create Date: 2026-12-01 21:00:00

Data: every stored response is converted, none dropped except answers that came through an
open link of a personal-link survey still running (open links stop counting there; that is
the padding hole this revision closes). A closed survey's responses become counters and
comments (shuffled, random ids), except those of teams below its threshold, which are sealed
for good; a running survey's are sealed as if just submitted. Outbox
rows holding a survey link get the token masked. The downgrade restores the old tables'
shape but not per-response rows (they no longer exist anywhere).
"""

import random
import re
import secrets
from collections import Counter, defaultdict
from collections.abc import Sequence
from datetime import UTC, datetime

import sqlalchemy as sa
import sqlmodel

from alembic import op
from pmo_saas.rls import disable_tenant_rls, enable_tenant_rls, grant_existing

# revision identifiers, used by Alembic.
revision: str = "0401_survey_anonymity"
down_revision: str | Sequence[str] | None = "0400_surveys"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

NEW_TABLES = ("surveysealedresponse", "surveytally", "surveycomment", "surveyopenkey")
OLD_TABLES = ("surveyresponse", "surveyanswer")
LINK = re.compile(r"(/s/)([A-Za-z0-9_\-]{16,})")
MASK = "[link hidden; configure SMTP to deliver it]"
_rng = random.SystemRandom()


def _org_fk() -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint(["org_id"], ["organization.id"], ondelete="CASCADE")


def upgrade() -> None:
    # Plain ADD COLUMN, never a batch copy: on SQLite a copy drops the old table, and with
    # foreign keys on that would cascade-delete every survey's questions, teams and answers.
    # (A text default keeps Alembic from choosing the copy.)
    op.add_column(
        "survey", sa.Column("open_links", sa.Boolean(), nullable=False, server_default="0")
    )
    op.add_column("surveyteam", sa.Column("open_cap", sa.Integer(), nullable=True))
    op.add_column(
        "surveyteam", sa.Column("responses", sa.Integer(), nullable=False, server_default="0")
    )
    op.add_column(
        "surveyteam",
        sa.Column("open_responses", sa.Integer(), nullable=False, server_default="0"),
    )

    op.create_table(
        "surveysealedresponse",
        sa.Column("org_id", sa.Integer(), nullable=False),
        sa.Column("id", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
        sa.Column("survey_id", sa.Integer(), nullable=False),
        sa.Column("survey_team_id", sa.Integer(), nullable=False),
        sa.Column("sealed", sa.LargeBinary(), nullable=False),
        _org_fk(),
        sa.ForeignKeyConstraint(["survey_id"], ["survey.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["survey_team_id"], ["surveyteam.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sqlite_with_rowid=False,
    )
    op.create_index(
        "ix_surveysealedresponse_org_id", "surveysealedresponse", ["org_id"], unique=False
    )
    op.create_index(
        "ix_surveysealedresponse_survey_id", "surveysealedresponse", ["survey_id"], unique=False
    )
    op.create_index(
        "ix_surveysealedresponse_survey_team_id",
        "surveysealedresponse",
        ["survey_team_id"],
        unique=False,
    )

    op.create_table(
        "surveytally",
        sa.Column("org_id", sa.Integer(), nullable=False),
        sa.Column("survey_team_id", sa.Integer(), nullable=False),
        sa.Column("question_id", sa.Integer(), nullable=False),
        sa.Column("option_key", sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
        sa.Column("value", sa.Float(), nullable=False),
        sa.Column("survey_id", sa.Integer(), nullable=False),
        sa.Column("count", sa.Integer(), nullable=False),
        _org_fk(),
        sa.ForeignKeyConstraint(["question_id"], ["surveyquestion.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["survey_id"], ["survey.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["survey_team_id"], ["surveyteam.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("survey_team_id", "question_id", "option_key", "value"),
    )
    op.create_index("ix_surveytally_org_id", "surveytally", ["org_id"], unique=False)
    op.create_index("ix_surveytally_survey_id", "surveytally", ["survey_id"], unique=False)

    op.create_table(
        "surveycomment",
        sa.Column("org_id", sa.Integer(), nullable=False),
        sa.Column("id", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
        sa.Column("survey_id", sa.Integer(), nullable=False),
        sa.Column("survey_team_id", sa.Integer(), nullable=False),
        sa.Column("question_id", sa.Integer(), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        _org_fk(),
        sa.ForeignKeyConstraint(["question_id"], ["surveyquestion.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["survey_id"], ["survey.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["survey_team_id"], ["surveyteam.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sqlite_with_rowid=False,
    )
    op.create_index("ix_surveycomment_org_id", "surveycomment", ["org_id"], unique=False)
    op.create_index("ix_surveycomment_survey_id", "surveycomment", ["survey_id"], unique=False)

    op.create_table(
        "surveyopenkey",
        sa.Column("org_id", sa.Integer(), nullable=False),
        sa.Column("key_hash", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("survey_id", sa.Integer(), nullable=False),
        _org_fk(),
        sa.ForeignKeyConstraint(["survey_id"], ["survey.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("key_hash"),
        sqlite_with_rowid=False,
    )
    op.create_index("ix_surveyopenkey_org_id", "surveyopenkey", ["org_id"], unique=False)
    op.create_index("ix_surveyopenkey_survey_id", "surveyopenkey", ["survey_id"], unique=False)

    grant_existing(op)
    for table in NEW_TABLES:
        enable_tenant_rls(op, table)

    _convert_responses(op.get_bind())
    _mask_outbox(op.get_bind())

    for table in OLD_TABLES:
        disable_tenant_rls(op, table)
    op.drop_table("surveyanswer")
    op.drop_table("surveyresponse")


def _convert_responses(conn: sa.Connection) -> None:
    from pmo_saas.surveys import sealing

    now = datetime.now(UTC)
    surveys = conn.execute(
        sa.text("SELECT id, org_id, status, closes_at, min_group_size FROM survey")
    ).all()
    for survey_id, org_id, status, closes_at, min_group_size in surveys:
        threshold = max(int(min_group_size), 3)
        if isinstance(closes_at, str):
            closes_at = datetime.fromisoformat(closes_at)
        if closes_at is not None and closes_at.tzinfo is None:
            closes_at = closes_at.replace(tzinfo=UTC)
        running = status != "closed" and (closes_at is None or closes_at >= now)
        personal = (
            conn.execute(
                sa.text("SELECT count(*) FROM surveyinvitation WHERE survey_id = :s"),
                {"s": survey_id},
            ).scalar_one()
            > 0
        )
        responses = conn.execute(
            sa.text(
                "SELECT id, survey_team_id, submission_key FROM surveyresponse WHERE survey_id = :s"
            ),
            {"s": survey_id},
        ).all()
        answers: dict[str, list[list]] = defaultdict(list)
        for response_id, question_id, option_key, value, text in conn.execute(
            sa.text(
                "SELECT response_id, question_id, option_key, value, text FROM surveyanswer "
                "WHERE survey_id = :s"
            ),
            {"s": survey_id},
        ).all():
            answers[response_id].append([question_id, option_key, value, text])
        kept = []
        for response_id, team_id, key in responses:
            if personal and running and key is not None:
                continue  # an open link's answer on a personal-link survey: stops counting
            kept.append((response_id, team_id, key))
        _rng.shuffle(kept)
        per_team = Counter(team_id for _, team_id, _ in kept)
        if personal:
            conn.execute(
                sa.text("UPDATE surveyteam SET open_token_hash = NULL WHERE survey_id = :s"),
                {"s": survey_id},
            )
        else:
            conn.execute(
                sa.text("UPDATE survey SET open_links = :t WHERE id = :s"),
                {
                    "t": True,
                    "s": survey_id,
                },
            )
        for team_id, team_ref in conn.execute(
            sa.text("SELECT id, team_id FROM surveyteam WHERE survey_id = :s"), {"s": survey_id}
        ).all():
            size = 0
            if team_ref is not None:
                size = conn.execute(
                    sa.text("SELECT count(*) FROM teammember WHERE team_id = :t"), {"t": team_ref}
                ).scalar_one()
            got = per_team.get(team_id, 0)
            conn.execute(
                sa.text(
                    "UPDATE surveyteam SET responses = :n, open_responses = :o, open_cap = :c "
                    "WHERE id = :id"
                ),
                {
                    "n": got,
                    "o": 0 if personal else got,
                    "c": None if personal else max(int(size), got),
                    "id": team_id,
                },
            )
        counts: Counter[tuple[int, int, str, float]] = Counter()
        for response_id, team_id, key in kept:
            rows = answers.get(response_id, [])
            # Running, or a team below the threshold: sealed (a small team's stay so for good).
            if running or per_team[team_id] < threshold:
                conn.execute(
                    sa.text(
                        "INSERT INTO surveysealedresponse (org_id, id, survey_id, "
                        "survey_team_id, sealed) VALUES (:o, :id, :s, :t, :b)"
                    ),
                    {
                        "o": org_id,
                        "id": secrets.token_hex(16),
                        "s": survey_id,
                        "t": team_id,
                        "b": sealing.seal(rows, associated=f"{survey_id}:{team_id}".encode()),
                    },
                )
                if key is not None and not personal:
                    conn.execute(
                        sa.text(
                            "INSERT INTO surveyopenkey (org_id, key_hash, survey_id) "
                            "VALUES (:o, :k, :s)"
                        ),
                        {"o": org_id, "k": key, "s": survey_id},
                    )
                continue
            for question_id, option_key, value, text in rows:
                if value is not None:
                    counts[(team_id, question_id, option_key, float(value))] += 1
                if text:
                    conn.execute(
                        sa.text(
                            "INSERT INTO surveycomment (org_id, id, survey_id, survey_team_id, "
                            "question_id, text) VALUES (:o, :id, :s, :t, :q, :x)"
                        ),
                        {
                            "o": org_id,
                            "id": secrets.token_hex(16),
                            "s": survey_id,
                            "t": team_id,
                            "q": question_id,
                            "x": text,
                        },
                    )
        for (team_id, question_id, option_key, value), n in sorted(counts.items()):
            conn.execute(
                sa.text(
                    "INSERT INTO surveytally (org_id, survey_team_id, question_id, option_key, "
                    "value, survey_id, count) VALUES (:o, :t, :q, :k, :v, :s, :n)"
                ),
                {
                    "o": org_id,
                    "t": team_id,
                    "q": question_id,
                    "k": option_key,
                    "v": value,
                    "s": survey_id,
                    "n": n,
                },
            )


def _mask_outbox(conn: sa.Connection) -> None:
    rows = conn.execute(
        sa.text("SELECT id, body FROM outboxmessage WHERE body LIKE :p"), {"p": "%/s/%"}
    ).all()
    for message_id, body in rows:
        masked = LINK.sub(lambda m: m.group(1) + MASK, body)
        if masked != body:
            conn.execute(
                sa.text("UPDATE outboxmessage SET body = :b WHERE id = :id"),
                {"b": masked, "id": message_id},
            )


def downgrade() -> None:
    """Back to the per-response tables, empty: per-response rows no longer exist anywhere."""
    op.create_table(
        "surveyresponse",
        sa.Column("org_id", sa.Integer(), nullable=False),
        sa.Column("id", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
        sa.Column("survey_id", sa.Integer(), nullable=False),
        sa.Column("survey_team_id", sa.Integer(), nullable=False),
        sa.Column("submission_key", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True),
        _org_fk(),
        sa.ForeignKeyConstraint(["survey_id"], ["survey.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["survey_team_id"], ["surveyteam.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("org_id", "survey_id", "submission_key"),
    )
    op.create_index("ix_surveyresponse_org_id", "surveyresponse", ["org_id"])
    op.create_index("ix_surveyresponse_survey_id", "surveyresponse", ["survey_id"])
    op.create_index("ix_surveyresponse_survey_team_id", "surveyresponse", ["survey_team_id"])
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
        _org_fk(),
        sa.ForeignKeyConstraint(["question_id"], ["surveyquestion.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["response_id"], ["surveyresponse.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["survey_id"], ["survey.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["survey_team_id"], ["surveyteam.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("response_id", "question_id", "option_key"),
    )
    op.create_index("ix_surveyanswer_org_id", "surveyanswer", ["org_id"])
    op.create_index(
        "ix_surveyanswer_results", "surveyanswer", ["survey_id", "question_id", "survey_team_id"]
    )
    grant_existing(op)
    for table in OLD_TABLES:
        enable_tenant_rls(op, table)
    for table in NEW_TABLES:
        disable_tenant_rls(op, table)
        op.drop_table(table)
    # Plain DROP COLUMN (SQLite >= 3.35), for the same reason as in the upgrade.
    op.drop_column("surveyteam", "open_responses")
    op.drop_column("surveyteam", "responses")
    op.drop_column("surveyteam", "open_cap")
    op.drop_column("survey", "open_links")
