"""The exact funding optimiser: hand cases, and hypothesis against brute force."""

from __future__ import annotations

import itertools

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pmo_saas.kernel.errors import ValidationFailed
from pmo_saas.portfolio.funding import FundingItem, dsdm_warning, fund_best_set, rank_order_cut


def feasible(items, chosen, budget, streams) -> bool:
    by_id = {i.id: i for i in items}
    if any(by_id[c].cost is None for c in chosen):
        return False
    if sum(by_id[c].cost for c in chosen) > budget:
        return False
    for stream, amount in streams.items():
        if sum(by_id[c].cost for c in chosen if by_id[c].stream == stream) > amount:
            return False
    for c in chosen:
        if any(d not in chosen for d in by_id[c].depends_on):
            return False
    for item in items:
        forced_in = item.force == "in" if item.force else item.moscow == "must"
        forced_out = item.force == "out" or (item.moscow == "wont" and item.force != "in")
        if forced_in and item.id not in chosen:
            return False
        if forced_out and item.id in chosen:
            return False
    return True


def brute_force(items, budget, streams) -> float | None:
    best = None
    ids = [i.id for i in items]
    by_id = {i.id: i for i in items}
    for r in range(len(ids) + 1):
        for combo in itertools.combinations(ids, r):
            chosen = set(combo)
            if feasible(items, chosen, budget, streams):
                value = sum(by_id[c].value for c in chosen)
                if best is None or value > best:
                    best = value
    return best


def item(id_, value, cost, *, deps=(), moscow=None, stream="", force=None):
    return FundingItem(
        id=id_,
        title=f"I{id_}",
        value=value,
        cost=cost,
        stream=stream,
        moscow=moscow,
        depends_on=tuple(deps),
        force=force,
    )


def test_optimum_beats_greedy_cut():
    # Ranked by value density, the cut takes A then cannot fit B; the optimum takes B + C.
    items = [item(1, 10, 60), item(2, 9, 50), item(3, 8, 50)]
    result = fund_best_set(items, 100)
    assert sorted(result.funded) == [2, 3]
    assert result.total_value == 17
    assert result.total_cost == 100
    cut = rank_order_cut(items, 100)
    assert cut.funded == [1]
    assert cut.total_value == 10


def test_dependencies_are_respected_and_cut_problems_listed():
    items = [item(1, 10, 50, deps=[2]), item(2, 1, 50), item(3, 6, 50)]
    result = fund_best_set(items, 100)
    assert sorted(result.funded) == [1, 2]
    cut = rank_order_cut(items, 100)
    assert cut.funded == [1, 2]
    cut = rank_order_cut([items[0], items[2], items[1]], 100)
    assert cut.funded == [1, 3]
    assert cut.problems == ["“I1” is funded without “I2”."]


def test_musts_forced_in_and_wonts_kept_out():
    items = [item(1, 1, 50, moscow="must"), item(2, 100, 10, moscow="wont"), item(3, 5, 60)]
    result = fund_best_set(items, 100)
    assert result.funded == [1]
    assert result.reasons[2] == "Won't have (this time)"
    assert result.reasons[1] == "Must have"


def test_infeasible_musts_have_a_clear_message():
    items = [item(1, 1, 80, moscow="must"), item(2, 1, 40, moscow="must")]
    with pytest.raises(ValidationFailed, match="Must-haves and what they depend on cost 120"):
        fund_best_set(items, 100)
    items = [item(1, 1, 10, moscow="must", deps=[2]), item(2, 1, 10, moscow="wont")]
    with pytest.raises(ValidationFailed, match="“I1” must be funded but depends on “I2”"):
        fund_best_set(items, 100)
    with pytest.raises(ValidationFailed, match="no cost estimate"):
        fund_best_set([item(1, 1, None, moscow="must")], 100)
    with pytest.raises(ValidationFailed, match="cannot be negative"):
        fund_best_set([item(1, 1, 10)], -5)


def test_stream_budgets_split_the_money():
    items = [item(1, 10, 50, stream="A"), item(2, 9, 50, stream="A"), item(3, 1, 50, stream="B")]
    result = fund_best_set(items, 150, {"A": 50, "B": 100})
    assert sorted(result.funded) == [1, 3]
    assert result.stream_spend == {"A": 50, "B": 50}


def test_dsdm_warning_above_sixty_percent():
    items = [item(1, 1, 61, moscow="must"), item(2, 1, 10)]
    assert "61%" in dsdm_warning(items, 100)
    assert dsdm_warning([item(1, 1, 60, moscow="must")], 100) is None
    assert fund_best_set(items, 100).warnings


@st.composite
def portfolios(draw):
    n = draw(st.integers(min_value=1, max_value=15))
    streams = draw(st.sampled_from([(), ("A",), ("A", "B")]))
    items = []
    for k in range(1, n + 1):
        deps = draw(st.lists(st.integers(1, k - 1), max_size=2, unique=True)) if k > 1 else []
        items.append(
            item(
                k,
                draw(st.sampled_from([0, 0.5, 1, 2.5, 3, 7, 13, 20])),
                draw(st.one_of(st.integers(0, 60), st.just(None))) if k % 7 else None,
                deps=deps,
                moscow=draw(st.sampled_from([None, None, None, "must", "should", "wont"])),
                stream=draw(st.sampled_from(streams or ("",))),
                force=draw(st.sampled_from([None, None, None, None, "in", "out"])),
            )
        )
    budget = draw(st.integers(0, 300))
    split = {s: draw(st.integers(0, 200)) for s in streams if draw(st.booleans())}
    return items, budget, split


@settings(max_examples=120, deadline=None)
@given(portfolios())
def test_funding_is_feasible_and_equals_brute_force(case):
    items, budget, streams = case
    best = brute_force(items, budget, streams)
    try:
        result = fund_best_set(items, budget, streams)
    except ValidationFailed:
        assert best is None
        return
    assert best is not None
    assert feasible(items, set(result.funded), budget, streams)
    assert result.total_value == pytest.approx(best, abs=1e-9)
    assert result.total_cost <= budget
    # A rank-order cut that breaks no rule is a feasible set: never better than the optimum.
    cut = rank_order_cut(sorted(items, key=lambda i: -i.value), budget, streams)
    if feasible(items, set(cut.funded), budget, streams):
        assert cut.total_value <= result.total_value + 1e-9


def test_solver_time_limit_gives_a_marked_plan_or_a_clear_message():
    import random

    from pmo_saas.portfolio import funding

    rng = random.Random(2)
    items = [
        item(
            k,
            rng.choice([1, 2, 3, 5, 8, 13, 20]) / rng.choice([1, 2, 3, 5, 8, 13, 20]),
            rng.randrange(20, 600),
            deps=rng.sample(range(max(1, k - 40), k), min(2, k - 1)) if k > 1 else (),
            stream=rng.choice("ABCD"),
        )
        for k in range(1, 401)
    ]
    budget = sum(i.cost for i in items) * 35 // 100
    for time_limit in (0.001, 0.08):
        chosen, warning = funding._solve(items, budget, {"A": budget // 3}, {}, time_limit)
        assert warning is None or "not a proven optimum" in warning
        assert feasible(items, chosen, budget, {"A": budget // 3})
    chosen, warning = funding._solve(items, budget, {"A": budget // 3}, {}, 0.001)
    assert "greedy" in warning
