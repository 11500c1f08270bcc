"""The Monte Carlo forecast against an independent simulation written here (numpy, another
random stream, more runs), and the plain refusal when the history is too short."""

from __future__ import annotations

import math
from datetime import date, timedelta

import numpy as np

from pmo_saas.db import tenant_session
from pmo_saas.delivery import forecast
from pmo_saas.delivery.services import flow as flow_services
from pmo_saas.kernel import clock
from tests.delivery.builders import NOW, add_item, at, hand_made_history, import_items
from tests.portfolio.builders import make_initiative, make_portfolio

HISTORY = [3, 5, 0, 4, 6, 2, 5, 3, 0, 7, 4, 2]
START = date(2026, 3, 4)


def _independent(history: list[int], remaining: int, runs: int, seed: int) -> dict[int, date]:
    """Each run: weeks drawn with replacement until they cover `remaining`; the last week
    counts the fraction it needed. Percentiles by nearest rank, rounded up to a whole day."""
    rng = np.random.default_rng(seed)
    weeks = np.array(history)
    days = np.empty(runs)
    for run in range(runs):
        drawn = weeks[rng.integers(0, len(weeks), size=200)]
        total = np.cumsum(drawn)
        week = int(np.searchsorted(total, remaining))  # the first week reaching it
        before = total[week - 1] if week else 0
        days[run] = 7 * week + 7 * (remaining - before) / drawn[week]
    ordered = np.sort(days)
    return {
        p: START + timedelta(days=math.ceil(ordered[math.ceil(p / 100 * runs) - 1]))
        for p in (50, 85, 95)
    }


def test_percentiles_match_an_independent_simulation_within_a_day():
    result = forecast.forecast(HISTORY, 42, start=START, runs=10_000, seed=42)
    assert result.enough
    expected = _independent(HISTORY, 42, runs=40_000, seed=7)
    for p in (50, 85, 95):
        got = result.dates[p]
        assert got is not None
        assert abs((got - expected[p]).days) <= 1, (p, got, expected[p])
    assert result.dates[50] < result.dates[85] <= result.dates[95]  # type: ignore[operator]


def test_the_same_seed_gives_the_same_forecast():
    one = forecast.forecast(HISTORY, 42, start=START, seed=3)
    two = forecast.forecast(HISTORY, 42, start=START, seed=3)
    assert one.dates == two.dates


def test_too_little_history_is_said_plainly():
    result = forecast.forecast([0, 4, 0, 3, 5], 10, start=START, seed=1)
    assert not result.enough
    assert result.dates == {}
    assert result.message == (
        "Too little history to forecast: 3 week(s) with completed items; "
        "the forecast needs at least 4."
    )


def test_the_initiative_forecast_uses_its_own_throughput(org_a):
    pid = make_portfolio(org_a)
    iid = make_initiative(org_a, pid, "Checkout", end_date="2026-04-30")
    hand_made_history(org_a, iid)  # weekly throughput 1, 2, 1, 1; F, G and H remain
    with tenant_session(org_a) as session:
        view = flow_services.initiative_flow(
            session=session, ctx=org_a, initiative_id=iid, seed=5, runs=5000
        ).forecast
    expected = forecast.forecast([1, 2, 1, 1], 3, start=START, runs=5000, seed=5)
    assert view.enough and view.history == [1, 2, 1, 1] and view.remaining == 3
    assert view.dates == {str(p): d.isoformat() for p, d in expected.dates.items() if d}
    d50, d85 = expected.dates[50], expected.dates[85]
    assert d50 and d85
    assert view.sentence == (
        f"The remaining 3 items: 50% by {d50.day} {d50:%B %Y}, 85% by {d85.day} {d85:%B %Y}."
    )


def test_a_new_portfolio_says_it_has_too_little_history(org_a):
    pid = make_portfolio(org_a)
    iid = make_initiative(org_a, pid, "Fresh")
    clock.freeze(at(NOW))
    import_items(
        org_a,
        iid,
        "title,created_at,started_at,done_at\nOne,2026-02-02,2026-02-03,2026-02-04\n"
        "Two,2026-02-09,2026-02-10,2026-02-11\n",
    )
    add_item(org_a, iid, "Three")
    with tenant_session(org_a) as session:
        view = flow_services.portfolio_flow(session=session, ctx=org_a, portfolio_id=pid)
    assert not view.forecast.enough
    assert view.forecast.sentence.startswith("Too little history to forecast: 2 week(s)")
