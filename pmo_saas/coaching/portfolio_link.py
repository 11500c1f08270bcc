"""The seam to the portfolio domain: create an initiative, read initiatives' funding status.

Only this module knows the portfolio's API (`pmo_saas.portfolio.origin`, imported plainly: the
arrow points coaching -> portfolio, never back). Coaching stores the initiative's id on the
promoted action (the link from the plan); the initiative records its origin (kind, action id,
"coaching plan ... (team ...)") when it is created here, so the portfolio shows where it came
from without knowing coaching. Renaming or deleting the plan keeps that origin current.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from sqlmodel import Session

from pmo_saas.kernel.context import TenantContext
from pmo_saas.kernel.errors import DomainError
from pmo_saas.portfolio import origin as _origin

# How the initiative names its origin: a coaching action, by id.
ORIGIN_KIND = "coaching_action"
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


def origin_title(plan_title: str, team_name: str) -> str:
    """What the portfolio shows after "From ..." on an initiative promoted from a plan."""
    return f"coaching plan {plan_title}" + (f" (team {team_name})" if team_name else "")


def create_initiative(
    *,
    session: Session,
    ctx: TenantContext,
    portfolio_id: int,
    title: str,
    description: str,
    action_id: int,
    origin: str,
) -> int:
    """Create an initiative in the portfolio that remembers the action it came from."""
    return _origin.create_initiative_from(
        session=session,
        ctx=ctx,
        portfolio_id=portfolio_id,
        title=title,
        description=description,
        origin_kind=ORIGIN_KIND,
        origin_id=action_id,
        origin_title=origin,
    )


def plan_renamed(
    *, session: Session, ctx: TenantContext, action_ids: Sequence[int], origin: str
) -> None:
    """A plan with promoted items was renamed: their initiatives show the new name."""
    _origin.relabel_origins(
        session=session,
        ctx=ctx,
        origin_kind=ORIGIN_KIND,
        titles=dict.fromkeys(action_ids, origin),
    )


def actions_deleted(*, session: Session, ctx: TenantContext, action_ids: Sequence[int]) -> None:
    """Promoted items were deleted: their initiatives stay, no longer "from coaching"."""
    _origin.forget_origins(session=session, ctx=ctx, origin_kind=ORIGIN_KIND, origin_ids=action_ids)


def initiative_states(
    *, session: Session, ctx: TenantContext, initiative_ids: list[int]
) -> dict[int, InitiativeState]:
    """Initiative id -> its lifecycle status and whether the current published plan funds it."""
    if not initiative_ids:
        return {}
    funded_by_portfolio: dict[int, set[int] | None] = {}
    states: dict[int, InitiativeState] = {}
    for initiative_id in initiative_ids:
        try:
            initiative = _origin.get_initiative(
                session=session, ctx=ctx, initiative_id=initiative_id
            )
        except DomainError:  # removed, or not readable with the caller's role
            states[initiative_id] = InitiativeState(status="", funding=REMOVED)
            continue
        portfolio_id = initiative.portfolio_id
        if portfolio_id not in funded_by_portfolio:
            published = _origin.list_published_plans(
                session=session, ctx=ctx, portfolio_id=portfolio_id
            )
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
    return [(p.id, p.name) for p in _origin.list_portfolios(session=session, ctx=ctx)]
