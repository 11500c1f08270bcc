"""Capacity-constrained funding of 500 initiatives: the exact best set that fits the budget, the
stream budgets, the dependencies and every team's capacity in every quarter. Target < 5 s.

Random portfolios of 500 initiatives, 40 teams x 8 quarters; each initiative asks 1-3
(team, quarter) slots for 5-60 person-days; each slot's capacity is 30-100 % of what is
asked of it. Baseline, measured in the same run on the same portfolio: the budget-only exact
optimum (`fund_best_set` without `capacity`), printed as the ratio.

    python bench/capacity_funding.py [--smoke]
"""

from __future__ import annotations

import dataclasses
import random
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from bench._size import smoke

SMOKE = smoke(__doc__)

from bench.portfolio_funding import random_portfolio  # noqa: E402
from pmo_saas.portfolio.funding import CapacityLimits, fund_best_set  # noqa: E402

N = 40 if SMOKE else 500
SEEDS = 2 if SMOKE else 5
TEAMS = 4 if SMOKE else 40  # about three initiatives ask each (team, quarter)
QUARTERS = [f"2027-Q{q}" for q in range(1, 5)] + [f"2028-Q{q}" for q in range(1, 5)]
TARGET_SECONDS = 5.0


def random_limits(seed: int, ids: list[int]) -> CapacityLimits:
    rng = random.Random(1000 + seed)
    keys = [(f"Team {t}", q) for t in range(1, TEAMS + 1) for q in QUARTERS]
    demand: dict[int, dict[tuple[str, str], float]] = {}
    load: dict[tuple[str, str], float] = {}
    for i in ids:
        asks = {key: float(rng.randrange(5, 61)) for key in rng.sample(keys, rng.randint(1, 3))}
        demand[i] = asks
        for key, days in asks.items():
            load[key] = load.get(key, 0.0) + days
    # Each slot has 30-100 % of what is asked of it: capacity binds in most slots.
    capacity = {key: float(round(days * rng.uniform(0.3, 1.0))) for key, days in load.items()}
    return CapacityLimits(capacity=capacity, demand=demand)


def main() -> int:
    print(
        f"Capacity-constrained exact funding, {N} initiatives, {TEAMS} teams x "
        f"{len(QUARTERS)} quarters"
    )
    worst = worst_ratio = 0.0
    for seed in range(SEEDS):
        items, budget, streams = random_portfolio(seed, N)
        # Musts must fit capacity too: in this bench every initiative is free to choose.
        items = [dataclasses.replace(i, moscow="should") for i in items]
        limits = random_limits(seed, [i.id for i in items])
        start = time.perf_counter()
        base = fund_best_set(items, budget, streams)
        base_s = time.perf_counter() - start
        start = time.perf_counter()
        result = fund_best_set(items, budget, streams, capacity=limits)
        elapsed = time.perf_counter() - start
        worst = max(worst, elapsed)
        worst_ratio = max(worst_ratio, elapsed / base_s)
        note = f"; {result.warnings[-1]}" if result.warnings else ""
        print(
            f"seed {seed}: within capacity {elapsed * 1000:8.1f} ms ({len(result.funded)} "
            f"funded, value {result.total_value:.2f}{note})"
            f" | budget only {base_s * 1000:7.1f} ms ({len(base.funded)} funded, value "
            f"{base.total_value:.2f}) | ratio {elapsed / base_s:.1f}x"
        )
    verdict = "OK" if worst < TARGET_SECONDS else "OVER TARGET"
    print(
        f"worst within capacity {worst * 1000:.1f} ms, worst ratio to budget only "
        f"{worst_ratio:.1f}x; target < {TARGET_SECONDS:.0f} s: {verdict}"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
