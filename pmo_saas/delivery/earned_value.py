"""Earned value of a traditional project against its baseline, as plain arithmetic.

PV (planned value) is the budget at completion (BAC) times the share of the baseline schedule
elapsed on the day (linear between its start and end); EV (earned value) is BAC times the
share of the baseline scope done; AC (actual cost) is the spend recorded up to that day.
SPI = EV / PV and CPI = EV / AC (None when the divisor is 0); EAC = BAC / CPI.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date


@dataclass(frozen=True, slots=True)
class EarnedValue:
    bac: int
    pv: float
    ev: float
    ac: int
    spi: float | None
    cpi: float | None
    eac: float | None
    schedule_share: float  # 0..1 of the baseline schedule elapsed
    scope_share: float  # 0..1 of the baseline scope done


def _ratio(part: float, whole: float) -> float | None:
    return part / whole if whole else None


def schedule_share(start: date, end: date, on: date) -> float:
    """How much of [start, end] has elapsed on `on` (whole days; 1 from the end day on)."""
    if on >= end:
        return 1.0
    if on <= start:
        return 0.0
    return (on - start).days / (end - start).days


def earned_value(
    *, bac: int, start: date, end: date, scope: float, done: float, actual_cost: int, on: date
) -> EarnedValue:
    elapsed = schedule_share(start, end, on)
    done_share = min(done / scope, 1.0) if scope > 0 else 0.0
    pv, ev = bac * elapsed, bac * done_share
    cpi = _ratio(ev, actual_cost)
    return EarnedValue(
        bac=bac,
        pv=pv,
        ev=ev,
        ac=actual_cost,
        spi=_ratio(ev, pv),
        cpi=cpi,
        eac=bac / cpi if cpi else None,
        schedule_share=elapsed,
        scope_share=done_share,
    )
