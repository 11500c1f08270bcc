"""The executive dashboard for a large organisation: each tile's query time.

Builds one organisation with 2,000 initiatives (4 portfolios, a published plan each, 500
risks), 200 teams of 10 people, 4 closed maturity rounds (200 teams x 5 people x 30
statements each: 120,000 answers, and the per-team totals close_round writes), 100,000
survey responses (Westrum rounds 1 and 2 with 40,000 each, one eNPS round with 20,000;
500,000 answer rows), 400 coaching plans with 4,000 actions, and training records. Then
times every tile (median of 5 runs, each in its own tenant transaction, so on PostgreSQL
under the tenant role with row-level security) and the whole dashboard.

    python bench/dashboard_tiles.py                       # SQLite file in a temp folder
    PMO_DATABASE_URL=postgresql://postgres@127.0.0.1:5432/DB python bench/dashboard_tiles.py

On PostgreSQL the bench adds one organisation and deletes it again at the end.
"""

from __future__ import annotations

import json
import logging
import os
import random
import secrets
import statistics
import sys
import tempfile
import time
from collections.abc import Iterable, Sequence
from datetime import date, timedelta
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from bench._size import smoke

os.environ["PMO_SMTP_HOST"] = ""
os.environ.setdefault("PMO_ENVIRONMENT", "development")
os.environ.setdefault("PMO_SECRET_KEY", "bench-secret-key-" + "x" * 40)
if not os.environ.get("PMO_DATABASE_URL"):
    os.environ["PMO_DATABASE_URL"] = "sqlite:///" + str(
        Path(tempfile.mkdtemp(prefix="pmo-bench-")) / "dashboard.db"
    )

from sqlalchemy import text
from sqlmodel import col, select

import pmo_saas.models  # noqa: F401
from pmo_saas.assessments.models import (
    AssessmentDimension,
    AssessmentModel,
    AssessmentModelVersion,
    AssessmentStatement,
)
from pmo_saas.assessments.services import catalog as assessment_catalog
from pmo_saas.assessments.services import rounds as assessment_rounds
from pmo_saas.dashboard import services as dashboard
from pmo_saas.dashboard import tiles
from pmo_saas.db import get_engine, system_session, tenant_session
from pmo_saas.identity.models import Membership, Organization, Team, User
from pmo_saas.kernel.clock import utcnow
from pmo_saas.kernel.context import TenantContext
from pmo_saas.kernel.roles import Role
from pmo_saas.manage import migrate
from pmo_saas.portfolio.fields import STATUSES
from pmo_saas.settings import get_settings
from pmo_saas.surveys import sealing
from pmo_saas.surveys import services as surveys
from pmo_saas.surveys.models import SurveyInvitation, SurveyQuestion

logging.getLogger("pmo_saas.mail").setLevel(logging.ERROR)

SMOKE = smoke(__doc__)
INITIATIVES = 40 if SMOKE else 2_000
PORTFOLIOS = 2 if SMOKE else 4
TEAMS = 6 if SMOKE else 200
TEAM_SIZE = 4 if SMOKE else 10
RISKS = 10 if SMOKE else 500
ROUNDS = 2 if SMOKE else 4
ASSESSED_PER_TEAM = 2 if SMOKE else 5
SURVEY_ROUNDS = (
    (("westrum", 200), ("westrum", 200), ("enps", 100))
    if SMOKE
    else (("westrum", 40_000), ("westrum", 40_000), ("enps", 20_000))
)
PLANS = 8 if SMOKE else 400
ACTIONS_PER_PLAN = 3 if SMOKE else 10
RUNS = 2 if SMOKE else 5

rng = random.Random(7)


def postgres() -> bool:
    return get_settings().database_url.startswith("postgres")


def bulk(table: str, columns: Sequence[str], rows: Iterable[Sequence[Any]]) -> int:
    """Insert rows fast: COPY on PostgreSQL, executemany on SQLite."""
    raw = get_engine().raw_connection()
    count = 0
    try:
        cursor = raw.cursor()
        if postgres():
            with cursor.copy(  # type: ignore[attr-defined]
                f'COPY "{table}" ({", ".join(columns)}) FROM STDIN'
            ) as copy:
                for row in rows:
                    copy.write_row(row)
                    count += 1
        else:
            batch = list(rows)
            marks = ", ".join("?" for _ in columns)
            cursor.executemany(
                f'INSERT INTO "{table}" ({", ".join(columns)}) VALUES ({marks})',
                batch,
            )
            count = len(batch)
        raw.commit()
    finally:
        raw.close()
    return count


def ids_of(query: Any) -> list[int]:
    with system_session() as session:
        return [int(i) for i in session.exec(query).all()]


def build() -> TenantContext:
    tag = secrets.token_hex(4)
    now = utcnow()
    with system_session() as session:
        owner = User(email=f"bench-owner-{tag}@example.com", name="Bench owner")
        org = Organization(name=f"Dashboard bench {tag}", slug=f"dashboard-bench-{tag}")
        session.add_all([owner, org])
        session.flush()
        assert owner.id is not None and org.id is not None
        session.add(Membership(org_id=org.id, user_id=owner.id, role=Role.OWNER))
        ctx = TenantContext(
            org_id=org.id, user_id=owner.id, role=Role.OWNER, org_slug=f"dashboard-bench-{tag}"
        )
    org_id = ctx.org_id

    # ---- people and teams
    bulk(
        "user",
        ["email", "name", "password_hash", "created_at"],
        ((f"b{tag}-{n}@example.com", f"Person {n}", "", now) for n in range(TEAMS * TEAM_SIZE)),
    )
    people = ids_of(select(User.id).where(col(User.email).like(f"b{tag}-%")).order_by(col(User.id)))
    bulk(
        "membership",
        ["org_id", "user_id", "role", "created_at"],
        ((org_id, uid, "member", now) for uid in people),
    )
    bulk(
        "team",
        ["org_id", "name", "created_at"],
        ((org_id, f"Team {t:03d}", now) for t in range(TEAMS)),
    )
    team_ids = ids_of(select(Team.id).where(Team.org_id == org_id).order_by(col(Team.id)))
    members = {t: people[i * TEAM_SIZE : (i + 1) * TEAM_SIZE] for i, t in enumerate(team_ids)}
    bulk(
        "teammember",
        ["org_id", "team_id", "user_id"],
        ((org_id, t, u) for t, us in members.items() for u in us),
    )

    # ---- portfolio: 2,000 initiatives, risks, one published plan per portfolio
    from pmo_saas.portfolio.models import Initiative, Portfolio

    bulk(
        "portfolio",
        ["org_id", "name", "description", "scoring_model", "budget", "currency", "created_at"],
        ((org_id, f"Portfolio {p}", "", "wsjf", 25_000_000, "EUR", now) for p in range(PORTFOLIOS)),
    )
    portfolios = ids_of(
        select(Portfolio.id).where(Portfolio.org_id == org_id).order_by(col(Portfolio.id))
    )
    statuses = list(STATUSES)
    bulk(
        "initiative",
        [
            "org_id",
            "portfolio_id",
            "title",
            "description",
            "owner",
            "value_stream",
            "status",
            "cost",
            "tags",
            "manual_rank_reason",
            "created_at",
            "updated_at",
        ],
        (
            (
                org_id,
                portfolios[n % PORTFOLIOS],
                f"Initiative {n:04d}",
                "",
                "Owner",
                "Stream",
                rng.choice(statuses),
                rng.randint(10, 500) * 1000,
                "",
                "",
                now,
                now,
            )
            for n in range(INITIATIVES)
        ),
    )
    initiatives = ids_of(select(Initiative.id).where(Initiative.org_id == org_id))
    bulk(
        "risk",
        [
            "org_id",
            "portfolio_id",
            "initiative_id",
            "title",
            "probability",
            "impact",
            "owner",
            "mitigation",
            "status",
            "created_at",
            "updated_at",
        ],
        (
            (
                org_id,
                portfolios[0],
                rng.choice(initiatives),
                f"Risk {n}",
                rng.randint(1, 5),
                rng.randint(1, 5),
                "Owner",
                "",
                rng.choice(["open", "mitigating", "closed"]),
                now,
                now,
            )
            for n in range(RISKS)
        ),
    )
    for p in portfolios:
        funded = rng.sample(initiatives, min(200, len(initiatives) // 2))
        snapshot = {
            "budget": 25_000_000,
            "total_value": float(sum(rng.random() * 10 for _ in funded)),
            "total_cost": 20_000_000,
            "funded_ids": funded,
            "lines": [{"initiative_id": i, "funded": i in funded} for i in initiatives[:500]],
        }
        bulk(
            "publishedplan",
            ["org_id", "portfolio_id", "scenario_name", "published_at", "snapshot_json"],
            [(org_id, p, "Baseline", now, json.dumps(snapshot))],
        )

    # ---- assessments: 4 closed rounds of the built-in maturity model
    with tenant_session(ctx) as session:
        assessment_catalog.ensure_builtin_models(session=session, ctx=ctx)
        version_id = session.exec(
            select(AssessmentModelVersion.id)
            .join(AssessmentModel, AssessmentModel.id == AssessmentModelVersion.model_id)  # type: ignore[arg-type]
            .where(AssessmentModel.kind == "maturity")
        ).first()
        statements = session.exec(
            select(AssessmentStatement.id, AssessmentStatement.dimension_id)
            .join(AssessmentDimension, AssessmentDimension.id == AssessmentStatement.dimension_id)  # type: ignore[arg-type]
            .where(AssessmentDimension.version_id == version_id)
        ).all()
    for r in range(ROUNDS):
        opened = now - timedelta(days=90 * (ROUNDS - r))
        bulk(
            "assessmentround",
            ["org_id", "title", "model_version_id", "status", "notes", "opened_at", "closed_at"],
            [
                (
                    org_id,
                    f"Round {r + 1}",
                    version_id,
                    "closed",
                    "",
                    opened,
                    opened + timedelta(days=14),
                )
            ],
        )
    from pmo_saas.assessments.models import AssessmentRound, RoundParticipant

    round_ids = ids_of(
        select(AssessmentRound.id)
        .where(AssessmentRound.org_id == org_id)
        .order_by(col(AssessmentRound.id))
    )
    bulk(
        "roundparticipant",
        ["org_id", "round_id", "team_id", "user_id", "submitted_at"],
        (
            (org_id, r, t, u, now)
            for r in round_ids
            for t, us in members.items()
            for u in us[:ASSESSED_PER_TEAM]
        ),
    )
    with system_session() as session:
        participants = session.exec(
            select(RoundParticipant.id, RoundParticipant.round_id, RoundParticipant.team_id).where(
                RoundParticipant.org_id == org_id
            )
        ).all()
    answers = bulk(
        "assessmentanswer",
        [
            "org_id",
            "participant_id",
            "statement_id",
            "round_id",
            "team_id",
            "dimension_id",
            "value",
        ],
        (
            (
                org_id,
                pid,
                sid,
                rid,
                tid,
                did,
                min(5, max(1, round(rng.gauss(2 + rid % 4 * 0.3, 1)))),
            )
            for pid, rid, tid in participants
            for sid, did in statements
        ),
    )
    # Written closed: the answer totals close_round would write, from the answers just loaded.
    for round_id in round_ids:
        with tenant_session(ctx) as session:
            assessment_rounds.record_round_totals(session=session, ctx=ctx, round_id=round_id)

    # ---- surveys: 100,000 responses over three rounds
    survey_ids: list[int] = []
    with tenant_session(ctx) as session:
        westrum = surveys.launch_survey(
            session=session, ctx=ctx, title="Culture", instrument="westrum",
            team_ids=team_ids, notify=False,
        )  # fmt: skip
        survey_ids.append(westrum)
    with tenant_session(ctx) as session:
        surveys.close_survey(session=session, ctx=ctx, survey_id=westrum)
        survey_ids.append(
            surveys.rerun_survey(session=session, ctx=ctx, survey_id=westrum, notify=False)
        )
        survey_ids.append(
            surveys.launch_survey(
                session=session,
                ctx=ctx,
                title="eNPS",
                instrument="enps",
                team_ids=team_ids,
                notify=False,
            )
        )
    from pmo_saas.surveys.models import SurveyTeam

    responses = 0
    for survey_id, (_instrument, count) in zip(survey_ids, SURVEY_ROUNDS, strict=True):
        with system_session() as session:
            questions = session.exec(
                select(SurveyQuestion.id, SurveyQuestion.kind).where(
                    SurveyQuestion.survey_id == survey_id
                )
            ).all()
            survey_teams = [
                int(i or 0)
                for i in session.exec(
                    select(SurveyTeam.id).where(SurveyTeam.survey_id == survey_id)
                ).all()
            ]
        numeric = [(q, kind) for q, kind in questions if kind in ("scale7", "nps")]
        teams_of = [survey_teams[n % len(survey_teams)] for n in range(count)]
        # Sealed as submit_response seals them; close_survey opens them into the counters.
        responses += bulk(
            "surveysealedresponse",
            ["id", "org_id", "survey_id", "survey_team_id", "sealed"],
            (
                (
                    secrets.token_hex(16),
                    org_id,
                    survey_id,
                    st,
                    sealing.seal(
                        [
                            [
                                q,
                                "",
                                float(rng.randint(0, 10) if kind == "nps" else rng.randint(2, 7)),
                                None,
                            ]
                            for q, kind in numeric
                        ],
                        associated=f"{survey_id}:{st}".encode(),
                    ),
                )
                for st in teams_of
            ),
        )
        with system_session() as session:
            for st in set(teams_of):
                session.execute(
                    text("UPDATE surveyteam SET responses = :n WHERE id = :i"),
                    {"n": teams_of.count(st), "i": st},
                )
    with tenant_session(ctx) as session:
        invitations = session.exec(select(SurveyInvitation)).all()
        for inv in invitations:
            inv.answered = rng.random() < 0.85
            session.add(inv)
    with tenant_session(ctx) as session:
        for survey_id in survey_ids[1:]:
            surveys.close_survey(session=session, ctx=ctx, survey_id=survey_id)

    # ---- coaching: plans with actions, courses and completions
    bulk(
        "coachingplan",
        ["org_id", "title", "team_id", "status", "source_round_title", "created_at", "updated_at"],
        (
            (
                org_id,
                f"Plan {n}",
                team_ids[n % TEAMS],
                rng.choice(["active", "active", "completed"]),
                "",
                now,
                now,
            )
            for n in range(PLANS)
        ),
    )
    from pmo_saas.coaching.models import CoachingPlan, Course

    plan_ids = ids_of(select(CoachingPlan.id).where(CoachingPlan.org_id == org_id))
    today = date.today()
    bulk(
        "coachingaction",
        ["org_id", "plan_id", "title", "due_date", "status", "scope", "created_at", "updated_at"],
        (
            (
                org_id,
                p,
                f"Action {n}",
                today + timedelta(days=rng.randint(-60, 60)),
                rng.choice(["todo", "doing", "done"]),
                "team",
                now,
                now,
            )
            for p in plan_ids
            for n in range(ACTIONS_PER_PLAN)
        ),
    )
    bulk(
        "course",
        ["org_id", "name", "level", "duration_hours", "provider", "created_at"],
        ((org_id, f"Course {c}", "beginner", 8.0, "", now) for c in range(10)),
    )
    courses = ids_of(select(Course.id).where(Course.org_id == org_id))
    bulk(
        "enrolment",
        ["org_id", "course_id", "user_id", "enrolled_at", "completed_on"],
        (
            (org_id, rng.choice(courses), u, now, today if rng.random() < 0.7 else None)
            for u in rng.sample(people, min(1500, len(people)))
        ),
    )
    if postgres():
        with get_engine().begin() as conn:
            conn.execute(text("ANALYZE"))
    print(
        f"built: {INITIATIVES:,} initiatives, {TEAMS} teams of {TEAM_SIZE}, "
        f"{answers:,} assessment answers, {responses:,} survey responses, "
        f"{PLANS} plans x {ACTIONS_PER_PLAN} actions"
    )
    return ctx


def timed(fn: Any, ctx: TenantContext) -> tuple[float, Any]:
    times, value = [], None
    for _ in range(RUNS):
        start = time.perf_counter()
        with tenant_session(ctx) as session:
            value = fn(session, ctx)
        times.append(time.perf_counter() - start)
    return statistics.median(times), value


def main() -> int:
    backend = "PostgreSQL" if postgres() else "SQLite"
    migrate()
    start = time.perf_counter()
    ctx = build()
    print(f"{backend}: data loaded in {time.perf_counter() - start:.1f} s")
    try:
        # Baseline: one tenant transaction reading one row (the organisation's name).
        base, _ = timed(
            lambda s, c: s.exec(select(Organization.name).where(Organization.id == c.org_id)).one(),
            ctx,
        )
        print(f"baseline: one-row SELECT in a tenant transaction {base * 1000:.2f} ms (median)")
        print(f"{'tile':<16} {'median ms':>10} {'x base':>7}  figure")
        for name, tile in tiles.TILES.items():
            seconds, value = timed(tile, ctx)
            summary = json.dumps(value.model_dump(exclude={"href", "rows", "points", "chart"}))
            print(f"{name:<16} {seconds * 1000:>10.1f} {seconds / base:>7.1f}  {summary[:80]}")
        seconds, _ = timed(lambda s, c: dashboard.build_dashboard(session=s, ctx=c), ctx)
        print(f"{'whole dashboard':<16} {seconds * 1000:>10.1f} {seconds / base:>7.1f}")
    finally:
        if postgres():
            with system_session() as session:
                org = session.get(Organization, ctx.org_id)
                if org is not None:
                    session.delete(org)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
