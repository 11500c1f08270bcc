"""Survey close and results for 100,000 responses across 200 teams.

Loads one running Westrum round (six 7-point items) as 100,000 sealed responses with COPY
(each sealed as `submit_response` seals it), then times `close_survey`, which opens them all,
shuffles them and adds them to the counters in one transaction, and keeps each opened team's
figures and the organisation's (sealed), and `services.survey_results` end to end (the kept
figures read under the tenant role and row-level security, thresholds and differencing
protection decided, comments, the heat map). The bare aggregate over the counters is timed
beside it, and the CSV export too.

    PMO_DATABASE_URL=postgresql://postgres@127.0.0.1:5432/DB python bench/surveys_results.py

The bench adds one organisation and deletes it again at the end.
"""

from __future__ import annotations

import logging
import os
import random
import secrets
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from bench._size import smoke

os.environ["PMO_SMTP_HOST"] = ""
os.environ.setdefault("PMO_ENVIRONMENT", "development")

from sqlalchemy import text
from sqlmodel import select

import pmo_saas.models  # noqa: F401
from pmo_saas.db import get_engine, system_session, tenant_session
from pmo_saas.identity.models import Membership, Organization, Team, User
from pmo_saas.kernel.context import TenantContext
from pmo_saas.kernel.roles import Role
from pmo_saas.manage import migrate
from pmo_saas.settings import get_settings
from pmo_saas.surveys import sealing, services
from pmo_saas.surveys.models import SurveyFigures

logging.getLogger("pmo_saas.mail").setLevel(logging.ERROR)

SMOKE = smoke(__doc__)
TEAMS = 200
RESPONSES = 2_000 if SMOKE else 100_000
RUNS = 2 if SMOKE else 5
# A few small teams (2-4 responses) so hiding and differencing protection do real work.
SMALL_TEAMS = {7: 3, 42: 2, 99: 4, 150: 3}

RAW_SQL = text(
    "SELECT survey_team_id, question_id, option_key, value, SUM(count) FROM surveytally "
    "WHERE org_id = :org AND survey_id = :survey "
    "GROUP BY survey_team_id, question_id, option_key, value"
)


def team_sizes() -> list[int]:
    sizes = [SMALL_TEAMS.get(i, 0) for i in range(TEAMS)]
    big = [i for i in range(TEAMS) if i not in SMALL_TEAMS]
    rest = RESPONSES - sum(sizes)
    for n, i in enumerate(big):
        sizes[i] = rest // len(big) + (1 if n < rest % len(big) else 0)
    assert sum(sizes) == RESPONSES
    return sizes


def build() -> tuple[TenantContext, int]:
    tag = secrets.token_hex(4)
    with system_session() as session:
        owner = User(email=f"bench-owner-{tag}@example.com", name="Bench owner")
        org = Organization(name=f"Results bench {tag}", slug=f"results-bench-{tag}")
        session.add_all([owner, org])
        session.flush()
        assert owner.id is not None and org.id is not None
        session.add(Membership(org_id=org.id, user_id=owner.id, role=Role.OWNER))
        teams = [Team(org_id=org.id, name=f"Team {t:03d}") for t in range(TEAMS)]
        session.add_all(teams)
        session.flush()
        team_ids = [t.id for t in teams if t.id is not None]
        ctx = TenantContext(org_id=org.id, user_id=owner.id, role=Role.OWNER)
    with tenant_session(ctx) as session:
        survey_id = services.launch_survey(
            session=session,
            ctx=ctx,
            title=f"Results bench {tag}",
            instrument="westrum",
            team_ids=team_ids,
            personal_links=False,
        )
        questions = [q.id for q in services._questions(session, survey_id) if q.kind == "scale7"]
        survey_teams = [
            p.survey_team_id
            for p in services.survey_progress(session=session, ctx=ctx, survey_id=survey_id)
        ]
    rng = random.Random(1)
    start = time.perf_counter()
    raw = get_engine().raw_connection()
    try:
        cursor = raw.cursor()
        sizes = list(zip(survey_teams, team_sizes(), strict=True))
        with cursor.copy(  # type: ignore[attr-defined]
            "COPY surveysealedresponse (id, org_id, survey_id, survey_team_id, sealed) FROM STDIN"
        ) as copy_r:
            for survey_team_id, size in sizes:
                lean = rng.uniform(3.0, 6.0)
                associated = f"{survey_id}:{survey_team_id}".encode()
                for _ in range(size):
                    rows = [
                        [q, "", float(min(7, max(1, round(rng.gauss(lean, 1.2))))), None]
                        for q in questions
                    ]
                    copy_r.write_row(
                        (
                            secrets.token_hex(16),
                            ctx.org_id,
                            survey_id,
                            survey_team_id,
                            sealing.seal(rows, associated=associated),
                        )
                    )
        for survey_team_id, size in sizes:
            cursor.execute(
                "UPDATE surveyteam SET responses = %s WHERE id = %s", (size, survey_team_id)
            )
        raw.commit()
        cursor.execute("ANALYZE surveysealedresponse")
        raw.commit()
    finally:
        raw.close()
    print(
        f"sealed and loaded {RESPONSES:,} responses with COPY in "
        f"{time.perf_counter() - start:.1f} s"
    )
    start = time.perf_counter()
    with tenant_session(ctx) as session:
        services.close_survey(session=session, ctx=ctx, survey_id=survey_id)
    print(
        f"close_survey (open {RESPONSES:,} sealed responses, shuffle, count): "
        f"{time.perf_counter() - start:.1f} s"
    )
    return ctx, survey_id


def main() -> int:
    if not get_settings().database_url.startswith("postgres"):
        print("Set PMO_DATABASE_URL to a PostgreSQL database (this bench measures PostgreSQL).")
        return 2
    migrate()
    ctx, survey_id = build()
    try:
        service_times, raw_times, export_times = [], [], []
        for _ in range(RUNS):
            start = time.perf_counter()
            with tenant_session(ctx) as session:
                results = services.survey_results(session=session, ctx=ctx, survey_id=survey_id)
            service_times.append(time.perf_counter() - start)
            start = time.perf_counter()
            with get_engine().connect() as conn:
                rows = conn.execute(RAW_SQL, {"org": ctx.org_id, "survey": survey_id}).all()
            raw_times.append(time.perf_counter() - start)
            start = time.perf_counter()
            with tenant_session(ctx) as session:
                csv_text = services.export_results_csv(
                    session=session, ctx=ctx, survey_id=survey_id
                )
            export_times.append(time.perf_counter() - start)
        assert results.responses == RESPONSES
        with tenant_session(ctx) as session:  # the organisation's figures were kept at close
            kept = session.exec(
                select(SurveyFigures.responses).where(SurveyFigures.survey_id == survey_id)
            ).all()
        assert kept == [RESPONSES], kept
        # Teams below the threshold stay sealed (opened in memory only): not in the counters.
        assert sum(n for *_, n in rows) == (RESPONSES - sum(SMALL_TEAMS.values())) * 6
        shown = sum(1 for g in results.teams if g.visible)
        score = results.org.headline.value if results.org.headline else None
        print(f"PostgreSQL, {RESPONSES:,} responses across {TEAMS} teams, median of {RUNS} runs")
        print(
            f"survey_results (kept figures + thresholds + comments + heat map): "
            f"{statistics.median(service_times) * 1000:7.0f} ms"
        )
        print(
            f"bare GROUP BY over the same rows ({len(rows):,} groups):            "
            f"{statistics.median(raw_times) * 1000:7.0f} ms"
        )
        print(
            f"export_results_csv ({len(csv_text.splitlines()):,} lines):                       "
            f"{statistics.median(export_times) * 1000:7.0f} ms"
        )
        print(
            "survey_results / bare GROUP BY: "
            f"{statistics.median(service_times) / statistics.median(raw_times):.1f}x"
        )
        print(
            f"teams shown {shown}, hidden {TEAMS - shown} "
            f"(4 below 5 responses; org Westrum score {score})"
        )
    finally:
        with system_session() as session:
            org = session.get(Organization, ctx.org_id)
            if org is not None:
                session.delete(org)
    return 0


if __name__ == "__main__":
    sys.exit(main())
