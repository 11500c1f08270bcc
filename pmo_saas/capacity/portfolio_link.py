"""The seam to the portfolio domain: which initiatives are funded, their titles and value
streams. Only this module knows the portfolio (`pmo_saas.portfolio.origin` for its reads, and
its Initiative table for titles and streams); the arrow points capacity -> portfolio."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass

from sqlalchemy import func
from sqlmodel import Session, col, select

from pmo_saas.capacity.models import Allocation
from pmo_saas.kernel.context import TenantContext
from pmo_saas.portfolio import origin
from pmo_saas.portfolio.models import Initiative


@dataclass(frozen=True, slots=True)
class FundedInitiative:
    id: int
    title: str
    value_stream: str


def funded_initiatives(*, session: Session, ctx: TenantContext) -> list[FundedInitiative]:
    """Initiatives funded in the newest published plan of their portfolio, by title."""
    funded: set[int] = set()
    for portfolio in origin.list_portfolios(session=session, ctx=ctx):
        plans = origin.list_published_plans(session=session, ctx=ctx, portfolio_id=portfolio.id)
        if plans:
            funded |= set(plans[0].plan.funded_ids)
    if not funded:
        return []
    rows = session.exec(
        select(Initiative.id, Initiative.title, Initiative.value_stream)
        .where(col(Initiative.id).in_(funded), col(Initiative.archived_at).is_(None))
        .order_by(col(Initiative.title))
    ).all()
    return [FundedInitiative(i, t, s) for i, t, s in rows if i is not None]


def initiative_labels(session: Session, ids: Iterable[int]) -> dict[int, tuple[str, str]]:
    """initiative id -> (title, value stream) for the given ids in the organisation."""
    wanted = list(set(ids))
    if not wanted:
        return {}
    rows = session.exec(
        select(Initiative.id, Initiative.title, Initiative.value_stream).where(
            col(Initiative.id).in_(wanted)
        )
    ).all()
    return {i: (t, s) for i, t, s in rows if i is not None}


def demand_by_stream(session: Session) -> list[tuple[str, str, float]]:
    """(value stream, quarter, person-days allocated) over every allocation; an allocation
    whose initiative is gone counts under no stream. Two plain grouped reads joined here (a
    join in SQL was planned as a nested loop over fresh, unanalysed rows on PostgreSQL)."""
    streams = dict(session.exec(select(Initiative.id, Initiative.value_stream)).all())
    demand: dict[tuple[str, str], float] = defaultdict(float)
    for initiative_id, quarter, days in session.exec(
        select(
            Allocation.initiative_id, Allocation.quarter, func.sum(Allocation.person_days)
        ).group_by(col(Allocation.initiative_id), col(Allocation.quarter))
    ).all():
        demand[(streams.get(initiative_id) or "", quarter)] += float(days)
    return [(stream, quarter, days) for (stream, quarter), days in demand.items()]
