"""Where an initiative came from, and the portfolio reads other domains use.

Another domain that puts work into the portfolio (coaching promotes an organisational growth
item) calls `create_initiative_from`, which records the origin on the initiative itself:
its kind, the item's id and the text the portfolio shows after "From ...". The portfolio then
shows the origin from its own rows and never imports the domain it came from; the arrow points
one way (coaching -> portfolio). The origin's owner keeps it current (`relabel_origins`,
`forget_origins`) when its item is renamed or deleted.

This module is the portfolio's one seam for those domains: they import it, not the services.
"""

from __future__ import annotations

from collections.abc import Sequence

from sqlmodel import Session, col, select

from pmo_saas.kernel.context import TenantContext

# Team capacity as the funding optimiser's extra constraint, registered by capacity.
from pmo_saas.portfolio.funding import CapacityKey, CapacityLimits  # noqa: F401
from pmo_saas.portfolio.models import Initiative
from pmo_saas.portfolio.services import initiatives as initiative_services
from pmo_saas.portfolio.services.capacity_funding import register_capacity_reader  # noqa: F401

# The portfolio reads coaching shows beside a promoted item.
from pmo_saas.portfolio.services.funding import list_published_plans  # noqa: F401
from pmo_saas.portfolio.services.initiatives import get_initiative  # noqa: F401
from pmo_saas.portfolio.services.portfolios import list_portfolios  # noqa: F401


def create_initiative_from(
    *,
    session: Session,
    ctx: TenantContext,
    portfolio_id: int,
    title: str,
    description: str,
    origin_kind: str,
    origin_id: int,
    origin_title: str,
) -> int:
    """Create an initiative (the portfolio's own checks apply) that remembers its origin."""
    initiative_id = initiative_services.create_initiative(
        session=session,
        ctx=ctx,
        portfolio_id=portfolio_id,
        data={"title": title, "description": description},
    )
    initiative = session.get(Initiative, initiative_id)
    assert initiative is not None
    initiative.origin_kind, initiative.origin_id = origin_kind, origin_id
    initiative.origin_title = origin_title[:300]
    session.add(initiative)
    session.flush()
    return initiative_id


def _originating(session: Session, origin_kind: str, origin_ids: Sequence[int]) -> list[Initiative]:
    if not origin_ids:
        return []
    return list(
        session.exec(
            select(Initiative).where(
                Initiative.origin_kind == origin_kind, col(Initiative.origin_id).in_(origin_ids)
            )
        ).all()
    )


def relabel_origins(
    *, session: Session, ctx: TenantContext, origin_kind: str, titles: dict[int, str]
) -> None:
    """The origin items were renamed: origin id -> the new text after "From ..."."""
    for initiative in _originating(session, origin_kind, list(titles)):
        assert initiative.origin_id is not None
        initiative.origin_title = titles[initiative.origin_id][:300]
        session.add(initiative)


def forget_origins(
    *, session: Session, ctx: TenantContext, origin_kind: str, origin_ids: Sequence[int]
) -> None:
    """The origin items were deleted: their initiatives stay, without an origin."""
    for initiative in _originating(session, origin_kind, origin_ids):
        initiative.origin_kind, initiative.origin_id, initiative.origin_title = "", None, ""
        session.add(initiative)
