"""Scores from answer histograms (value -> count), which the database aggregates.

Pure functions, no database: the hand-computed tests check them directly.
"""

from __future__ import annotations

from collections.abc import Mapping

from pmo_saas.surveys.instruments import CULTURE_TYPES, PHASES

Histogram = Mapping[float, int]


def count(histogram: Histogram) -> int:
    return sum(histogram.values())


def mean(histogram: Histogram) -> float | None:
    n = count(histogram)
    if n == 0:
        return None
    return sum(value * k for value, k in histogram.items()) / n


def westrum_score(item_histograms: list[Histogram]) -> float | None:
    """The Westrum score: the mean of the item means (every item is answered by everyone)."""
    means = [m for m in (mean(h) for h in item_histograms) if m is not None]
    return sum(means) / len(means) if means else None


def enps(histogram: Histogram) -> tuple[float, float, float, float] | None:
    """(eNPS, % promoters 9-10, % passives 7-8, % detractors 0-6) from 0-10 answers."""
    n = count(histogram)
    if n == 0:
        return None
    promoters = sum(k for v, k in histogram.items() if v >= 9)
    detractors = sum(k for v, k in histogram.items() if v <= 6)
    passives = n - promoters - detractors
    p, d = 100.0 * promoters / n, 100.0 * detractors / n
    return p - d, p, 100.0 * passives / n, d


def ocai_profile(
    dimension_sums: Mapping[str, Mapping[str, float]], respondents: int
) -> dict[str, dict[str, float]] | None:
    """OCAI profile: per phase and culture type, the mean points over dimensions and people.

    `dimension_sums[dimension]["now:clan"]` is the sum of the points all respondents gave.
    Each phase's four values add up to 100 (every respondent's split does).
    """
    if respondents <= 0 or not dimension_sums:
        return None
    dims = len(dimension_sums)
    profile: dict[str, dict[str, float]] = {}
    for phase in PHASES:
        profile[phase] = {
            culture: sum(sums.get(f"{phase}:{culture}", 0.0) for sums in dimension_sums.values())
            / (dims * respondents)
            for culture in CULTURE_TYPES
        }
    return profile
