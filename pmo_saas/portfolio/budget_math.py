"""The arithmetic of participatory budgeting (services/budgeting.py): the spread of the
stakeholders' allocations per option, and the default settlement. Plain Python, no database."""

from __future__ import annotations

import math
import statistics
from collections.abc import Mapping, Sequence

from pmo_saas.portfolio.schemas import BudgetOption, OptionSpread

OUTLIER_MINIMUM = 4  # fewer allocations have no meaningful quartiles


def _tukey_outliers(values: Sequence[int]) -> list[int]:
    if len(values) < OUTLIER_MINIMUM:
        return []
    q1, _, q3 = statistics.quantiles(values, n=4, method="inclusive")
    fence = 1.5 * (q3 - q1)
    return sorted(v for v in values if v < q1 - fence or v > q3 + fence)


def spread_of(
    options: Sequence[BudgetOption], amounts: Mapping[int, Mapping[str, int]]
) -> list[OptionSpread]:
    """Per option: how many allocated, the median, the range and the outliers."""
    spread = []
    for option in options:
        values = sorted(split.get(option.key, 0) for split in amounts.values())
        spread.append(
            OptionSpread(
                key=option.key,
                label=option.label,
                stream=option.stream,
                count=len(values),
                median=statistics.median(values) if values else None,
                low=values[0] if values else None,
                high=values[-1] if values else None,
                outliers=_tukey_outliers(values),
            )
        )
    return spread


def scaled_to_total(values: Mapping[str, float], total: int) -> dict[str, int]:
    """Whole amounts in proportion to `values`, summing exactly to `total` (largest
    remainder); medians of separate options rarely add up to the total by themselves."""
    weight = sum(values.values())
    raw = {k: v * total / weight for k, v in values.items()}
    floors = {k: math.floor(v) for k, v in raw.items()}
    left = total - sum(floors.values())
    for key in sorted(raw, key=lambda k: (floors[k] - raw[k], k))[:left]:
        floors[key] += 1
    return floors


def proposed_split(
    options: Sequence[BudgetOption], amounts: Mapping[int, Mapping[str, int]], total: int
) -> dict[str, int]:
    """The default settlement: each option's median, scaled to sum to the total; the means
    when every median is 0 (each person backed a different option), which sum to it anyway."""
    if not amounts:
        return {}
    spread = spread_of(options, amounts)
    medians = {s.key: float(s.median or 0) for s in spread}
    if sum(medians.values()) <= 0:
        medians = {
            o.key: statistics.fmean(split.get(o.key, 0) for split in amounts.values())
            for o in options
        }
    return scaled_to_total(medians, total)
