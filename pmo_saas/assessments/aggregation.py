"""Statistics of raw answers. The database counts answers per value; this turns counts into
figures. Every figure is exact over the raw answers (never an average of averages).

Conventions: the standard deviation is the population one (the respondents are the whole
team, not a sample); the median of an even number of answers is the mean of the two middle
ones; a statement nobody answered contributes nothing.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

MIN_RESPONDENTS_FOR_SPREAD = 3


@dataclass(frozen=True, slots=True)
class Stats:
    answers: int
    mean: float | None
    median: float | None
    minimum: int | None
    maximum: int | None
    stddev: float | None


def stats_from_counts(counts: dict[int, int]) -> Stats:
    """Figures for a set of answers given as {value: how many answers had it}."""
    items = sorted((v, n) for v, n in counts.items() if n > 0)
    total = sum(n for _, n in items)
    if total == 0:
        return Stats(0, None, None, None, None, None)
    mean = sum(v * n for v, n in items) / total
    variance = sum(n * (v - mean) ** 2 for v, n in items) / total
    return Stats(
        answers=total,
        mean=mean,
        median=_median(items, total),
        minimum=items[0][0],
        maximum=items[-1][0],
        stddev=math.sqrt(variance),
    )


def _median(items: list[tuple[int, int]], total: int) -> float:
    def nth(index: int) -> int:  # 0-based position in the sorted answers
        seen = 0
        for value, n in items:
            seen += n
            if index < seen:
                return value
        raise IndexError(index)

    if total % 2:
        return float(nth(total // 2))
    return (nth(total // 2 - 1) + nth(total // 2)) / 2


def distribution(counts: dict[int, int], scale_min: int, scale_max: int) -> list[int]:
    """How many answers had each scale value, lowest value first."""
    return [counts.get(v, 0) for v in range(scale_min, scale_max + 1)]


def spread_visible(respondents: int) -> bool:
    """With fewer than three respondents the spread would point at individuals."""
    return respondents >= MIN_RESPONDENTS_FOR_SPREAD


def health_colour(mean: float | None, scale_max: int = 3) -> str:
    """Green / amber / red for a health-check indicator on a 1..3 scale (red=1, green=3)."""
    if mean is None:
        return ""
    # The nearest level: on 1..3, green from 2.5, amber from 1.5.
    span = scale_max - 1
    position = (mean - 1) / span if span else 1.0
    if position >= 0.75:
        return "green"
    if position >= 0.25:
        return "amber"
    return "red"


def trend_word(up: int, same: int, down: int) -> str:
    """The direction most respondents see an indicator moving in."""
    if up == same == down == 0:
        return ""
    net = up - down
    if net > 0:
        return "improving"
    if net < 0:
        return "worsening"
    return "stable"
