"""The best funded set with and without team capacity, side by side (the funding page's
"Within team capacity" card, pages/capacity_funding.py).

Team capacity and allocations belong to the capacity domain, which imports the portfolio (not
the other way round). So the portfolio asks for them through one registered reader: capacity
registers it at import (`pmo_saas.capacity.funding_limits`, listed in models.HOOK_MODULES).
With no reader registered, or no capacity entered, the two sides are the same plan.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from pydantic import BaseModel
from sqlmodel import Session

from pmo_saas.kernel.context import TenantContext
from pmo_saas.kernel.errors import ValidationFailed
from pmo_saas.portfolio.funding import CapacityLimits
from pmo_saas.portfolio.schemas import FundingPlan
from pmo_saas.portfolio.services._common import _initiatives
from pmo_saas.portfolio.services.funding import fund_portfolio

# (tenant session, the portfolio's initiative ids) -> their allocations and the teams' capacity
CapacityReader = Callable[[Session, Sequence[int]], CapacityLimits]
_readers: dict[str, CapacityReader] = {}


def register_capacity_reader(reader: CapacityReader) -> None:
    """The capacity domain tells the portfolio how to read team capacity (one reader)."""
    _readers["capacity"] = reader


class FundingSide(BaseModel):
    funded: list[str]
    count: int
    total_value: float
    total_cost: int
    warnings: list[str]
    error: str = ""


class CapacityFundingComparison(BaseModel):
    budget_only: FundingSide
    within_capacity: FundingSide
    dropped: list[str]  # funded on budget alone, not within capacity
    added: list[str]  # funded only within capacity (the money freed goes elsewhere)
    teams_constrained: int  # (team, quarter) pairs the portfolio's allocations ask of


def _side(plan: FundingPlan | None, error: str) -> FundingSide:
    if plan is None:
        return FundingSide(
            funded=[], count=0, total_value=0, total_cost=0, warnings=[], error=error
        )
    titles = {line.initiative_id: line.title for line in plan.lines}
    return FundingSide(
        funded=[titles[i] for i in plan.funded_ids],
        count=len(plan.funded_ids),
        total_value=plan.total_value,
        total_cost=plan.total_cost,
        warnings=plan.warnings,
    )


def _plan(
    session: Session,
    ctx: TenantContext,
    portfolio_id: int,
    budget: object,
    capacity: CapacityLimits | None,
) -> tuple[FundingPlan | None, str]:
    try:
        plan = fund_portfolio(
            session=session, ctx=ctx, portfolio_id=portfolio_id, budget=budget, capacity=capacity
        )
    except ValidationFailed as error:  # an impossible plan is shown on its side, not raised
        return None, str(error)
    return plan, ""


def compare_capacity_funding(
    *, session: Session, ctx: TenantContext, portfolio_id: int, budget: object = None
) -> CapacityFundingComparison:
    """The exact best set on budget alone beside the exact best set that also fits every
    team's capacity in every quarter (writes nothing)."""
    ids = [i.id for i in _initiatives(session, portfolio_id) if i.id is not None]
    reader = _readers.get("capacity")
    limits = reader(session, ids) if reader else CapacityLimits(capacity={}, demand={})
    plain, plain_error = _plan(session, ctx, portfolio_id, budget, None)
    within, within_error = _plan(session, ctx, portfolio_id, budget, limits)
    left, right = _side(plain, plain_error), _side(within, within_error)
    keys = {key for asks in limits.demand.values() for key in asks}
    return CapacityFundingComparison(
        budget_only=left,
        within_capacity=right,
        dropped=[t for t in left.funded if t not in set(right.funded)] if within else [],
        added=[t for t in right.funded if t not in set(left.funded)] if plain else [],
        teams_constrained=len(keys),
    )
