"""The capacity view: 200 teams x 8 quarters of capacity, 2,000 initiatives allocated to teams
(8,000 allocations), demand vs capacity per team and per value stream.

Times `view.capacity_view` (grouped reads through the tenant-scoped ORM session, the team
names and the initiatives' value streams) beside a bare SQL aggregate of demand against
capacity per team and quarter, in the same run, and checks both give the same figures. The
issue's target for the view is under 200 ms.

    python bench/capacity_view.py            # SQLite, a fresh temporary file
    PMO_DATABASE_URL=postgresql://... python bench/capacity_view.py   # PostgreSQL

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

import pmo_saas.billing.entitlements
import pmo_saas.models  # noqa: F401
from pmo_saas.capacity.models import Allocation, TeamCapacity
from pmo_saas.capacity.services import view
from pmo_saas.db import get_engine, system_session, tenant_session
from pmo_saas.identity.models import Membership, Organization, Team, User
from pmo_saas.kernel.context import TenantContext
from pmo_saas.kernel.roles import Role
from pmo_saas.manage import migrate
from pmo_saas.portfolio.models import Initiative, Portfolio

SMOKE = smoke(__doc__)
TEAMS = 10 if SMOKE else 200
QUARTERS = [f"{2027 + q // 4}-Q{q % 4 + 1}" for q in range(2 if SMOKE else 8)]
INITIATIVES = 50 if SMOKE else 2000
STREAMS = 10
RUNS = 2 if SMOKE else 7

RAW_SQL = text(
    "SELECT c.team_id, c.quarter, c.people * c.days_per_person, "
    "COALESCE(SUM(a.person_days), 0) FROM teamcapacity c LEFT JOIN allocation a "
    "ON a.org_id = c.org_id AND a.team_id = c.team_id AND a.quarter = c.quarter "
    "WHERE c.org_id = :org GROUP BY c.team_id, c.quarter, c.people, c.days_per_person"
)


def build() -> TenantContext:
    tag = str(time.time_ns())
    with system_session() as session:
        org = Organization(name="Capacity bench", slug=f"bench-{tag}")
        session.add(org)
        session.flush()
        coach = User(email=f"coach-{tag}@bench.invalid", name="Coach")
        session.add(coach)
        session.flush()
        assert org.id is not None and coach.id is not None
        session.add(Membership(org_id=org.id, user_id=coach.id, role=Role.COACH))
    ctx = TenantContext(org_id=org.id, user_id=coach.id, role=Role.COACH)
    with tenant_session(ctx) as session:
        session.execute(
            insert(Team), [{"org_id": org.id, "name": f"Team {t:03d}"} for t in range(TEAMS)]
        )
        teams = list(session.exec(select(Team.id).order_by(col(Team.id))).all())
        portfolio = Portfolio(name="Bench portfolio")
        session.add(portfolio)
        session.flush()
        session.execute(
            insert(Initiative),
            [
                {
                    "org_id": org.id,
                    "portfolio_id": portfolio.id,
                    "title": f"Initiative {i:04d}",
                    "value_stream": f"Stream {i % STREAMS}",
                }
                for i in range(INITIATIVES)
            ],
        )
        initiatives = list(session.exec(select(Initiative.id).order_by(col(Initiative.id))).all())
        session.execute(
            insert(TeamCapacity),
            [
                {
                    "org_id": org.id,
                    "team_id": t,
                    "quarter": q,
                    "people": 5 + n % 4,
                    "days_per_person": 45.0,
                    "value_stream": f"Stream {n % STREAMS}",
                }
                for n, t in enumerate(teams)
                for q in QUARTERS
            ],
        )
        rows = []
        for n, i in enumerate(initiatives):
            for k in range(2):  # two teams, two quarters each
                team = teams[(n * 3 + k * 7) % len(teams)]
                for q in (QUARTERS[n % len(QUARTERS)], QUARTERS[(n + 1) % len(QUARTERS)]):
                    rows.append(
                        {
                            "org_id": org.id,
                            "initiative_id": i,
                            "team_id": team,
                            "quarter": q,
                            "person_days": float(20 + (n * 13 + k) % 60),
                        }
                    )
        unique = {(r["initiative_id"], r["team_id"], r["quarter"]): r for r in rows}
        session.execute(insert(Allocation), list(unique.values()))
    if get_engine().dialect.name == "postgresql":  # planner statistics, as autovacuum keeps them
        with get_engine().connect() as conn:
            conn.execute(text("ANALYZE teamcapacity, allocation, initiative, team"))
            conn.commit()
    return ctx


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
    ctx = build()
    build_seconds = time.perf_counter() - started
    with engine.connect() as conn:
        allocations = conn.execute(
            text("SELECT COUNT(*) FROM allocation WHERE org_id = :o"), {"o": ctx.org_id}
        ).scalar_one()

    def service() -> object:
        with tenant_session(ctx) as session:
            return view.capacity_view(session=session, ctx=ctx)

    def raw() -> object:
        with engine.connect() as conn:
            return conn.execute(RAW_SQL, {"org": ctx.org_id}).all()

    service(), raw()  # warm caches and connections
    service_seconds, result = timed(service)
    raw_seconds, rows = timed(raw)
    assert isinstance(rows, list) and result is not None
    with engine.connect() as conn:
        names: dict[int, str] = dict(
            conn.execute(
                text("SELECT id, name FROM team WHERE org_id = :o"), {"o": ctx.org_id}
            ).all()
        )
    raw_cells = {(names[t], q): (round(float(c), 2), round(float(d), 2)) for t, q, c, d in rows}
    cells = {(r.name, r.quarter): (r.capacity, r.demand) for r in result.teams}  # type: ignore[attr-defined]
    assert len(cells) == TEAMS * len(QUARTERS) == len(raw_cells), (len(cells), len(raw_cells))
    assert cells == raw_cells
    over = result.over_allocated  # type: ignore[attr-defined]

    print(f"database: {engine.dialect.name}")
    print(
        f"data: {TEAMS} teams x {len(QUARTERS)} quarters, {INITIATIVES} initiatives, "
        f"{allocations} allocations (built in {build_seconds:.1f} s)"
    )
    print(
        f"capacity view via view.capacity_view: {service_seconds * 1000:8.1f} ms "
        f"(median of {RUNS}; target < 200 ms)"
    )
    print(f"raw SQL demand-vs-capacity aggregate:  {raw_seconds * 1000:8.1f} ms (median of {RUNS})")
    print(f"overhead of the service:               {service_seconds / raw_seconds:8.2f} x")
    print(f"team quarters: {len(cells)} ({over} over-allocated), identical to the raw aggregate")

    if engine.dialect.name == "postgresql":
        with system_session() as session:
            session.execute(delete(Organization).where(col(Organization.id) == ctx.org_id))
            session.execute(delete(User).where(col(User.email).like("%@bench.invalid")))


if __name__ == "__main__":
    main()
