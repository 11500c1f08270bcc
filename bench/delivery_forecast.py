"""A 10,000-run Monte Carlo forecast of a whole published plan: 2,000 funded initiatives with
200,000 work items and 1,000,000 status changes. Target: < 1 s.

Builds the data on a temporary SQLite database (PMO_DATABASE_URL to use another) and a
published plan funding every initiative, then times the whole service call
(`plan_forecast`: the plan's throughput and remaining items read, 10,000 runs) 3 times and
reports the median. Baseline in the same run: the same 10,000 runs in a plain Python loop
(the model the numpy simulation replaced), on the same history.

    python bench/delivery_forecast.py [--smoke]
"""

from __future__ import annotations

import math
import os
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from bench._size import smoke

_tmp = Path(tempfile.mkdtemp(prefix="pmo-bench-"))
os.environ.setdefault("PMO_DATABASE_URL", f"sqlite:///{_tmp / 'bench.db'}")
os.environ.setdefault("PMO_ENVIRONMENT", "test")
os.environ.setdefault("PMO_SECRET_KEY", "bench-secret-key-" + "x" * 40)

SMOKE = smoke(__doc__)
INITIATIVES = 20 if SMOKE else 2_000
ITEMS = 2_000 if SMOKE else 200_000
RUNS = 10_000
TARGET = 1.0


def python_loop(history: list[int], remaining: int, runs: int, seed: int) -> list[float]:
    """The simulation as a plain loop: the baseline (and a check on the numpy one)."""
    rng = random.Random(seed)
    out = []
    for _ in range(runs):
        left, week, days = remaining, 0, math.inf
        while week < 520:
            done = rng.choice(history)
            if done >= left:
                days = 7 * week + 7 * left / done
                break
            left -= done
            week += 1
        out.append(days)
    return out


def main() -> int:
    from bench._delivery_data import NOW, publish_plan, setup
    from pmo_saas.db import get_engine, tenant_session
    from pmo_saas.delivery.flow import percentile
    from pmo_saas.delivery.services import plan_forecast
    from pmo_saas.kernel import clock

    ctx, pid = setup(INITIATIVES, ITEMS)
    plan_id = publish_plan(ctx, pid)
    clock.freeze(NOW)
    seconds, view = [], None
    for _ in range(3):
        with tenant_session(ctx) as session:
            start = time.perf_counter()
            view = plan_forecast.plan_forecast(
                session=session, ctx=ctx, published_plan_id=plan_id, seed=1, runs=RUNS
            )
            seconds.append(time.perf_counter() - start)
    assert view is not None
    plan_s = statistics.median(seconds)
    f = view.forecast
    print(
        f"whole-plan forecast ({view.initiatives:,} initiatives, {f.remaining:,} remaining "
        f"items, {len(f.history)} weeks of history, {RUNS:,} runs): median of 3 "
        f"{plan_s * 1000:.0f} ms; {f.sentence}"
    )
    ok = f.enough
    if f.enough:
        start = time.perf_counter()
        loop = python_loop(f.history, f.remaining, RUNS, seed=2)
        loop_s = time.perf_counter() - start
        p85 = percentile(loop, 85)
        print(
            f"baseline, the same {RUNS:,} runs in a Python loop: {loop_s * 1000:.0f} ms "
            f"(85% in {p85:.1f} days); the whole service call is {plan_s / loop_s:.2f}x it"
        )
    ok = ok and plan_s < TARGET
    print(
        f"target: whole-plan forecast < {TARGET:.0f} s: {plan_s * 1000:.0f} ms = "
        f"{plan_s / TARGET:.2f}x the target: {'OK' if ok else 'OVER TARGET'}"
        + (" (smoke size)" if SMOKE else "")
    )
    get_engine().dispose()
    return 0 if f.enough else 1


if __name__ == "__main__":
    sys.exit(main())
