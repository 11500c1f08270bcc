"""What the flow figures are computed from, read two ways that give the same sums:
- `rolled_up`: a portfolio's `FlowDay` rows (history.py keeps them), a few hundred rows
  however long its history;
- `from_history`: the same sums for some initiatives, from their work items and status
  history (one initiative's view, a value stream, the archived initiatives a portfolio's
  roll-up leaves out).
Removed work items are in neither. The items' columns now come from `FlowTally` in both.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any

from sqlalchemy import func
from sqlalchemy import select as sa_select
from sqlmodel import Session, col, select

from pmo_saas.delivery import flow
from pmo_saas.delivery.history import monday, tenths
from pmo_saas.delivery.models import FlowDay, FlowTally, StatusChange, WorkItem

_DONE_MEASURES = ("done", "active", "waiting")


@dataclass
class FlowSums:
    """Done items' figures per done week since `since`, and the moves per day since the CFD's
    first day; `columns`: the live items in each column now."""

    weeks: Counter[date] = field(default_factory=Counter)
    cycle: Counter[int] = field(default_factory=Counter)  # tenths of a day -> items
    lead: Counter[int] = field(default_factory=Counter)
    active: float = 0.0
    waiting: float = 0.0
    moves: Counter[tuple[date, str | None, str]] = field(default_factory=Counter)
    columns: Counter[str] = field(default_factory=Counter)

    def subtract(self, other: FlowSums) -> None:
        for mine, theirs in (
            (self.weeks, other.weeks),
            (self.cycle, other.cycle),
            (self.lead, other.lead),
            (self.moves, other.moves),
        ):
            for key, n in theirs.items():
                mine[key] -= n  # type: ignore[index]
        self.active -= other.active
        self.waiting -= other.waiting


def window(now: datetime) -> tuple[date, date]:
    """(the first Monday of the throughput and cycle-time window, the CFD's first day)."""
    return flow.week_start(now) - timedelta(weeks=flow.WEEKS), now.date() - timedelta(
        days=flow.CFD_DAYS - 1
    )


def midnight(day: date) -> datetime:
    return datetime.combine(day, datetime.min.time(), tzinfo=UTC)


def utc_day(session: Session, column: Any) -> Any:
    """The UTC day of a stored time, in SQL (PostgreSQL's date() follows the session zone)."""
    if session.get_bind().dialect.name == "postgresql":
        return func.date(func.timezone("UTC", column))
    return func.date(column)


def as_day(value: object) -> date:
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    return date.fromisoformat(str(value)[:10])


def _move(key: str) -> tuple[str | None, str]:
    source, _, target = key.partition(">")
    return source or None, target


def weekly_history(
    session: Session, weeks: Iterable[tuple[date, int]], where: Sequence[Any], now: datetime
) -> list[tuple[date, int]]:
    """`flow.weekly_counts` of the window's done weeks; a series with completions before the
    window (any item of `where` done earlier) starts at the window's first week."""
    since = window(now)[0]
    kept = [(w, n) for w, n in weeks if n]
    earlier = session.exec(
        select(WorkItem.id).where(*where, col(WorkItem.done_at) < midnight(since)).limit(1)
    ).first()
    if earlier is not None:
        kept.append((since, 0))
    return flow.weekly_counts(kept, now=now)


def rolled_up(session: Session, portfolio_id: int, now: datetime) -> FlowSums:
    since, first_day = window(now)
    sums = FlowSums()
    where = [FlowDay.portfolio_id == portfolio_id]
    for measure, day, n, total in session.exec(
        select(col(FlowDay.measure), col(FlowDay.day), col(FlowDay.n), col(FlowDay.total)).where(
            *where, col(FlowDay.measure).in_(_DONE_MEASURES), col(FlowDay.day) >= since
        )
    ).all():
        if measure == "done":
            sums.weeks[day] += n
        elif measure == "active":
            sums.active += total
        else:
            sums.waiting += total
    for measure, key, n in session.exec(
        select(FlowDay.measure, FlowDay.key, func.sum(FlowDay.n))
        .where(*where, col(FlowDay.measure).in_(("cycle", "lead")), col(FlowDay.day) >= since)
        .group_by(col(FlowDay.measure), col(FlowDay.key))
    ).all():
        (sums.cycle if measure == "cycle" else sums.lead)[int(key)] += int(n or 0)
    for day, key, n in session.exec(
        select(col(FlowDay.day), col(FlowDay.key), col(FlowDay.n)).where(
            *where, FlowDay.measure == "move", col(FlowDay.day) >= first_day
        )
    ).all():
        sums.moves[(day, *_move(key))] += n
    return sums


def from_history(session: Session, initiative_ids: Sequence[int], now: datetime) -> FlowSums:
    since, first_day = window(now)
    sums = FlowSums()
    if not initiative_ids:
        return sums
    ids = list(initiative_ids)
    for done_at, cycle, lead, active, waiting in session.execute(
        sa_select(
            col(WorkItem.done_at),
            col(WorkItem.cycle_days),
            col(WorkItem.lead_days),
            col(WorkItem.active_days),
            col(WorkItem.waiting_days),
        ).where(
            col(WorkItem.initiative_id).in_(ids),
            col(WorkItem.removed_at).is_(None),
            col(WorkItem.done_at) >= midnight(since),
        )
    ).all():
        assert done_at is not None
        sums.weeks[monday(done_at)] += 1
        sums.active += active
        sums.waiting += waiting
        if cycle is not None:
            sums.cycle[tenths(cycle)] += 1
        if lead is not None:
            sums.lead[tenths(lead)] += 1
    day = utc_day(session, StatusChange.at)
    pair = (col(StatusChange.from_status), col(StatusChange.to_status))
    for d, source, target, n in session.exec(
        select(day, *pair, func.count())
        .join(WorkItem, col(WorkItem.id) == col(StatusChange.work_item_id))
        .where(
            col(StatusChange.initiative_id).in_(ids),
            col(WorkItem.removed_at).is_(None),
            col(StatusChange.at) >= midnight(first_day),
        )
        .group_by(day, *pair)
    ).all():
        sums.moves[(as_day(d), source, target)] += n
    return sums


def columns_now(
    session: Session, portfolio_id: int, *, only: Sequence[int] | None, leave_out: Sequence[int]
) -> Counter[str]:
    """Live items per column now: of the initiatives `only` (None: the whole portfolio less
    `leave_out`)."""
    where: list[Any] = [FlowTally.portfolio_id == portfolio_id]
    if only is not None:
        where.append(col(FlowTally.initiative_id).in_(list(only)))
    elif leave_out:
        where.append(col(FlowTally.initiative_id).not_in(list(leave_out)))
    return Counter(
        {
            status: int(n or 0)
            for status, n in session.exec(
                select(FlowTally.status, func.sum(FlowTally.n))
                .where(*where)
                .group_by(col(FlowTally.status))
            ).all()
        }
    )


def counts_by_initiative(session: Session, portfolio_id: int) -> dict[int, tuple[int, int]]:
    """Initiative id -> (live items done, live items open), in one grouped read."""
    done = func.sum(FlowTally.n).filter(col(FlowTally.status) == "done")
    rows = session.exec(
        select(FlowTally.initiative_id, done, func.sum(FlowTally.n))
        .where(FlowTally.portfolio_id == portfolio_id)
        .group_by(col(FlowTally.initiative_id))
    ).all()
    return {i: (int(d or 0), int(t or 0) - int(d or 0)) for i, d, t in rows}
