"""The seam to the portfolio domain: create an initiative, read initiatives' funding status.

Only this module knows the portfolio's service API. Coaching stores the initiative's id on
the promoted action (the link from the plan); the portfolio finds where an initiative came
from with `coaching.services.initiative_origin(s)` (the link back).
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass
from types import ModuleType
from typing import Any

from sqlmodel import Session

from pmo_saas.kernel.context import TenantContext
from pmo_saas.kernel.errors import DomainError, ValidationFailed

NOT_READY = (
    "Promoting to the portfolio is not available yet: the portfolio module has no service "
    "to create initiatives."
)


def _portfolio_services() -> ModuleType | None:
    try:
        return importlib.import_module("pmo_saas.portfolio.services")
    except ModuleNotFoundError:
        return None


def portfolio_available() -> bool:
    services = _portfolio_services()
    return services is not None and hasattr(services, "create_initiative")


FUNDED = "funded"
NOT_FUNDED = "not_funded"
UNDECIDED = "undecided"
REMOVED = "removed"
FUNDING_LABELS = {
    FUNDED: "Funded in the published plan",
    NOT_FUNDED: "Not funded in the published plan",
    UNDECIDED: "Awaiting a funding decision",
    REMOVED: "No longer in the portfolio",
}


@dataclass(frozen=True, slots=True)
class InitiativeState:
    """What the plan shows of a promoted item: the initiative's lifecycle and funding."""

    status: str  # the portfolio's lifecycle status (funnel, reviewing, ...), "" when removed
    funding: str  # FUNDED / NOT_FUNDED / UNDECIDED / REMOVED


def create_initiative(
    *, session: Session, ctx: TenantContext, portfolio_id: int, title: str, description: str
) -> int:
    """Create an initiative in the portfolio through its services; returns its id."""
    services = _portfolio_services()
    create = getattr(services, "create_initiative", None)
    if create is None:
        raise ValidationFailed(NOT_READY)
    result: Any = create(
        session=session,
        ctx=ctx,
        portfolio_id=portfolio_id,
        data={"title": title, "description": description},
    )
    if not isinstance(result, int):
        raise TypeError("portfolio.create_initiative returned no initiative id")
    return result


def initiative_states(
    *, session: Session, ctx: TenantContext, initiative_ids: list[int]
) -> dict[int, InitiativeState]:
    """Initiative id -> its lifecycle status and whether the current published plan funds it."""
    if not initiative_ids:
        return {}
    services = _portfolio_services()
    get = getattr(services, "get_initiative", None)
    plans = getattr(services, "list_published_plans", None)
    if get is None or plans is None:
        return {}
    funded_by_portfolio: dict[int, set[int] | None] = {}
    states: dict[int, InitiativeState] = {}
    for initiative_id in initiative_ids:
        try:
            initiative = get(session=session, ctx=ctx, initiative_id=initiative_id)
        except DomainError:  # removed, or not readable with the caller's role
            states[initiative_id] = InitiativeState(status="", funding=REMOVED)
            continue
        portfolio_id = initiative.portfolio_id
        if portfolio_id not in funded_by_portfolio:
            published = plans(session=session, ctx=ctx, portfolio_id=portfolio_id)
            # Newest first: the first published plan is the current one.
            funded_by_portfolio[portfolio_id] = (
                set(published[0].plan.funded_ids) if published else None
            )
        funded = funded_by_portfolio[portfolio_id]
        funding = UNDECIDED
        if funded is not None:
            funding = FUNDED if initiative_id in funded else NOT_FUNDED
        states[initiative_id] = InitiativeState(status=str(initiative.status), funding=funding)
    return states


def portfolio_choices(*, session: Session, ctx: TenantContext) -> list[tuple[int, str]]:
    """(id, name) of the organisation's open portfolios, to promote items into."""
    services = _portfolio_services()
    listing = getattr(services, "list_portfolios", None)
    if listing is None:
        return []
    return [(p.id, p.name) for p in listing(session=session, ctx=ctx)]
