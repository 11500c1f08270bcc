"""The organisation heat map (200 teams x 8 dimensions from 50,000 raw answers).

Times `results.heat_map` (one grouped query through the tenant-scoped ORM session, plus the
team and dimension labels) beside the bare SQL aggregate over the same rows, in the same run,
and checks both give the same numbers.

    python bench/assessments_heatmap.py            # SQLite, a fresh temporary file
    PMO_DATABASE_URL=postgresql://... python bench/assessments_heatmap.py   # PostgreSQL

On PostgreSQL the bench adds one organisation and deletes it again at the end.
"""

from __future__ import annotations

import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from bench._size import smoke

if not os.environ.get("PMO_DATABASE_URL", "").startswith("postgres"):
    _tmp = Path(tempfile.mkdtemp(prefix="pmo-bench-"))
    os.environ["PMO_DATABASE_URL"] = f"sqlite:///{_tmp / 'bench.db'}"
os.environ.setdefault("PMO_ENVIRONMENT", "development")

from sqlalchemy import delete, insert, text
from sqlmodel import col, select

import pmo_saas.models  # noqa: F401
from pmo_saas.assessments.models import (
    AssessmentAnswer,
    AssessmentRound,
    RoundParticipant,
    RoundTeam,
)
from pmo_saas.assessments.schemas import DimensionInput, LevelInput
from pmo_saas.assessments.services import catalog, results
from pmo_saas.db import get_engine, system_session, tenant_session
from pmo_saas.identity.models import Membership, Organization, Team, User
from pmo_saas.kernel.context import TenantContext
from pmo_saas.kernel.roles import Role
from pmo_saas.manage import migrate

SMOKE = smoke(__doc__)
TEAMS = 4 if SMOKE else 200
MEMBERS_PER_TEAM = 3 if SMOKE else 10
STATEMENTS = (3, 3, 3, 3, 3, 3, 3, 4)  # 8 dimensions, 25 statements
RUNS = 2 if SMOKE else 7

RAW_SQL = text(
    "SELECT team_id, dimension_id, AVG(value), COUNT(*) FROM assessmentanswer "
    "WHERE org_id = :org AND round_id = :round GROUP BY team_id, dimension_id"
)


def build() -> tuple[TenantContext, int]:
    """One organisation, 200 teams of 10, one round of an 8-dimension model, 50,000 answers."""
    tag = str(time.time_ns())
    with system_session() as session:
        org = Organization(name="Heat map bench", slug=f"bench-{tag}")
        session.add(org)
        session.flush()
        assert org.id is not None
        coach = User(email=f"coach-{tag}@bench.invalid", name="Coach")
        session.add(coach)
        session.flush()
        assert coach.id is not None
        session.add(Membership(org_id=org.id, user_id=coach.id, role=Role.COACH))
        users = [
            {"email": f"m{i}-{tag}@bench.invalid", "name": f"Member {i}", "password_hash": ""}
            for i in range(TEAMS * MEMBERS_PER_TEAM)
        ]
        session.execute(insert(User), users)
        user_ids = list(
            session.exec(
                select(User.id).where(col(User.email).like(f"m%-{tag}@bench.invalid"))
            ).all()
        )
    ctx = TenantContext(org_id=org.id, user_id=coach.id, role=Role.COACH)
    with tenant_session(ctx) as session:
        session.execute(
            insert(Team), [{"org_id": org.id, "name": f"Team {t:03d}"} for t in range(TEAMS)]
        )
        team_ids = list(session.exec(select(Team.id).order_by(col(Team.id))).all())
        model_id = catalog.create_model(
            session=session,
            ctx=ctx,
            name="Bench model",
            levels=[LevelInput(value=v, label=str(v)) for v in range(1, 6)],
            dimensions=[
                DimensionInput(name=f"Dimension {d}", statements=[f"S{d}.{s}" for s in range(n)])
                for d, n in enumerate(STATEMENTS)
            ],
        )
        version = catalog._latest_version(session, model_id)
        version.locked = True
        session.add(version)
        session.flush()
        detail = catalog._version_detail(session, version)
        rnd = AssessmentRound(
            org_id=org.id, title="Bench round", model_version_id=version.id or 0, status="closed"
        )
        session.add(rnd)
        session.flush()
        assert rnd.id is not None
        session.execute(
            insert(RoundTeam),
            [{"org_id": org.id, "round_id": rnd.id, "team_id": t} for t in team_ids],
        )
        session.execute(
            insert(RoundParticipant),
            [
                {
                    "org_id": org.id,
                    "round_id": rnd.id,
                    "team_id": team_ids[i // MEMBERS_PER_TEAM],
                    "user_id": user_id,
                }
                for i, user_id in enumerate(user_ids)
            ],
        )
        participants = session.exec(
            select(RoundParticipant.id, RoundParticipant.team_id).where(
                RoundParticipant.round_id == rnd.id
            )
        ).all()
        answers = []
        for p_index, (pid, team_id) in enumerate(participants):
            for d_index, dim in enumerate(detail.dimensions):
                for s_index, st in enumerate(dim.statements):
                    answers.append(
                        {
                            "org_id": org.id,
                            "participant_id": pid,
                            "statement_id": st.id,
                            "round_id": rnd.id,
                            "team_id": team_id,
                            "dimension_id": dim.id,
                            "value": 1 + (p_index * 7 + d_index * 3 + s_index) % 5,
                        }
                    )
        session.execute(insert(AssessmentAnswer), answers)
    return ctx, rnd.id


def timed(fn: object) -> tuple[float, object]:
    samples, result = [], None
    for _ in range(RUNS):
        start = time.perf_counter()
        result = fn()  # type: ignore[operator]
        samples.append(time.perf_counter() - start)
    return statistics.median(samples), result


def main() -> None:
    engine = get_engine()
    migrate()
    started = time.perf_counter()
    ctx, round_id = build()
    build_seconds = time.perf_counter() - started
    with engine.connect() as conn:
        answers = conn.execute(
            text("SELECT COUNT(*) FROM assessmentanswer WHERE round_id = :r"), {"r": round_id}
        ).scalar_one()

    def service() -> object:
        with tenant_session(ctx) as session:
            return results.heat_map(session=session, ctx=ctx, round_id=round_id)

    def raw() -> object:
        with engine.connect() as conn:
            return conn.execute(RAW_SQL, {"org": ctx.org_id, "round": round_id}).all()

    service(), raw()  # warm caches and connections
    service_seconds, heat = timed(service)
    raw_seconds, rows = timed(raw)
    assert isinstance(rows, list) and heat is not None
    raw_cells = {(t, d): float(m) for t, d, m, _ in rows}
    cells = {(c.team_id, c.dimension_id): c.mean for c in heat.cells}  # type: ignore[attr-defined]
    assert len(cells) == TEAMS * len(STATEMENTS) == len(raw_cells)
    assert all(abs(cells[k] - v) < 1e-9 for k, v in raw_cells.items())

    print(f"database: {engine.dialect.name}")
    print(
        f"data: {TEAMS} teams x {len(STATEMENTS)} dimensions, {answers} answers "
        f"(built in {build_seconds:.1f} s)"
    )
    print(f"heat map via results.heat_map: {service_seconds * 1000:8.1f} ms (median of {RUNS})")
    print(f"raw SQL GROUP BY aggregate:     {raw_seconds * 1000:8.1f} ms (median of {RUNS})")
    print(f"overhead of the service:        {service_seconds / raw_seconds:8.2f} x")
    print(f"cells: {len(cells)}, identical to the raw aggregate")

    if engine.dialect.name == "postgresql":
        with system_session() as session:
            session.execute(delete(Organization).where(col(Organization.id) == ctx.org_id))
            session.execute(delete(User).where(col(User.email).like("%@bench.invalid")))


if __name__ == "__main__":
    main()
