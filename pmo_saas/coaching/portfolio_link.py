"""The seam to the portfolio domain: create an initiative, read initiatives' funding status.

Only this module knows the portfolio's service API. Coaching stores the initiative's id on
the promoted action (the link from the plan); the portfolio finds where an initiative came
from with `coaching.services.initiative_origin(s)` (the link back).
"""

from __future__ import annotations

import importlib
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
        title=title,
        description=description,
    )
    initiative_id = result if isinstance(result, int) else getattr(result, "id", None)
    if not isinstance(initiative_id, int):
        raise TypeError("portfolio.create_initiative returned no initiative id")
    return initiative_id


def funding_statuses(
    *, session: Session, ctx: TenantContext, initiative_ids: list[int]
) -> dict[int, str]:
    """Initiative id -> its funding status in the portfolio ("" when it cannot be read)."""
    if not initiative_ids:
        return {}
    services = _portfolio_services()
    get = getattr(services, "get_initiative", None)
    if get is None:
        return {}
    statuses: dict[int, str] = {}
    for initiative_id in initiative_ids:
        try:
            initiative = get(session=session, ctx=ctx, initiative_id=initiative_id)
        except DomainError:  # removed, or not readable with the caller's role
            statuses[initiative_id] = "removed"
            continue
        statuses[initiative_id] = str(getattr(initiative, "status", "") or "")
    return statuses
