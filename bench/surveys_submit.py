"""500 survey submissions from concurrent clients through the real submit service.

Each of 500 people gets a personal link (delivered to the tests' loopback SMTP peer: the
outbox masks it); 8 client threads submit a six-item Westrum questionnaire through
`services.submit_response` (token check, per-team lock and counter, receipt, participation,
one sealed response, all under the tenant role and row-level security, then the
organisation's data version), each with a form key as the respondent page sends it, in a
random order of people: the links go out team by team, but a team's people do not all
answer in the same few milliseconds (submissions of one team queue on its lock, which
unlinkability needs: each rewrites the team's participation rows). `--team-by-team`
submits in the order the links went out instead. In the same run, the same threads do raw
INSERTs of a sealed response, without and with the team counter's update, as the baselines.

    PMO_DATABASE_URL=postgresql://postgres@127.0.0.1:5432/DB python bench/surveys_submit.py

The bench adds one organisation and deletes it again at the end.
"""

from __future__ import annotations

import logging
import os
import random
import re
import secrets
import sys
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from bench._size import smoke

os.environ["PMO_SMTP_HOST"] = ""
os.environ.setdefault("PMO_ENVIRONMENT", "development")

from sqlalchemy import text

import pmo_saas.models  # noqa: F401
from pmo_saas.db import get_engine, system_session, tenant_session
from pmo_saas.identity.models import Membership, Organization, Team, TeamMember, User
from pmo_saas.kernel.context import TenantContext
from pmo_saas.kernel.roles import Role
from pmo_saas.manage import migrate
from pmo_saas.settings import get_settings
from pmo_saas.surveys import sealing, services
from tests.peers import smtp  # the loopback SMTP peer of the tests

logging.getLogger("pmo_saas.mail").setLevel(logging.ERROR)  # 500 invitations go to the outbox

TEAM_BY_TEAM = "--team-by-team" in sys.argv
if TEAM_BY_TEAM:
    sys.argv.remove("--team-by-team")
SMOKE = smoke(__doc__)
SUBMISSIONS = 20 if SMOKE else 500
TEAMS = 4 if SMOKE else 50
CLIENTS = 2 if SMOKE else 8
ITEMS = ("information", "messengers", "responsibilities", "bridging", "inquiry", "novelty")


def build() -> tuple[TenantContext, int, list[str]]:
    tag = secrets.token_hex(4)
    with system_session() as session:
        owner = User(email=f"bench-owner-{tag}@example.com", name="Bench owner")
        org = Organization(name=f"Survey bench {tag}", slug=f"survey-bench-{tag}")
        session.add_all([owner, org])
        session.flush()
        assert owner.id is not None and org.id is not None
        session.add(Membership(org_id=org.id, user_id=owner.id, role=Role.OWNER))
        ctx = TenantContext(org_id=org.id, user_id=owner.id, role=Role.OWNER)
        team_ids = []
        for t in range(TEAMS):
            team = Team(org_id=org.id, name=f"Team {t:03d}")
            session.add(team)
            session.flush()
            assert team.id is not None
            team_ids.append(team.id)
            for p in range(SUBMISSIONS // TEAMS):
                user = User(email=f"b-{tag}-{t}-{p}@example.com", name=f"Person {t}-{p}")
                session.add(user)
                session.flush()
                assert user.id is not None
                session.add(Membership(org_id=org.id, user_id=user.id, role=Role.MEMBER))
                session.add(TeamMember(org_id=org.id, team_id=team.id, user_id=user.id))
    # Personal links travel only by SMTP (the outbox masks them): a loopback peer takes them.
    smtp.clear()
    with smtp.smtp_delivery(), tenant_session(ctx) as session:
        survey_id = services.launch_survey(
            session=session,
            ctx=ctx,
            title=f"Bench {tag}",
            instrument="westrum",
            team_ids=team_ids,
        )
    bodies = [smtp.body(m) for m in smtp.messages()]
    tokens = [m.group(1) for b in bodies if (m := re.search(r"/s/([A-Za-z0-9_\-]+)", b))]
    assert len(tokens) == SUBMISSIONS, len(tokens)
    return ctx, survey_id, tokens


CPU_MS: dict[str, float] = {}  # this process's CPU time per job of each timed phase


def timed(jobs: list[Callable[[], None]], phase: str = "") -> float:
    start, cpu = time.perf_counter(), time.process_time()
    with ThreadPoolExecutor(max_workers=CLIENTS) as pool:
        for future in [pool.submit(job) for job in jobs]:
            future.result()
    CPU_MS[phase] = 1000 * (time.process_time() - cpu) / max(len(jobs), 1)
    return time.perf_counter() - start


def main() -> int:
    url = get_settings().database_url
    if not url.startswith("postgres"):
        print("Set PMO_DATABASE_URL to a PostgreSQL database (this bench measures PostgreSQL).")
        return 2
    migrate()
    ctx, survey_id, tokens = build()
    if not TEAM_BY_TEAM:
        random.shuffle(tokens)
    try:
        answers = {k: 5 for k in ITEMS}

        def submit(token: str) -> Callable[[], None]:
            # As the respondent page sends it: with the form's key (its receipt is stored).
            return lambda: services.submit_response(
                token=token, answers=answers, form_key=secrets.token_urlsafe(18)
            )

        service_s = timed([submit(t) for t in tokens], "service")

        with tenant_session(ctx) as session:
            survey_team_id = services.survey_progress(
                session=session, ctx=ctx, survey_id=survey_id
            )[0].survey_team_id
            question_ids = [
                q.id for q in services._questions(session, survey_id) if q.kind == "scale7"
            ]
        # Results are shown once a survey is closed: close it, then count what was received.
        with tenant_session(ctx) as session:
            services.close_survey(session=session, ctx=ctx, survey_id=survey_id)
        with tenant_session(ctx) as session:
            counted = services.survey_results(session=session, ctx=ctx, survey_id=survey_id)
        assert counted.responses == SUBMISSIONS, counted.responses
        engine = get_engine()
        # Baselines: what a submission stores now (a sealed response row; then the same with
        # the team's response counter bumped), as bare SQL in one transaction each.
        sealed = sealing.seal(
            [[q, "", 5.0, None] for q in question_ids],
            associated=f"{survey_id}:{survey_team_id}".encode(),
        )
        response_sql = text(
            "INSERT INTO surveysealedresponse (id, org_id, survey_id, survey_team_id, sealed) "
            "VALUES (:id, :org, :survey, :team, :sealed)"
        )
        counter_sql = text("UPDATE surveyteam SET responses = responses + 1 WHERE id = :team")

        def row() -> dict[str, object]:
            return {
                "id": secrets.token_hex(16),
                "org": ctx.org_id,
                "survey": survey_id,
                "team": survey_team_id,
                "sealed": sealed,
            }

        def raw_response() -> None:
            with engine.begin() as conn:
                conn.execute(response_sql, row())

        def raw_response_with_answers() -> None:
            with engine.begin() as conn:
                conn.execute(response_sql, row())
                conn.execute(counter_sql, {"team": survey_team_id})

        raw_s = timed([raw_response for _ in range(SUBMISSIONS)], "raw")
        raw_full_s = timed([raw_response_with_answers for _ in range(SUBMISSIONS)])
        print(
            f"PostgreSQL, {SUBMISSIONS} submissions, {CLIENTS} concurrent client threads, "
            f"{TEAMS} teams of {SUBMISSIONS // TEAMS}, "
            + ("team by team" if TEAM_BY_TEAM else "people in a random order")
        )
        print(
            "submit service (token, lock + counter, receipt, participation, sealed row, RLS): "
            f"{SUBMISSIONS / service_s:8.1f} submissions/s  ({service_s:.2f} s)"
        )
        print(
            f"raw INSERT of a sealed response, 1 row per transaction:                 "
            f"{SUBMISSIONS / raw_s:8.1f} rows/s         ({raw_s:.2f} s)"
        )
        print(
            f"raw INSERT of a sealed response + the team counter per transaction:    "
            f"{SUBMISSIONS / raw_full_s:8.1f} rows/s         ({raw_full_s:.2f} s)"
        )
        # The client threads share one interpreter lock: Python time per job bounds each rate.
        print(
            f"this process's CPU per job: service {CPU_MS['service']:.2f} ms, "
            f"raw single-row INSERT {CPU_MS['raw']:.2f} ms"
        )
        print(f"service / raw single-row INSERT: {raw_s / service_s:.2f}x")
        print(f"service / raw INSERT + counter: {raw_full_s / service_s:.2f}x")
    finally:
        with system_session() as session:
            org = session.get(Organization, ctx.org_id)
            if org is not None:
                session.delete(org)
    return 0


if __name__ == "__main__":
    sys.exit(main())
