"""Monte Carlo forecast from weekly throughput: "the remaining 42 items: 50% by ..., 85% by ...".

Each run draws past weeks (with replacement, zero weeks too) until the drawn completions cover
the remaining items; the last week counts only the share it needed, so a run ends on a day,
not a week boundary. The forecast refuses to guess from fewer than `MIN_WEEKS` weeks with any
completion: it says so instead.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta

import numpy as np

from pmo_saas.delivery.flow import PERCENTILES, percentile

MIN_WEEKS = 4
RUNS = 10_000
MAX_WEEKS = 520  # a run that needs more than ten years says "beyond"


@dataclass(frozen=True, slots=True)
class Forecast:
    remaining: int
    history: list[int]
    enough: bool
    message: str
    dates: dict[int, date | None] = field(default_factory=dict)  # percentile -> date


def simulate_days(
    history: Sequence[int], remaining: int, *, runs: int = RUNS, seed: int | None = None
) -> list[float]:
    """Days each run needs for `remaining` items (math.inf beyond MAX_WEEKS). All runs step
    through the weeks together (numpy), so a run costs a few array operations per week."""
    rng = np.random.default_rng(seed)
    weeks = np.asarray(list(history), dtype=np.int64)
    days = np.full(runs, math.inf)
    left = np.full(runs, remaining, dtype=np.int64)
    going = np.arange(runs)
    week = 0
    while going.size and week < MAX_WEEKS:
        done = weeks[rng.integers(0, weeks.size, size=going.size)]
        finished = done >= left
        ended = going[finished]
        days[ended] = 7 * week + 7 * left[finished] / done[finished]
        keep = ~finished
        going, left = going[keep], left[keep] - done[keep]
        week += 1
    return days.tolist()


def forecast(
    history: Sequence[int],
    remaining: int,
    *,
    start: date,
    runs: int = RUNS,
    seed: int | None = None,
) -> Forecast:
    weeks_with_work = sum(1 for n in history if n > 0)
    if remaining <= 0 and not history:
        return Forecast(0, [], False, "No work items yet: nothing to forecast.")
    if remaining <= 0:
        return Forecast(0, list(history), True, "Nothing remains: every item is done.")
    if weeks_with_work < MIN_WEEKS:
        return Forecast(
            remaining,
            list(history),
            False,
            f"Too little history to forecast: {weeks_with_work} week(s) with completed items; "
            f"the forecast needs at least {MIN_WEEKS}.",
        )
    days = simulate_days(history, remaining, runs=runs, seed=seed)
    dates: dict[int, date | None] = {}
    for p in PERCENTILES:
        value = percentile(days, p)
        dates[p] = (
            None if value is None or math.isinf(value) else start + timedelta(days=math.ceil(value))
        )
    return Forecast(
        remaining,
        list(history),
        True,
        f"From {len(history)} week(s) of throughput, {runs:,} simulated runs.",
        dates,
    )
