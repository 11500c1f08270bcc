"""The capacity-constrained funding optimum: hand cases, and hypothesis against brute force."""

from __future__ import annotations

import itertools

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pmo_saas.kernel.errors import ValidationFailed
from pmo_saas.portfolio.funding import CapacityLimits, FundingItem, fund_best_set
from tests.portfolio.test_funding import feasible, item


def fits_capacity(chosen, limits: CapacityLimits) -> bool:
    load: dict = {}
    for c in chosen:
        for key, days in limits.demand.get(c, {}).items():
            load[key] = load.get(key, 0.0) + days
    return all(days <= limits.capacity.get(key, 0.0) + 1e-9 for key, days in load.items())


def brute_force(items, budget, streams, limits) -> float | None:
    best = None
    by_id = {i.id: i for i in items}
    for r in range(len(items) + 1):
        for combo in itertools.combinations([i.id for i in items], r):
            chosen = set(combo)
            if feasible(items, chosen, budget, streams) and fits_capacity(chosen, limits):
                value = sum(by_id[c].value for c in chosen)
                if best is None or value > best:
                    best = value
    return best


def test_capacity_drops_the_initiative_a_team_cannot_take():
    # Budget 100 funds A (value 10, cost 60) and B (value 8, cost 40). Team "Core" has 5 people
    # x 10 days = 50 person-days in 2027-Q1; A asks 30 and B asks 30 of them: 60 > 50, so only
    # one fits, and A (10) beats B (8). C (value 5, cost 30) asks 20 of Core: A + C = 50 fits.
    items = [item(1, 10, 60), item(2, 8, 40), item(3, 5, 30)]
    limits = CapacityLimits(
        capacity={("Core", "2027-Q1"): 5 * 10.0},
        demand={
            1: {("Core", "2027-Q1"): 30},
            2: {("Core", "2027-Q1"): 30},
            3: {("Core", "2027-Q1"): 20},
        },
    )
    assert fund_best_set(items, 100).funded == [1, 2]
    result = fund_best_set(items, 100, capacity=limits)
    # A + C costs 90 <= 100 and takes 30 + 20 = 50 <= 50 person-days: both funded, value 15.
    assert result.funded == [1, 3]
    assert result.total_value == 15


def test_a_team_without_capacity_entered_takes_nothing():
    items = [item(1, 10, 10), item(2, 3, 10)]
    limits = CapacityLimits(capacity={}, demand={1: {("Edge", "2027-Q2"): 0.5}})
    assert fund_best_set(items, 100, capacity=limits).funded == [2]


def test_each_quarter_is_its_own_limit():
    # 40 person-days in Q1 and 40 in Q2: A takes 40 in Q1, B 40 in Q2 (both fit), C takes 1
    # in Q1 (does not fit beside A, and A is worth more).
    items = [item(1, 9, 1), item(2, 9, 1), item(3, 2, 1)]
    limits = CapacityLimits(
        capacity={("T", "2027-Q1"): 40, ("T", "2027-Q2"): 40},
        demand={1: {("T", "2027-Q1"): 40}, 2: {("T", "2027-Q2"): 40}, 3: {("T", "2027-Q1"): 1}},
    )
    assert fund_best_set(items, 10, capacity=limits).funded == [1, 2]


def test_musts_over_capacity_name_the_team_and_quarter():
    items = [item(1, 1, 10, moscow="must")]
    limits = CapacityLimits(
        capacity={("Core", "2027-Q1"): 20}, demand={1: {("Core", "2027-Q1"): 25}}
    )
    with pytest.raises(
        ValidationFailed, match=r"25 person-days of Core in 2027-Q1.*capacity of 20"
    ):
        fund_best_set(items, 100, capacity=limits)


KEYS = [("A", "2027-Q1"), ("A", "2027-Q2"), ("B", "2027-Q1")]


@st.composite
def cases(draw):
    n = draw(st.integers(min_value=1, max_value=12))
    streams = draw(st.sampled_from([(), ("S",)]))
    items: list[FundingItem] = []
    demand: dict = {}
    for k in range(1, n + 1):
        deps = draw(st.lists(st.integers(1, k - 1), max_size=2, unique=True)) if k > 1 else []
        items.append(
            item(
                k,
                draw(st.sampled_from([0, 0.5, 1, 2.5, 3, 7, 13, 20])),
                draw(st.one_of(st.integers(0, 60), st.just(None))) if k % 7 else None,
                deps=deps,
                moscow=draw(st.sampled_from([None, None, None, None, "must", "wont"])),
                stream=draw(st.sampled_from(streams or ("",))),
            )
        )
        asks = draw(
            st.dictionaries(st.sampled_from(KEYS), st.sampled_from([0, 0.5, 5, 12, 30]), max_size=2)
        )
        if asks:
            demand[k] = asks
    capacity = draw(st.dictionaries(st.sampled_from(KEYS), st.sampled_from([0, 10, 25, 40, 80])))
    budget = draw(st.integers(0, 300))
    split = {s: draw(st.integers(0, 200)) for s in streams if draw(st.booleans())}
    return items, budget, split, CapacityLimits(capacity=capacity, demand=demand)


@settings(max_examples=150, deadline=None)
@given(cases())
def test_capacity_constrained_optimum_equals_brute_force(case):
    items, budget, streams, limits = case
    best = brute_force(items, budget, streams, limits)
    try:
        result = fund_best_set(items, budget, streams, capacity=limits)
    except ValidationFailed:
        assert best is None
        return
    assert best is not None
    chosen = set(result.funded)
    assert feasible(items, chosen, budget, streams)
    assert fits_capacity(chosen, limits)
    assert result.total_value == pytest.approx(best, abs=1e-9)
    # The extra constraint never gives more value than the budget alone.
    assert result.total_value <= fund_best_set(items, budget, streams).total_value + 1e-9


def test_the_greedy_fallback_respects_capacity_too():
    from pmo_saas.portfolio import funding

    items = [item(k, 10 - k, 1) for k in range(1, 6)]
    load = {("T", "2027-Q1"): (12.0, [(k, 5.0) for k in range(5)])}
    chosen = funding._greedy(items, 100, {}, {}, load)
    assert chosen == {1, 2}  # 5 + 5 <= 12, a third would be 15
