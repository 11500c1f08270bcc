"""Funding: the exact best set within the budget, and the plain rank-order cut beside it.

`fund_best_set` solves a 0-1 integer programme with `scipy.optimize.milp` (HiGHS, relative gap
0, so the optimum is exact, not a greedy approximation):

    maximise   Σ value_i · x_i
    subject to Σ cost_i · x_i ≤ budget
               Σ cost_i · x_i ≤ budget_s            for every value stream s with a budget
               x_i ≤ x_j                            when i depends on j
               x_i = 1 for Must-haves (and scenario "in"), x_i = 0 for Won't-haves,
               scenario "out" and initiatives without a cost estimate.
  optionally   Σ days_i,tq · x_i ≤ capacity_tq        for every team t and quarter q
               (`CapacityLimits`: each initiative's allocations must fit each team's capacity
               for that quarter; a team with no capacity entered for a quarter has none)

Items forced in or out are fixed before the solver runs; an impossible forced set gets a
message naming the initiatives, never a solver status code.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np
from scipy.optimize import Bounds, LinearConstraint, milp
from scipy.sparse import csr_matrix

from pmo_saas.kernel.errors import ValidationFailed
from pmo_saas.kernel.formatting import number

DSDM_MUST_SHARE = 0.6
# A web request must end: past this the best plan found is shown, marked as not proven best.
SOLVER_SECONDS = 20.0


@dataclass(frozen=True, slots=True)
class FundingItem:
    id: int
    title: str
    value: float  # 0 for an initiative not scored: it is funded only when needed
    cost: int | None
    stream: str = ""
    moscow: str | None = None
    depends_on: tuple[int, ...] = ()
    force: str | None = None  # scenario override: "in" | "out"
    scored: bool = True


CapacityKey = tuple[str, str]  # (team name, quarter "2027-Q1")


@dataclass(frozen=True, slots=True)
class CapacityLimits:
    """Team capacity as an extra constraint, in person-days: what each (team, quarter) has, and
    what each initiative's allocations ask of it. Plain data, filled by the capacity domain."""

    capacity: Mapping[CapacityKey, float]
    demand: Mapping[int, Mapping[CapacityKey, float]]  # initiative id -> its allocations


@dataclass(slots=True)
class FundingResult:
    funded: list[int]
    total_value: float
    total_cost: int
    budget: int
    stream_spend: dict[str, int] = field(default_factory=dict)
    reasons: dict[int, str] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)


@dataclass(slots=True)
class CutResult:
    funded: list[int]
    total_value: float
    total_cost: int
    problems: list[str] = field(default_factory=list)


def _forced_in(item: FundingItem) -> bool:
    if item.force is not None:
        return item.force == "in"
    return item.moscow == "must"


def _out_reason(item: FundingItem) -> str | None:
    if item.force == "out":
        return "left out in this scenario"
    if item.moscow == "wont" and item.force != "in":
        return "Won't have (this time)"
    if item.cost is None:
        return "no cost estimate"
    return None


def _check_budgets(budget: int, stream_budgets: Mapping[str, int]) -> None:
    if budget < 0:
        raise ValidationFailed("The budget cannot be negative.", field="budget")
    for stream, amount in stream_budgets.items():
        if amount < 0:
            raise ValidationFailed(
                f"The budget for value stream “{stream}” cannot be negative.", field="budget"
            )


def dsdm_warning(items: Sequence[FundingItem], budget: int) -> str | None:
    """DSDM: Must-haves should take no more than 60% of the budget."""
    must_cost = sum(i.cost or 0 for i in items if _forced_in(i) and i.force != "out")
    if must_cost and (budget <= 0 or must_cost > DSDM_MUST_SHARE * budget):
        share = f"{must_cost / budget:.0%}" if budget > 0 else "all"
        return (
            f"Must-haves take {share} of the budget ({number(must_cost)} of {number(budget)}). "
            f"DSDM advises at most {DSDM_MUST_SHARE:.0%}, so that Shoulds and Coulds leave "
            "room to absorb surprises."
        )
    return None


def fund_best_set(
    items: Sequence[FundingItem],
    budget: int,
    stream_budgets: Mapping[str, int] | None = None,
    capacity: CapacityLimits | None = None,
) -> FundingResult:
    """The set of maximum total value that fits the budget(s) and respects dependencies (and,
    given `capacity`, fits every team's capacity in every quarter)."""
    streams = dict(stream_budgets or {})
    _check_budgets(budget, streams)
    by_id = {i.id: i for i in items}
    dependants: dict[int, list[int]] = {i.id: [] for i in items}
    for item in items:
        for dep in item.depends_on:
            if dep in dependants:
                dependants[dep].append(item.id)

    # Out: the item's own reason, then everything that (transitively) depends on it.
    out: dict[int, str] = {}
    stack: list[int] = []
    for item in items:
        reason = _out_reason(item)
        if reason is not None:
            out[item.id] = reason
            stack.append(item.id)
        missing = [d for d in item.depends_on if d not in by_id]
        if missing and item.id not in out:
            out[item.id] = "depends on an initiative outside this portfolio"
            stack.append(item.id)
    root_out = set(out)
    while stack:
        blocked = stack.pop()
        for dependant in dependants[blocked]:
            if dependant not in out:
                out[dependant] = f"depends on “{by_id[blocked].title}”, which cannot be funded"
                stack.append(dependant)

    # In: Musts (or scenario "in") and everything they (transitively) depend on.
    required: dict[int, int] = {}  # id -> the forced item that pulled it in
    for item in items:
        if _forced_in(item):
            stack = [item.id]
            while stack:
                current = stack.pop()
                if current in required:
                    continue
                required[current] = item.id
                stack.extend(d for d in by_id[current].depends_on if d in by_id)
    blocked_required = [r for r in required if r in out]
    if blocked_required:
        # Name the root cause: a required item that is out for its own reason.
        direct = [r for r in blocked_required if r in root_out]
        rid = (direct or blocked_required)[0]
        who, what = by_id[required[rid]], by_id[rid]
        if who.id == what.id:
            raise ValidationFailed(
                f"“{who.title}” must be funded but cannot be: {out[rid]}.", field="budget"
            )
        raise ValidationFailed(
            f"“{who.title}” must be funded but depends on “{what.title}”, which cannot be "
            f"funded ({out[rid]}).",
            field="budget",
        )
    required_cost = sum(by_id[r].cost or 0 for r in required)
    if required_cost > budget:
        raise ValidationFailed(
            f"The Must-haves and what they depend on cost {number(required_cost)}, more than the "
            f"budget of {number(budget)}. Raise the budget or move some Must-haves to Should.",
            field="budget",
        )
    stream_required: dict[str, int] = {}
    for r in required:
        stream_required[by_id[r].stream] = stream_required.get(by_id[r].stream, 0) + (
            by_id[r].cost or 0
        )
    for stream, amount in streams.items():
        if stream_required.get(stream, 0) > amount:
            raise ValidationFailed(
                f"The Must-haves in value stream “{stream}” (with what they depend on) cost "
                f"{number(stream_required[stream])}, more than its budget of {number(amount)}.",
                field="budget",
            )

    load_left = _capacity_left(capacity, by_id, required)
    free = [i for i in items if i.id not in out and i.id not in required]
    chosen = set(required)
    solver_warning = None
    if free:
        best, solver_warning = _solve(
            free,
            budget - required_cost,
            streams,
            stream_required,
            capacity=_free_load(capacity, free, load_left),
        )
        chosen |= best

    funded = [i.id for i in items if i.id in chosen]
    spend: dict[str, int] = {}
    for fid in funded:
        spend[by_id[fid].stream] = spend.get(by_id[fid].stream, 0) + (by_id[fid].cost or 0)
    reasons: dict[int, str] = {}
    for item in items:
        if item.id in required:
            reasons[item.id] = (
                "Must have" if required[item.id] == item.id else "needed by a Must-have"
            )
        elif item.id in out:
            reasons[item.id] = out[item.id]
        elif item.id in chosen:
            reasons[item.id] = "part of the best set" if item.scored else "needed; not scored"
        elif not item.scored:
            reasons[item.id] = "not scored, so it adds no known value"
        else:
            reasons[item.id] = "does not fit with a better set"
    result = FundingResult(
        funded=funded,
        total_value=sum(by_id[f].value for f in funded),
        total_cost=sum(by_id[f].cost or 0 for f in funded),
        budget=budget,
        stream_spend=spend,
        reasons=reasons,
    )
    for warning in (dsdm_warning(items, budget), solver_warning):
        if warning:
            result.warnings.append(warning)
    return result


def _capacity_left(
    capacity: CapacityLimits | None,
    by_id: Mapping[int, FundingItem],
    required: Mapping[int, int],
) -> dict[CapacityKey, float]:
    """Each (team, quarter)'s capacity less what the Must-haves take; a Must-have set that does
    not fit a team's capacity is refused with the team and quarter named."""
    if capacity is None:
        return {}
    left = {key: float(days) for key, days in capacity.capacity.items()}
    for rid in required:
        for key, days in capacity.demand.get(rid, {}).items():
            left[key] = left.get(key, 0.0) - days
    for (team, quarter), days in sorted(left.items()):
        if days < -1e-9:
            need = sum(capacity.demand.get(r, {}).get((team, quarter), 0.0) for r in required)
            has = capacity.capacity.get((team, quarter), 0.0)
            raise ValidationFailed(
                f"The Must-haves (with what they depend on) need {number(need)} person-days of "
                f"{team} in {quarter}, more than its capacity of {number(has)}.",
                field="budget",
            )
    return left


def _free_load(
    capacity: CapacityLimits | None,
    free: Sequence[FundingItem],
    left: Mapping[CapacityKey, float],
) -> dict[CapacityKey, tuple[float, list[tuple[int, float]]]] | None:
    """(team, quarter) -> (person-days left, [(free item's index, its person-days)])."""
    if capacity is None:
        return None
    rows: dict[CapacityKey, tuple[float, list[tuple[int, float]]]] = {}
    for k, item in enumerate(free):
        for key, days in capacity.demand.get(item.id, {}).items():
            if days > 0:
                rows.setdefault(key, (left.get(key, 0.0), []))[1].append((k, float(days)))
    return rows


def _solve(
    free: Sequence[FundingItem],
    budget_left: int,
    streams: Mapping[str, int],
    stream_required: Mapping[str, int],
    time_limit: float = SOLVER_SECONDS,
    capacity: Mapping[CapacityKey, tuple[float, list[tuple[int, float]]]] | None = None,
) -> tuple[set[int], str | None]:
    n = len(free)
    index = {item.id: k for k, item in enumerate(free)}
    costs = np.array([float(item.cost or 0) for item in free])
    values = np.array([item.value for item in free])
    rows: list[int] = []
    cols: list[int] = []
    data: list[float] = []
    upper: list[float] = []

    def add_row(entries: list[tuple[int, float]], ub: float) -> None:
        row = len(upper)
        for col, coefficient in entries:
            rows.append(row)
            cols.append(col)
            data.append(coefficient)
        upper.append(ub)

    add_row([(k, costs[k]) for k in range(n)], float(budget_left))
    for stream, amount in streams.items():
        members = [k for k, item in enumerate(free) if item.stream == stream]
        if members:
            add_row(
                [(k, costs[k]) for k in members], float(amount - stream_required.get(stream, 0))
            )
    for item in free:
        for dep in item.depends_on:
            if dep in index:  # a required dependency is already in; an out one excluded item
                add_row([(index[item.id], 1.0), (index[dep], -1.0)], 0.0)
    for days_left, entries in (capacity or {}).values():
        add_row(entries, days_left)
    matrix = csr_matrix((data, (rows, cols)), shape=(len(upper), n))
    solution = milp(
        c=-values,
        constraints=LinearConstraint(matrix, -np.inf, np.array(upper)),
        integrality=np.ones(n),
        bounds=Bounds(0, 1),
        options={"mip_rel_gap": 0.0, "presolve": True, "time_limit": time_limit},
    )
    if solution.x is None:  # timed out before any plan: fall back to a greedy feasible one
        return _greedy(free, budget_left, streams, stream_required, capacity), (
            f"The optimiser stopped after {time_limit:g} seconds without a plan; this plan is "
            "a greedy choice by value per cost, not a proven optimum."
        )
    warning = None
    if solution.status != 0:  # stopped by the time limit with a plan not proven best
        gap = getattr(solution, "mip_gap", None)
        within = f", within {gap:.2%} of the best possible" if gap is not None else ""
        warning = (
            f"The optimiser stopped after {time_limit:g} seconds: this is the best plan it "
            f"found{within}, not a proven optimum."
        )
    return {free[k].id for k in range(n) if solution.x[k] > 0.5}, warning


def _greedy(
    free: Sequence[FundingItem],
    budget_left: int,
    streams: Mapping[str, int],
    stream_required: Mapping[str, int],
    capacity: Mapping[CapacityKey, tuple[float, list[tuple[int, float]]]] | None = None,
) -> set[int]:
    """Best value per cost first, each with what it depends on, while every budget (and
    every team's capacity) allows."""
    by_id = {i.id: i for i in free}
    days_left = {key: left for key, (left, _) in (capacity or {}).items()}
    needs: dict[int, list[tuple[CapacityKey, float]]] = {}
    for key, (_, entries) in (capacity or {}).items():
        for k, days in entries:
            needs.setdefault(free[k].id, []).append((key, days))
    left = {s: amount - stream_required.get(s, 0) for s, amount in streams.items()}
    chosen: set[int] = set()
    spent = 0
    order = sorted(free, key=lambda i: -(i.value / i.cost) if i.cost else -float("inf"))
    for item in order:
        if item.value <= 0:
            continue  # funded only when something of value needs it
        bundle, stack = set(), [item.id]
        while stack:
            current = stack.pop()
            if current in chosen or current in bundle:
                continue
            bundle.add(current)
            stack.extend(d for d in by_id[current].depends_on if d in by_id)
        cost = sum(by_id[b].cost or 0 for b in bundle)
        per_stream: dict[str, int] = {}
        for b in bundle:
            per_stream[by_id[b].stream] = per_stream.get(by_id[b].stream, 0) + (by_id[b].cost or 0)
        load: dict[CapacityKey, float] = {}
        for b in bundle:
            for key, days in needs.get(b, ()):
                load[key] = load.get(key, 0.0) + days
        fits = (
            spent + cost <= budget_left
            and all(used <= left[s] for s, used in per_stream.items() if s in left)
            and all(days <= days_left[key] + 1e-9 for key, days in load.items())
        )
        if fits:
            chosen |= bundle
            spent += cost
            for key, days in load.items():
                days_left[key] -= days
            for s, used in per_stream.items():
                if s in left:
                    left[s] -= used
    return chosen


def rank_order_cut(
    ranked: Sequence[FundingItem],
    budget: int,
    stream_budgets: Mapping[str, int] | None = None,
) -> CutResult:
    """Fund down the ranking until the next initiative does not fit: the plain cut line.

    It skips Won't-haves and initiatives without a cost and ignores dependencies and stream
    budgets; the problems it creates are listed, to show why the optimum differs.
    """
    funded: list[int] = []
    spent = 0
    for item in ranked:
        if _out_reason(item) is not None:
            continue
        assert item.cost is not None
        if spent + item.cost > budget:
            break
        funded.append(item.id)
        spent += item.cost
    chosen = set(funded)
    by_id = {i.id: i for i in ranked}
    problems: list[str] = []
    for fid in funded:
        for dep in by_id[fid].depends_on:
            if dep not in chosen:
                title = by_id[dep].title if dep in by_id else "an initiative elsewhere"
                problems.append(f"“{by_id[fid].title}” is funded without “{title}”.")
    for item in ranked:
        if _forced_in(item) and item.id not in chosen:
            problems.append(f"Must-have “{item.title}” is not funded.")
    for stream, amount in (stream_budgets or {}).items():
        used = sum(by_id[f].cost or 0 for f in funded if by_id[f].stream == stream)
        if used > amount:
            problems.append(
                f"Value stream “{stream}” spends {number(used)}, "
                f"over its budget of {number(amount)}."
            )
    return CutResult(
        funded=funded,
        total_value=sum(by_id[f].value for f in funded),
        total_cost=spent,
        problems=problems,
    )
