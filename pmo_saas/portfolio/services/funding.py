"""Funding: the budget and its value-stream split, "fund the best set" beside the rank-order
cut, what-if scenarios and the published plan (pages/funding.py)."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from typing import Any

from sqlalchemy import delete
from sqlmodel import Session, col, select

from pmo_saas.identity import audit
from pmo_saas.kernel import formatting
from pmo_saas.kernel.context import TenantContext
from pmo_saas.kernel.errors import Conflict, NotFound, ValidationFailed
from pmo_saas.portfolio import fields, scoring
from pmo_saas.portfolio.funding import (
    SOLVER_SECONDS,
    CapacityLimits,
    FundingItem,
    fund_best_set,
    rank_order_cut,
)
from pmo_saas.portfolio.models import (
    Portfolio,
    PublishedPlan,
    Scenario,
    StreamBudget,
)
from pmo_saas.portfolio.schemas import (
    FundingLine,
    FundingPlan,
    PublishedPlanRow,
    ScenarioComparison,
    ScenarioRow,
)
from pmo_saas.portfolio.services._common import (
    _can_write,
    _dependencies,
    _initiatives,
    _member_names,
    _portfolio,
    _rank_inputs,
    _scenario,
    _stream_budgets,
)
from pmo_saas.portfolio.services.notices import notify_funding_changes

# ---------------------------------------------------------------- budget


def set_budget(
    *,
    session: Session,
    ctx: TenantContext,
    portfolio_id: int,
    budget: object,
    stream_budgets: Mapping[str, object] | None = None,
) -> None:
    """The portfolio budget, optionally split across value streams (all replaced at once)."""
    _can_write(session, ctx)
    portfolio = _portfolio(session, portfolio_id)
    total = fields.clean_money(budget, what="budget")
    split: dict[str, int] = {}
    for raw_stream, raw_amount in (stream_budgets or {}).items():
        stream = fields.clean_text(raw_stream, what="value stream", max_length=120, required=True)
        amount = fields.clean_money(raw_amount, what=f"budget for {stream}", required=True)
        assert amount is not None
        if stream in split:
            raise ValidationFailed(f"The value stream “{stream}” is listed twice.")
        split[stream] = amount
    if split and total is None:
        raise ValidationFailed("Set the total budget before splitting it.", field="budget")
    if total is not None and sum(split.values()) > total:
        spread = formatting.number(sum(split.values()))
        raise ValidationFailed(
            f"The value-stream budgets add up to {spread}, more than "
            f"the total budget of {formatting.number(total)}.",
            field="budget",
        )
    portfolio.budget = total
    session.add(portfolio)
    session.exec(delete(StreamBudget).where(col(StreamBudget.portfolio_id) == portfolio_id))
    for stream, amount in split.items():
        session.add(StreamBudget(portfolio_id=portfolio_id, value_stream=stream, amount=amount))
    detail = f"{total}" + (f"; split {split}" if split else "")
    audit.record(
        session=session,
        ctx=ctx,
        action="portfolio.budget_set",
        target=portfolio.name,
        detail=detail,
    )


# ---------------------------------------------------------------- funding


def _clean_overrides(
    session: Session, portfolio_id: int, overrides: Mapping[Any, object] | None
) -> dict[int, str]:
    clean: dict[int, str] = {}
    if not overrides:
        return clean
    known = {i.id for i in _initiatives(session, portfolio_id)}
    for raw_id, raw_force in overrides.items():
        try:
            initiative_id = int(raw_id)
        except (TypeError, ValueError):
            raise NotFound("An initiative in the scenario") from None
        if initiative_id not in known:
            raise NotFound("An initiative in the scenario")
        force = str(raw_force).strip().lower()
        if force not in ("in", "out"):
            raise ValidationFailed("A scenario forces an initiative “in” or “out”.")
        clean[initiative_id] = force
    return clean


Progress = Callable[[float, float, str], None]  # (done, total, what is being done)
# The solver's share of the bar: it has no callback of its own, so its part moves with the
# time it has used of its limit (it usually ends long before, and the bar jumps to the end).
_SOLVE_FROM, _SOLVE_TO = 10.0, 90.0


@contextmanager
def _solver_clock(progress: Progress | None, every: float = 0.5) -> Iterator[None]:
    """While the block runs, tell `progress` every `every` s how much of the limit is used."""
    if progress is None:
        yield
        return
    told = progress
    stop = threading.Event()
    start = time.monotonic()

    def tick() -> None:
        while not stop.wait(every):
            used = min(time.monotonic() - start, SOLVER_SECONDS)
            told(
                _SOLVE_FROM + (_SOLVE_TO - _SOLVE_FROM) * used / SOLVER_SECONDS,
                100.0,
                f"Finding the best set: {used:.0f} s of at most {SOLVER_SECONDS:.0f} s",
            )

    told(_SOLVE_FROM, 100.0, "Finding the best set")
    ticker = threading.Thread(target=tick, name="solver-clock", daemon=True)
    ticker.start()
    try:
        yield
    finally:
        stop.set()
        ticker.join()


def _funding_plan(
    session: Session,
    portfolio: Portfolio,
    budget: int,
    stream_budgets: Mapping[str, int],
    overrides: Mapping[int, str],
    capacity: CapacityLimits | None = None,
    progress: Progress | None = None,
) -> FundingPlan:
    assert portfolio.id is not None
    if progress is not None:
        progress(0.0, 100.0, "Reading the initiatives and their scores")
    inputs, _, initiatives = _rank_inputs(session, portfolio)
    deps = _dependencies(session, portfolio.id)
    by_id = {i.id: i for i in initiatives}
    results = {r.id: r.result for r in inputs}
    items = {
        i.id: FundingItem(
            id=i.id,
            title=i.title,
            value=results[i.id].value or 0.0,
            cost=i.cost,
            stream=i.value_stream,
            moscow=i.moscow,
            depends_on=tuple(deps.get(i.id, ())),
            force=overrides.get(i.id),
            scored=results[i.id].value is not None,
        )
        for i in initiatives
        if i.id is not None
    }
    with _solver_clock(progress):
        best = fund_best_set(list(items.values()), budget, stream_budgets, capacity)
    if progress is not None:
        progress(_SOLVE_TO, 100.0, "Comparing with the rank-order cut")
    ranked = [items[r.item.id] for r in scoring.rank(inputs)]
    cut = rank_order_cut(ranked, budget, stream_budgets)
    funded, in_cut = set(best.funded), set(cut.funded)
    lines = [
        FundingLine(
            initiative_id=item.id,
            title=item.title,
            cost=item.cost,
            value=results[item.id].value,
            value_stream=item.stream,
            moscow=by_id[item.id].moscow,
            funded=item.id in funded,
            in_rank_cut=item.id in in_cut,
            reason=best.reasons[item.id],
        )
        for item in ranked
    ]
    return FundingPlan(
        budget=budget,
        stream_budgets=dict(stream_budgets),
        funded_ids=best.funded,
        total_value=best.total_value,
        total_cost=best.total_cost,
        stream_spend=best.stream_spend,
        cut_funded_ids=cut.funded,
        cut_total_value=cut.total_value,
        cut_total_cost=cut.total_cost,
        cut_problems=cut.problems,
        warnings=best.warnings,
        lines=lines,
    )


def fund_portfolio(
    *,
    session: Session,
    ctx: TenantContext,
    portfolio_id: int,
    budget: object = None,
    overrides: Mapping[Any, object] | None = None,
    capacity: CapacityLimits | None = None,
    progress: Progress | None = None,
) -> FundingPlan:
    """ "Fund the best set": the exact optimum beside the plain rank-order cut (writes nothing);
    given `capacity`, the optimum also fits every team's capacity per quarter. `progress`
    (the page's bar) is told the phases and, while the solver runs, its time used."""
    portfolio = _portfolio(session, portfolio_id)
    amount = fields.clean_money(budget, what="budget")
    if amount is None:
        amount = portfolio.budget
    if amount is None:
        raise ValidationFailed("Set a budget for the portfolio first.", field="budget")
    return _funding_plan(
        session,
        portfolio,
        amount,
        _stream_budgets(session, portfolio_id),
        _clean_overrides(session, portfolio_id, overrides),
        capacity,
        progress,
    )


# ---------------------------------------------------------------- scenarios and the plan


def _scenario_row(s: Scenario) -> ScenarioRow:
    assert s.id is not None
    return ScenarioRow(
        id=s.id,
        name=s.name,
        budget=s.budget,
        overrides={int(k): v for k, v in json.loads(s.overrides_json).items()},
        created_at=s.created_at.date().isoformat(),
    )


def create_scenario(
    *,
    session: Session,
    ctx: TenantContext,
    portfolio_id: int,
    name: str,
    budget: object = None,
    overrides: Mapping[Any, object] | None = None,
) -> int:
    _can_write(session, ctx)
    portfolio = _portfolio(session, portfolio_id)
    name = fields.clean_text(name, what="scenario name", max_length=120, required=True)
    amount = fields.clean_money(budget, what="budget")
    if amount is None:
        amount = portfolio.budget
    if amount is None:
        raise ValidationFailed("Give the scenario a budget.", field="budget")
    clean = _clean_overrides(session, portfolio_id, overrides)
    clash = session.exec(
        select(Scenario.id).where(Scenario.portfolio_id == portfolio_id, Scenario.name == name)
    ).first()
    if clash:
        raise Conflict(f"A scenario called “{name}” exists already.")
    scenario = Scenario(
        portfolio_id=portfolio_id,
        name=name,
        budget=amount,
        overrides_json=json.dumps({str(k): v for k, v in sorted(clean.items())}),
    )
    return audit.add_audited(
        session=session,
        ctx=ctx,
        row=scenario,
        action="scenario.created",
        target=name,
        detail=f"budget {amount}, overrides {clean}",
    )


def update_scenario(
    *,
    session: Session,
    ctx: TenantContext,
    scenario_id: int,
    budget: object = None,
    overrides: Mapping[Any, object] | None = None,
) -> None:
    _can_write(session, ctx)
    scenario = _scenario(session, scenario_id)
    amount = fields.clean_money(budget, what="budget")
    if amount is not None:
        scenario.budget = amount
    if overrides is not None:
        clean = _clean_overrides(session, scenario.portfolio_id, overrides)
        scenario.overrides_json = json.dumps({str(k): v for k, v in sorted(clean.items())})
    session.add(scenario)
    audit.record(session=session, ctx=ctx, action="scenario.updated", target=scenario.name)


def delete_scenario(*, session: Session, ctx: TenantContext, scenario_id: int) -> None:
    _can_write(session, ctx)
    scenario = _scenario(session, scenario_id)
    session.delete(scenario)
    audit.record(session=session, ctx=ctx, action="scenario.deleted", target=scenario.name)


def list_scenarios(*, session: Session, ctx: TenantContext, portfolio_id: int) -> list[ScenarioRow]:
    _portfolio(session, portfolio_id)
    rows = session.exec(
        select(Scenario).where(Scenario.portfolio_id == portfolio_id).order_by(col(Scenario.name))
    ).all()
    return [_scenario_row(s) for s in rows]


def _scenario_plan(session: Session, scenario: Scenario) -> FundingPlan:
    portfolio = _portfolio(session, scenario.portfolio_id)
    overrides = {int(k): v for k, v in json.loads(scenario.overrides_json).items()}
    live = {i.id for i in _initiatives(session, scenario.portfolio_id)}
    overrides = {k: v for k, v in overrides.items() if k in live}  # archived since: ignore
    return _funding_plan(
        session,
        portfolio,
        scenario.budget,
        _stream_budgets(session, scenario.portfolio_id),
        overrides,
    )


def compare_scenarios(
    *, session: Session, ctx: TenantContext, scenario_ids: Sequence[int]
) -> ScenarioComparison:
    """Scenarios side by side; one whose Musts do not fit says why instead of failing all."""
    scenarios = [_scenario(session, sid) for sid in scenario_ids]
    if len({s.portfolio_id for s in scenarios}) > 1:
        raise ValidationFailed("Compare scenarios of one portfolio at a time.")
    plans: list[FundingPlan | None] = []
    errors: list[str | None] = []
    for scenario in scenarios:
        try:
            plans.append(_scenario_plan(session, scenario))
            errors.append(None)
        except ValidationFailed as error:
            plans.append(None)
            errors.append(str(error))
    titles: dict[int, str] = {}
    if scenarios:
        titles = {
            i.id: i.title
            for i in _initiatives(session, scenarios[0].portfolio_id)
            if i.id is not None
        }
    return ScenarioComparison(
        scenarios=[_scenario_row(s) for s in scenarios],
        plans=plans,
        errors=errors,
        initiative_titles=titles,
    )


def publish_scenario(*, session: Session, ctx: TenantContext, scenario_id: int) -> int:
    """Publish the scenario's funding result as the plan: a dated snapshot that stays as is."""
    _can_write(session, ctx)
    scenario = _scenario(session, scenario_id)
    plan = _scenario_plan(session, scenario)
    published = PublishedPlan(
        portfolio_id=scenario.portfolio_id,
        scenario_id=scenario.id,
        scenario_name=scenario.name,
        published_by_id=ctx.user_id,
        snapshot_json=plan.model_dump_json(),
    )
    published_id = audit.add_audited(
        session=session,
        ctx=ctx,
        row=published,
        action="scenario.published",
        target=scenario.name,
        detail=f"{len(plan.funded_ids)} funded, cost {plan.total_cost} of {plan.budget}",
    )
    notify_funding_changes(session, ctx, published, plan)
    return published_id


def list_published_plans(
    *, session: Session, ctx: TenantContext, portfolio_id: int
) -> list[PublishedPlanRow]:
    """Newest first: the first is the current plan."""
    _portfolio(session, portfolio_id)
    rows = session.exec(
        select(PublishedPlan)
        .where(PublishedPlan.portfolio_id == portfolio_id)
        .order_by(col(PublishedPlan.published_at).desc(), col(PublishedPlan.id).desc())
    ).all()
    names = _member_names(session, (r.published_by_id for r in rows if r.published_by_id))
    return [
        PublishedPlanRow(
            id=r.id or 0,
            scenario_name=r.scenario_name,
            published_at=r.published_at.isoformat(),
            published_by=names.get(r.published_by_id or 0, ""),
            plan=FundingPlan.model_validate_json(r.snapshot_json),
        )
        for r in rows
    ]
