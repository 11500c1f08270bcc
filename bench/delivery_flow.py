"""Flow metrics and forecast for a portfolio of 2,000 initiatives, 200,000 work items and
1,000,000 status changes. Targets: the portfolio's flow view < 300 ms, a 10,000-run forecast
of the whole plan < 1 s.

Builds the data on a temporary SQLite database (bulk inserts, not the services), then times the
whole service call (`portfolio_flow`: every figure, the CFD and the forecast), the forecast on
its own, and, as the baseline, a bare SQL aggregate of the same items (weekly done counts).

    python bench/delivery_flow.py [--smoke]
"""

from __future__ import annotations

import os
import random
import secrets
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from itertools import pairwise
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from bench._size import smoke

_tmp = Path(tempfile.mkdtemp(prefix="pmo-bench-"))
os.environ.setdefault("PMO_DATABASE_URL", f"sqlite:///{_tmp / 'bench.db'}")
os.environ.setdefault("PMO_ENVIRONMENT", "test")
os.environ.setdefault("PMO_SECRET_KEY", "bench-secret-key-" + "x" * 40)

SMOKE = smoke(__doc__)
INITIATIVES = 20 if SMOKE else 2_000
ITEMS = 2_000 if SMOKE else 200_000
VIEW_TARGET, FORECAST_TARGET = 0.300, 1.0
NOW = datetime(2026, 11, 30, 12, tzinfo=UTC)
# Each done item: backlog, ready, doing, waiting, doing, done (six changes, five moves).
PATH = ("backlog", "ready", "doing", "waiting", "doing", "done")


def build(ctx, pid: int) -> int:
    from sqlalchemy import insert

    from pmo_saas.db import get_engine
    from pmo_saas.delivery.models import StatusChange, WorkItem
    from pmo_saas.portfolio.models import Initiative

    rng = random.Random(11)
    engine = get_engine()
    with engine.begin() as conn:
        conn.execute(
            insert(Initiative),
            [
                {
                    "org_id": ctx.org_id,
                    "portfolio_id": pid,
                    "title": f"Initiative {n}",
                    "value_stream": f"Stream {n % 8}",
                    "status": "implementing",
                    "created_at": NOW,
                    "updated_at": NOW,
                }
                for n in range(INITIATIVES)
            ],
        )
        ids = [r[0] for r in conn.exec_driver_sql("SELECT id FROM initiative ORDER BY id")]
    changes = 0
    batch = 20_000
    for first in range(0, ITEMS, batch):
        items, moves = [], []
        for n in range(first, min(first + batch, ITEMS)):
            created = NOW - timedelta(hours=rng.randrange(24, 24 * 7 * 30))
            steps = len(PATH) if rng.random() < 0.8 else rng.randrange(1, 5)
            times = [created]
            for _ in range(steps - 1):
                times.append(min(NOW, times[-1] + timedelta(hours=rng.randrange(1, 120))))
            done = times[-1] if steps == len(PATH) else None
            started = times[2] if steps > 2 else None
            # Worked and waiting days, as history.move_work_item keeps them.
            spans = [(b - a).total_seconds() / 86_400 for a, b in pairwise(times)]
            active = sum(d for k, d in enumerate(spans) if PATH[k] == "doing")
            waiting = sum(d for k, d in enumerate(spans) if PATH[k] == "waiting")
            items.append(
                {
                    "id": n + 1,
                    "org_id": ctx.org_id,
                    "portfolio_id": pid,
                    "initiative_id": ids[n % len(ids)],
                    "kind": "story",
                    "title": f"Item {n}",
                    "status": PATH[steps - 1],
                    "created_at": created,
                    "started_at": started,
                    "done_at": done,
                    "moved_at": times[-1],
                    "active_days": active,
                    "waiting_days": waiting,
                    "cycle_days": (done - started).total_seconds() / 86_400
                    if done and started
                    else None,
                    "lead_days": (done - created).total_seconds() / 86_400 if done else None,
                    "source": "csv",
                    "external_key": "",
                }
            )
            for k in range(steps):
                moves.append(
                    {
                        "org_id": ctx.org_id,
                        "portfolio_id": pid,
                        "initiative_id": ids[n % len(ids)],
                        "work_item_id": n + 1,
                        "from_status": PATH[k - 1] if k else None,
                        "to_status": PATH[k],
                        "at": times[k],
                        "source": "import",
                    }
                )
        with engine.begin() as conn:
            conn.execute(insert(WorkItem), items)
            conn.execute(insert(StatusChange), moves)
        changes += len(moves)
    return changes


def main() -> int:
    from sqlalchemy import func, text
    from sqlmodel import select

    from pmo_saas.db import get_engine, tenant_session
    from pmo_saas.delivery.forecast import forecast
    from pmo_saas.delivery.models import WorkItem
    from pmo_saas.delivery.services import flow as flow_services
    from pmo_saas.identity import services as identity
    from pmo_saas.kernel import clock
    from pmo_saas.manage import migrate
    from pmo_saas.portfolio.services import portfolios as portfolio_services

    migrate()
    user_id, slug = identity.sign_up(
        org_name="Bench",
        name="Bench",
        email="owner@example.com",
        password="Aa9-" + secrets.token_urlsafe(16),
    )
    ctx = identity.workspace_context(user_id=user_id, slug=slug)
    with tenant_session(ctx) as session:
        pid = portfolio_services.create_portfolio(session=session, ctx=ctx, name="Bench")
    start = time.perf_counter()
    changes = build(ctx, pid)
    with get_engine().begin() as conn:
        conn.execute(text("ANALYZE"))
    print(
        f"built {INITIATIVES:,} initiatives, {ITEMS:,} work items, {changes:,} status changes "
        f"in {time.perf_counter() - start:.1f} s"
    )
    clock.freeze(NOW)
    timings = []
    for _ in range(3):
        with tenant_session(ctx) as session:
            start = time.perf_counter()
            view = flow_services.portfolio_flow(session=session, ctx=ctx, portfolio_id=pid, seed=1)
            timings.append(time.perf_counter() - start)
    view_s = min(timings)
    print(
        f"portfolio flow view (every figure, CFD, 10,000-run forecast): best of 3 "
        f"{view_s * 1000:.0f} ms; {view.figures.done_items:,} done, cycle p85 "
        f"{view.figures.cycle['85']}, efficiency {view.figures.efficiency}; "
        f"{view.forecast.sentence}"
    )
    history = view.forecast.history
    start = time.perf_counter()
    result = forecast(history, view.forecast.remaining, start=NOW.date(), runs=10_000, seed=2)
    forecast_s = time.perf_counter() - start
    print(
        f"forecast alone: 10,000 runs for {view.forecast.remaining:,} remaining items over "
        f"{len(history)} weeks of history: {forecast_s * 1000:.0f} ms ({result.dates[85]} at 85%)"
    )
    week = func.strftime("%Y-%W", WorkItem.done_at)
    with tenant_session(ctx) as session:
        start = time.perf_counter()
        rows = session.exec(
            select(week, func.count())
            .where(WorkItem.portfolio_id == pid, WorkItem.done_at.is_not(None))  # type: ignore[union-attr]
            .group_by(week)
        ).all()
        baseline = time.perf_counter() - start
    print(
        f"baseline, bare SQL weekly done counts ({len(rows)} weeks): {baseline * 1000:.0f} ms; "
        f"the flow view is {view_s / baseline:.1f}x the bare aggregate"
    )
    ok = view_s < VIEW_TARGET and forecast_s < FORECAST_TARGET
    print(
        f"targets: flow view < {VIEW_TARGET * 1000:.0f} ms, forecast < {FORECAST_TARGET:.0f} s: "
        f"{'OK' if ok else 'OVER TARGET'}" + (" (smoke size)" if SMOKE else "")
    )
    get_engine().dispose()
    return 0


if __name__ == "__main__":
    sys.exit(main())
