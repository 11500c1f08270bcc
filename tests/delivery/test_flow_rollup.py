"""The portfolio's figures read from the roll-ups equal the same figures computed from scratch
from the raw status history (replayed here, with the pure functions of delivery.flow), on a
random history with a fixed seed: moves over 40 weeks (some before the 26-week and 90-day
windows), items deleted by hand, an archived initiative and a value stream."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta

from sqlmodel import col, select

from pmo_saas.db import tenant_session
from pmo_saas.delivery import flow, history
from pmo_saas.delivery.columns import COLUMNS, DONE, STARTED, WAITING
from pmo_saas.delivery.models import FlowDay, FlowTally, StatusChange, WorkItem
from pmo_saas.delivery.services import flow as flow_services
from pmo_saas.delivery.services import workitems
from pmo_saas.kernel import clock
from pmo_saas.kernel.clock import as_utc
from pmo_saas.portfolio.services import initiatives as initiative_services
from tests.portfolio.builders import make_initiative, make_portfolio

NOW = datetime(2026, 11, 25, 15, 30, tzinfo=UTC)


def _random_history(ctx, rng: random.Random) -> tuple[int, list[int], list[int]]:
    pid = make_portfolio(ctx)
    shop = [make_initiative(ctx, pid, f"Shop {n}", value_stream="Shop") for n in range(2)]
    other = [make_initiative(ctx, pid, "Search", value_stream="Discovery")]
    moves = []
    for n in range(45):
        created = NOW - timedelta(hours=rng.randrange(24, 24 * 7 * 40))
        moves.append((created, n, "create"))
        when = created
        for _ in range(rng.randrange(0, 6)):
            when = min(NOW - timedelta(minutes=1), when + timedelta(hours=rng.randrange(1, 400)))
            moves.append((when, n, rng.choice([*COLUMNS, "done", "done", "doing"])))
        if rng.random() < 0.15:
            moves.append((when + timedelta(minutes=1), n, "delete"))
    ids: dict[int, int] = {}
    owners = shop + other
    for when, n, what in sorted(moves):
        clock.freeze(min(when, NOW))
        with tenant_session(ctx) as session:
            if what == "create":
                ids[n] = workitems.create_work_item(
                    session=session,
                    ctx=ctx,
                    initiative_id=owners[n % len(owners)],
                    data={"title": f"Item {n}", "status": rng.choice(["backlog", "doing"])},
                )
            elif what == "delete":
                workitems.delete_work_item(session=session, ctx=ctx, work_item_id=ids[n])
            else:
                item = session.get(WorkItem, ids[n])
                if item is not None and item.removed_at is None:
                    workitems.move_work_item(
                        session=session, ctx=ctx, work_item_id=ids[n], status=what
                    )
    clock.freeze(NOW)
    return pid, shop, other


def _from_scratch(ctx, initiative_ids: list[int]):
    """Every figure replayed from the raw moves of the live items of `initiative_ids`."""
    with tenant_session(ctx) as session:
        items = session.exec(
            select(WorkItem).where(
                col(WorkItem.initiative_id).in_(initiative_ids), col(WorkItem.removed_at).is_(None)
            )
        ).all()
        changes = session.exec(
            select(StatusChange)
            .where(col(StatusChange.work_item_id).in_([i.id for i in items]))
            .order_by(col(StatusChange.at), col(StatusChange.id))
        ).all()
        created = {i.id: as_utc(i.created_at) for i in items}
    by_item: dict[int, list[StatusChange]] = {}
    for c in changes:
        by_item.setdefault(c.work_item_id or 0, []).append(c)
    times, active, waiting, cycle, lead = [], 0.0, 0.0, [], []
    since = flow.week_start(NOW) - timedelta(weeks=flow.WEEKS)
    for item_id, moves in by_item.items():
        status, started, done, worked, waited, last = None, None, None, 0.0, 0.0, None
        for c in moves:
            at = as_utc(c.at)
            if status in STARTED and status != DONE and last is not None:
                span = (at - last).total_seconds() / flow.DAY
                waited, worked = (
                    (waited + span, worked) if status in WAITING else (waited, worked + span)
                )
            status, last = c.to_status, at
            if status in STARTED and started is None:
                started = at
            done = at if status == DONE else None
        times.append(flow.ItemTimes(status or "", created[item_id], started, done))
        if done is not None and done.date() >= since:
            active, waiting = active + worked, waiting + waited
            lead.append((done - created[item_id]).total_seconds() / flow.DAY)
            if started is not None:
                cycle.append((done - started).total_seconds() / flow.DAY)
    ages = flow.wip_ages(times, now=NOW)
    deltas = [(as_utc(c.at).date(), c.from_status, c.to_status, 1) for c in changes]
    cfd = flow.cumulative_flow(deltas, until=NOW.date(), days=flow.CFD_DAYS)
    text = flow_services._days_text
    return {
        "throughput": [
            (w.isoformat(), n)
            for w, n in flow.weekly_throughput([t.done_at for t in times if t.done_at], now=NOW)
        ],
        "done": sum(1 for t in times if t.done_at),
        "open": sum(1 for t in times if not t.done_at),
        "cycle": {str(p): text(v) for p, v in flow.percentiles(cycle).items()},
        "lead": {str(p): text(v) for p, v in flow.percentiles(lead).items()},
        "wip": (len(ages), text(flow.percentile(ages, 50)), text(max(ages) if ages else None)),
        "efficiency": flow.efficiency(active, waiting),
        "cfd": [(d.day.isoformat(), *(d.counts.get(k, 0) for k in COLUMNS)) for d in cfd],
    }


def _shown(view):
    f = view.figures
    return {
        "throughput": [(w.week, w.done) for w in view.throughput],
        "done": f.done_items,
        "open": f.open_items,
        "cycle": f.cycle,
        "lead": f.lead,
        "wip": (f.wip, f.wip_age_median, f.wip_age_oldest),
        "efficiency": f.efficiency,
        "cfd": [(p.day, p.backlog, p.ready, p.doing, p.waiting, p.done) for p in view.cfd],
    }


def _roll_ups(ctx):
    with tenant_session(ctx) as session:
        days = session.exec(select(FlowDay.measure, FlowDay.day, FlowDay.key, FlowDay.n)).all()
        totals = session.exec(select(FlowDay.measure, FlowDay.day, FlowDay.total)).all()
        tally = session.exec(select(FlowTally.initiative_id, FlowTally.status, FlowTally.n)).all()
    return (
        sorted(r for r in days if r[3]),
        sorted((m, d, round(t, 9)) for m, d, t in totals if abs(t) > 1e-9),
        sorted(r for r in tally if r[2]),
    )


def test_the_roll_up_equals_the_raw_history_on_a_random_history(org_a):
    pid, shop, other = _random_history(org_a, random.Random(20261202))
    with tenant_session(org_a) as session:
        whole = flow_services.portfolio_flow(session=session, ctx=org_a, portfolio_id=pid)
    expected = _from_scratch(org_a, shop + other)
    assert expected["done"] > 5 and expected["wip"][0] > 2  # a history worth comparing
    assert _shown(whole) == expected
    # Rebuilt from scratch (as after a bulk load), the roll-ups hold the same sums.
    kept = _roll_ups(org_a)
    with tenant_session(org_a) as session:
        history.rebuild_roll_ups(session, pid)
    assert _roll_ups(org_a) == kept
    # An archived initiative: the roll-up less its own history.
    with tenant_session(org_a) as session:
        initiative_services.archive_initiative(session=session, ctx=org_a, initiative_id=other[0])
        less = flow_services.portfolio_flow(session=session, ctx=org_a, portfolio_id=pid)
        stream = flow_services.portfolio_flow(
            session=session, ctx=org_a, portfolio_id=pid, value_stream="Shop"
        )
    assert _shown(less) == _from_scratch(org_a, shop) == _shown(stream)
    assert _shown(less) != expected
