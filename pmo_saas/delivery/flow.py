"""Flow metrics from work items and their status history: plain functions on plain data.

Definitions (the service tests compute the same by hand):
- A week runs Monday 00:00 to Monday 00:00 UTC; throughput counts items done in it. The series
  runs from the week of the first completion to the last *complete* week (at most `WEEKS`).
- Cycle time is done minus started (first reaching a started column), lead time done minus
  created, both in days; percentiles are nearest-rank (the smallest value with at least p% of
  the values at or below it).
- Work in progress: started and not done; its age is now minus started.
- The cumulative flow diagram counts, at the end of each UTC day, the items in each column.
- Flow efficiency: of done items' time from start to done, the share not spent in a waiting
  column.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from pmo_saas.delivery.columns import COLUMNS, STARTED
from pmo_saas.kernel.clock import as_utc

WEEKS = 26
CFD_DAYS = 90
PERCENTILES = (50, 85, 95)
DAY = 86_400.0


@dataclass(frozen=True, slots=True)
class ItemTimes:
    status: str
    created_at: datetime
    started_at: datetime | None
    done_at: datetime | None


def week_start(moment: datetime | date) -> date:
    day = moment.date() if isinstance(moment, datetime) else moment
    return day - timedelta(days=day.weekday())


def weekly_throughput(
    done: Iterable[datetime], *, now: datetime, weeks: int = WEEKS
) -> list[tuple[date, int]]:
    """(Monday, items done that week) for the complete weeks since the first completion."""
    return weekly_counts(((as_utc(m).date(), 1) for m in done), now=now, weeks=weeks)


def weekly_counts(
    day_counts: Iterable[tuple[date, int]], *, now: datetime, weeks: int = WEEKS
) -> list[tuple[date, int]]:
    """`weekly_throughput` from (day, items done that day)."""
    this_week = week_start(now)
    counts: dict[date, int] = defaultdict(int)
    for day, n in day_counts:
        monday = week_start(day)
        if monday < this_week:
            counts[monday] += n
    if not counts:
        return []
    first = max(min(counts), this_week - timedelta(weeks=weeks))
    out = []
    monday = first
    while monday < this_week:
        out.append((monday, counts.get(monday, 0)))
        monday += timedelta(weeks=1)
    return out


def percentile(values: Sequence[float], p: float) -> float | None:
    """Nearest-rank percentile; None for no values."""
    if not values:
        return None
    ordered = sorted(values)
    rank = max(1, math.ceil(p / 100 * len(ordered)))
    return ordered[rank - 1]


def percentiles(values: Sequence[float]) -> dict[int, float | None]:
    return {p: percentile(values, p) for p in PERCENTILES}


def counted_percentile(counts: Mapping[int, int], p: float) -> int | None:
    """`percentile` of values given as value -> how many times (counts <= 0 ignored)."""
    ordered = sorted((v, n) for v, n in counts.items() if n > 0)
    total = sum(n for _v, n in ordered)
    if not total:
        return None
    rank, seen = max(1, math.ceil(p / 100 * total)), 0
    for value, n in ordered:
        seen += n
        if seen >= rank:
            return value
    return ordered[-1][0]  # pragma: no cover - seen reaches total


def efficiency(active: float, waiting: float) -> str:
    """The share of done items' time from start to done not spent waiting ("-" for none)."""
    total = active + waiting
    return "-" if total <= 1e-9 else f"{active / total:.0%}"


def _days(later: datetime, earlier: datetime) -> float:
    return (as_utc(later) - as_utc(earlier)).total_seconds() / DAY


def cycle_times(items: Iterable[ItemTimes]) -> list[float]:
    return [
        _days(i.done_at, i.started_at)
        for i in items
        if i.done_at is not None and i.started_at is not None
    ]


def lead_times(items: Iterable[ItemTimes]) -> list[float]:
    return [_days(i.done_at, i.created_at) for i in items if i.done_at is not None]


def wip_ages(items: Iterable[ItemTimes], *, now: datetime) -> list[float]:
    """The age in days of each item in progress (started, not done)."""
    return [
        _days(now, i.started_at)
        for i in items
        if i.started_at is not None and i.done_at is None and i.status in STARTED
    ]


@dataclass(frozen=True, slots=True)
class CfdDay:
    day: date
    counts: dict[str, int]  # column -> items in it at the end of the day


def cumulative_flow(
    deltas: Iterable[tuple[date, str | None, str, int]], *, until: date, days: int = 0
) -> list[CfdDay]:
    """From (day, from column, to column, how many moves): the columns' counts per day, from
    the first move's day (or the last `days` days) to `until`."""
    by_day: dict[date, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    for day, source, target, n in deltas:
        if source is not None:
            by_day[day][source] -= n
        by_day[day][target] += n
    if not by_day:
        return []
    running = dict.fromkeys(COLUMNS, 0)
    out = []
    day = min(by_day)
    start = until - timedelta(days=days - 1) if days else day
    while day <= until:
        for column, n in by_day.get(day, {}).items():
            running[column] = running.get(column, 0) + n
        if day >= start:
            out.append(CfdDay(day=day, counts=dict(running)))
        day += timedelta(days=1)
    return out
