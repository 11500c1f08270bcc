"""The delivery benches' data: a portfolio of initiatives with work items and their status
history, bulk-inserted (not through the services), then its roll-ups rebuilt by the app
(history.rebuild_roll_ups) and, for the forecast, a published plan funding every initiative."""

from __future__ import annotations

import random
import secrets
import time
from datetime import UTC, datetime, timedelta
from itertools import pairwise

NOW = datetime(2026, 11, 30, 12, tzinfo=UTC)
# Each done item: backlog, ready, doing, waiting, doing, done (six changes, five moves).
PATH = ("backlog", "ready", "doing", "waiting", "doing", "done")


def setup(initiatives: int, items: int):
    """(ctx, portfolio id) of a fresh organisation holding the whole data set."""
    from sqlalchemy import text

    from pmo_saas.db import get_engine, tenant_session
    from pmo_saas.delivery.history import rebuild_roll_ups
    from pmo_saas.identity import services as identity
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
    changes = build(ctx, pid, initiatives, items)
    with tenant_session(ctx) as session:
        rebuild_roll_ups(session, pid)
    with get_engine().begin() as conn:
        conn.execute(text("ANALYZE"))
    print(
        f"built {initiatives:,} initiatives, {items:,} work items, {changes:,} status changes "
        f"and their roll-ups in {time.perf_counter() - start:.1f} s"
    )
    return ctx, pid


def build(ctx, pid: int, initiatives: int, items_wanted: int) -> int:
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
                for n in range(initiatives)
            ],
        )
        ids = [r[0] for r in conn.exec_driver_sql("SELECT id FROM initiative ORDER BY id")]
    changes = 0
    batch = 20_000
    for first in range(0, items_wanted, batch):
        items, moves = [], []
        for n in range(first, min(first + batch, items_wanted)):
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


def publish_plan(ctx, pid: int) -> int:
    """A published plan adopted for every initiative (agile, planned to end in March)."""
    from datetime import date

    from sqlalchemy import insert
    from sqlmodel import col

    from pmo_saas.db import get_engine
    from pmo_saas.delivery.plan_models import InitiativePlan
    from pmo_saas.portfolio.models import PublishedPlan

    engine = get_engine()
    with engine.begin() as conn:
        plan_id = conn.execute(
            insert(PublishedPlan).returning(col(PublishedPlan.id)),
            {
                "org_id": ctx.org_id,
                "portfolio_id": pid,
                "scenario_name": "Bench plan",
                "published_at": NOW,
                "snapshot_json": "{}",
            },
        ).scalar_one()
        ids = [
            r[0]
            for r in conn.exec_driver_sql(
                f"SELECT id FROM initiative WHERE portfolio_id = {int(pid)} ORDER BY id"
            )
        ]
        conn.execute(
            insert(InitiativePlan),
            [
                {
                    "org_id": ctx.org_id,
                    "portfolio_id": pid,
                    "initiative_id": i,
                    "published_plan_id": plan_id,
                    "approach": "agile",
                    "planned_end": date(2027, 3, 31),
                    "planned_budget": 100_000,
                    "rag": "",
                    "rag_reason": "",
                    "created_at": NOW,
                    "updated_at": NOW,
                }
                for i in ids
            ],
        )
    assert plan_id is not None
    return plan_id
