"""Writing the status history: the recorder the portfolio's moves reach through kernel.moves,
the one function every work-item move goes through (it keeps the item's derived times), and
the one that removes an item from the figures (removed at the source, or deleted by hand).

Each of them also keeps the portfolio's roll-ups (`FlowDay`, `FlowTally`): the changes are
summed in the session and written, as upserts adding to the stored sums, by every flush, so
they commit (or roll back) with the moves themselves.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import delete, event
from sqlalchemy import select as sa_select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session as OrmSession
from sqlmodel import col, select

from pmo_saas.db import ORG_KEY, bump_data_version
from pmo_saas.delivery.columns import DONE, STARTED, WAITING
from pmo_saas.delivery.models import FlowDay, FlowTally, StatusChange, WorkItem
from pmo_saas.kernel.clock import as_utc
from pmo_saas.kernel.moves import Move, on_move

DAY = 86_400.0
_PENDING = "pmo_flow_pending"
# (org, portfolio, measure, day, key) -> [n, total]; (org, portfolio, initiative, status) -> n
_DayKey = tuple[int, int, str, date, str]
_TallyKey = tuple[int, int, int, str]


@on_move
def record_initiative_move(session: Any, move: Move) -> None:
    session.add(
        StatusChange(
            portfolio_id=move.portfolio_id,
            initiative_id=move.initiative_id,
            from_status=move.from_status,
            to_status=move.to_status,
            at=move.at,
            by_user_id=move.by_user_id,
            source=move.source,
        )
    )


def tenths(days: float) -> int:
    """The bucket a duration is counted in: its figure as shown (one decimal), in tenths, so
    a percentile of the buckets is exactly the percentile of the durations as shown."""
    return round(float(f"{days:.1f}") * 10)


def monday(moment: datetime) -> date:
    day = as_utc(moment).date()
    return day - timedelta(days=day.weekday())


def move_key(from_status: str | None, to_status: str) -> str:
    return f"{from_status or ''}>{to_status}"


def done_rows(item: Any) -> list[tuple[str, date, str, int, float]]:
    """What a live done item adds to its done week's sums (nothing for any other item)."""
    if item.removed_at is not None or item.done_at is None:
        return []
    week = monday(item.done_at)
    rows = [
        ("done", week, "", 1, 0.0),
        ("active", week, "", 0, item.active_days),
        ("waiting", week, "", 0, item.waiting_days),
    ]
    if item.cycle_days is not None:
        rows.append(("cycle", week, str(tenths(item.cycle_days)), 1, 0.0))
    if item.lead_days is not None:
        rows.append(("lead", week, str(tenths(item.lead_days)), 1, 0.0))
    return rows


def _pending(session: Any) -> tuple[dict[_DayKey, list[float]], dict[_TallyKey, int]]:
    if _PENDING not in session.info:
        session.info[_PENDING] = (defaultdict(lambda: [0, 0.0]), defaultdict(int))
    return session.info[_PENDING]


def _org(session: Any, item: WorkItem) -> int:
    org_id = item.org_id if item.org_id is not None else session.info.get(ORG_KEY)
    assert org_id is not None, "work items move inside a tenant session"
    return int(org_id)


def _add_done(session: Any, item: WorkItem, sign: int) -> None:
    days, _tally = _pending(session)
    for measure, day, key, n, total in done_rows(item):
        sums = days[(_org(session, item), item.portfolio_id, measure, day, key)]
        sums[0] += sign * n
        sums[1] += sign * total


def _add_move(
    session: Any, item: WorkItem, old: str | None, new: str, at: datetime, n: int = 1
) -> None:
    days, _tally = _pending(session)
    key = (_org(session, item), item.portfolio_id, "move", as_utc(at).date(), move_key(old, new))
    days[key][0] += n


def _add_tally(session: Any, item: WorkItem, status: str | None, n: int) -> None:
    if status is not None:
        _days, tally = _pending(session)
        tally[(_org(session, item), item.portfolio_id, item.initiative_id, status)] += n


def move_work_item(
    session: Any,
    item: WorkItem,
    to_status: str,
    *,
    at: datetime,
    by_user_id: int | None,
    source: str,
    first: bool = False,
) -> StatusChange | None:
    """Record the move (with `first`, the item's arrival) and keep started_at / done_at."""
    old = None if first else item.status
    if old == to_status:
        return None
    live = item.removed_at is None
    if live:
        _add_done(session, item, -1)
    if old in STARTED and old != DONE:
        span = (as_utc(at) - as_utc(item.moved_at)).total_seconds() / DAY
        if old in WAITING:
            item.waiting_days += span
        else:
            item.active_days += span
    item.status, item.moved_at = to_status, at
    if to_status in STARTED and item.started_at is None:
        item.started_at = at
    item.done_at = at if to_status == DONE else None
    if item.done_at is None or item.started_at is None:
        item.cycle_days = item.lead_days = None
    else:
        item.cycle_days = (as_utc(at) - as_utc(item.started_at)).total_seconds() / DAY
        item.lead_days = (as_utc(at) - as_utc(item.created_at)).total_seconds() / DAY
    assert item.id is not None
    if live:
        _add_done(session, item, 1)
        _add_move(session, item, old, to_status, at)
        _add_tally(session, item, old, -1)
        _add_tally(session, item, to_status, 1)
    change = StatusChange(
        portfolio_id=item.portfolio_id,
        initiative_id=item.initiative_id,
        work_item_id=item.id,
        from_status=old,
        to_status=to_status,
        at=at,
        by_user_id=by_user_id,
        source=source,
    )
    session.add(item)
    session.add(change)
    return change


def set_removed(session: Any, item: WorkItem, removed_at: datetime | None) -> bool:
    """Take the item out of every figure (`removed_at` a time), or put it back (None): its
    moves leave (or rejoin) the roll-ups with it. Returns whether anything changed."""
    if (item.removed_at is None) == (removed_at is None):
        return False
    sign = 1 if removed_at is None else -1
    if removed_at is not None:
        _add_done(session, item, -1)
    item.removed_at = removed_at
    if removed_at is None:
        _add_done(session, item, 1)
    _add_tally(session, item, item.status, sign)
    moves = session.exec(
        select(StatusChange.at, StatusChange.from_status, StatusChange.to_status).where(
            StatusChange.work_item_id == item.id
        )
    ).all()
    for at, old, new in moves:
        _add_move(session, item, old, new, at, sign)
    session.add(item)
    return True


def _table(model: Any) -> Any:
    return model.__table__


def rebuild_roll_ups(session: Any, portfolio_id: int) -> None:
    """Recompute a portfolio's roll-ups from its items and history (after a bulk load, or to
    repair them); inside the caller's transaction."""
    session.exec(delete(FlowDay).where(col(FlowDay.portfolio_id) == portfolio_id))
    session.exec(delete(FlowTally).where(col(FlowTally.portfolio_id) == portfolio_id))
    days, tally = _pending(session)
    org_id = int(session.info[ORG_KEY])
    live = [col(WorkItem.portfolio_id) == portfolio_id, col(WorkItem.removed_at).is_(None)]
    items = session.execute(
        sa_select(
            col(WorkItem.initiative_id),
            col(WorkItem.status),
            col(WorkItem.removed_at),
            col(WorkItem.done_at),
            col(WorkItem.active_days),
            col(WorkItem.waiting_days),
            col(WorkItem.cycle_days),
            col(WorkItem.lead_days),
        ).where(*live)
    )
    for item in items:
        tally[(org_id, portfolio_id, item.initiative_id, item.status)] += 1
        for measure, day, key, n, total in done_rows(item):
            sums = days[(org_id, portfolio_id, measure, day, key)]
            sums[0] += n
            sums[1] += total
    moves = session.execute(
        sa_select(col(StatusChange.at), col(StatusChange.from_status), col(StatusChange.to_status))
        .join(WorkItem, col(WorkItem.id) == col(StatusChange.work_item_id))
        .where(*live)
    )
    for at, old, new in moves:
        days[(org_id, portfolio_id, "move", as_utc(at).date(), move_key(old, new))][0] += 1
    _write_roll_ups(session, None)


def _upsert(connection: Any, table: Any, rows: list[dict[str, Any]], keys: list[str]) -> None:
    dialect: Any = postgresql if connection.dialect.name == "postgresql" else sqlite
    statement = dialect.insert(table)
    sums = [c for c in ("n", "total") if c in rows[0]]
    connection.execute(
        statement.on_conflict_do_update(
            index_elements=keys, set_={c: table.c[c] + statement.excluded[c] for c in sums}
        ),
        rows,
    )


@event.listens_for(OrmSession, "after_flush")
def _write_roll_ups(session: OrmSession, _ctx: Any) -> None:
    pending = session.info.pop(_PENDING, None)
    if pending is None:
        return
    days, tally = pending
    day_rows = [
        {"org_id": o, "portfolio_id": p, "measure": m, "day": d, "key": k, "n": int(s[0]),
         "total": float(s[1])}
        for (o, p, m, d, k), s in sorted(days.items())
        if s[0] or s[1]
    ]  # fmt: skip
    tally_rows = [
        {"org_id": o, "portfolio_id": p, "initiative_id": i, "status": s, "n": n}
        for (o, p, i, s), n in sorted(tally.items())
        if n
    ]
    if not day_rows and not tally_rows:
        return
    connection = session.connection()
    for org_id in sorted({r["org_id"] for r in day_rows + tally_rows}):
        bump_data_version(session, org_id)
    if day_rows:
        _upsert(
            connection,
            _table(FlowDay),
            day_rows,
            ["org_id", "portfolio_id", "measure", "day", "key"],
        )
    if tally_rows:
        _upsert(
            connection,
            _table(FlowTally),
            tally_rows,
            ["org_id", "initiative_id", "status"],
        )


@event.listens_for(OrmSession, "after_soft_rollback")
def _forget_roll_ups(session: OrmSession, _previous: Any) -> None:
    session.info.pop(_PENDING, None)
