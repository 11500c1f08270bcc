"""Team capacity as the funding optimiser's extra constraint: registered with the portfolio
at import (listed in models.HOOK_MODULES), so the portfolio never imports capacity.

An initiative asks of each (team, quarter) the person-days allocated to it there; a team's
capacity for a quarter is people x days per person (none entered: none available).
Read in the caller's tenant session: another organisation's teams never count.
"""

from __future__ import annotations

from collections.abc import Sequence

from sqlmodel import Session, col, select

from pmo_saas.capacity.models import Allocation, TeamCapacity
from pmo_saas.capacity.services.capacity import person_days
from pmo_saas.identity.models import Team
from pmo_saas.portfolio import origin
from pmo_saas.portfolio.origin import CapacityKey, CapacityLimits


def read_limits(session: Session, initiative_ids: Sequence[int]) -> CapacityLimits:
    names = dict(session.exec(select(Team.id, Team.name)).all())
    capacity: dict[CapacityKey, float] = {
        (names[c.team_id], c.quarter): person_days(c.people, c.days_per_person)
        for c in session.exec(select(TeamCapacity)).all()
        if c.team_id in names
    }
    demand: dict[int, dict[CapacityKey, float]] = {}
    if initiative_ids:
        for a in session.exec(
            select(Allocation).where(col(Allocation.initiative_id).in_(list(initiative_ids)))
        ).all():
            if a.team_id in names and a.person_days > 0:
                asks = demand.setdefault(a.initiative_id, {})
                key = (names[a.team_id], a.quarter)
                asks[key] = asks.get(key, 0.0) + a.person_days
    return CapacityLimits(capacity=capacity, demand=demand)


origin.register_capacity_reader(read_limits)
