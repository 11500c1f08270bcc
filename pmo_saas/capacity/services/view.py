"""Demand vs capacity per team and per value stream, quarter by quarter, over-allocation
flagged; and the capacity table as CSV.

A team's capacity counts toward the value stream it serves that quarter; a stream's demand is
the allocations of its initiatives, whichever team does them. Demand above capacity (also any
demand where no capacity was entered) is over-allocated.
"""

from __future__ import annotations

import csv
import io
from collections import defaultdict

from sqlalchemy import func
from sqlalchemy import select as sa_select
from sqlmodel import Session, col, select

from pmo_saas.capacity import portfolio_link
from pmo_saas.capacity.models import Allocation, TeamCapacity
from pmo_saas.capacity.schemas import CapacityView, LoadRow
from pmo_saas.capacity.services.capacity import list_capacity
from pmo_saas.identity.models import Team
from pmo_saas.kernel.context import TenantContext

NO_STREAM = "(no value stream)"


def _load(name: str, quarter: str, capacity: float, demand: float) -> LoadRow:
    capacity, demand = round(capacity, 2), round(demand, 2)
    # Built from numbers this module computed: no validation needed (1,600 rows at 200 teams).
    return LoadRow.model_construct(
        name=name,
        quarter=quarter,
        capacity=capacity,
        demand=demand,
        free=round(capacity - demand, 2),
        over=demand > capacity,
        load_percent=round(100 * demand / capacity) if capacity else None,
    )


def capacity_view(*, session: Session, ctx: TenantContext) -> CapacityView:
    """Every (team, quarter) and (value stream, quarter) with capacity or demand."""
    team_names = dict(session.exec(select(Team.id, Team.name)).all())
    capacity: dict[tuple[int, str], float] = {}
    team_stream: dict[tuple[int, str], str] = {}
    for team_id, quarter, people, days, stream in session.execute(
        sa_select(
            col(TeamCapacity.team_id),
            col(TeamCapacity.quarter),
            col(TeamCapacity.people),
            col(TeamCapacity.days_per_person),
            col(TeamCapacity.value_stream),
        )
    ).all():
        capacity[(team_id, quarter)] = people * days
        team_stream[(team_id, quarter)] = stream or NO_STREAM
    demand: dict[tuple[int, str], float] = {
        (t, q): float(d)
        for t, q, d in session.exec(
            select(
                Allocation.team_id, Allocation.quarter, func.sum(Allocation.person_days)
            ).group_by(col(Allocation.team_id), col(Allocation.quarter))
        ).all()
    }
    stream_demand: dict[tuple[str, str], float] = defaultdict(float)
    for stream, quarter, days in portfolio_link.demand_by_stream(session):
        stream_demand[(stream or NO_STREAM, quarter)] += days
    stream_capacity: dict[tuple[str, str], float] = defaultdict(float)
    for key, days in capacity.items():
        stream_capacity[(team_stream[key], key[1])] += days
    teams = [
        _load(team_names.get(t, ""), q, capacity.get((t, q), 0.0), demand.get((t, q), 0.0))
        for t, q in sorted(
            set(capacity) | set(demand), key=lambda k: (team_names.get(k[0], ""), k[1])
        )
    ]
    stream_rows = [
        _load(s, q, stream_capacity.get((s, q), 0.0), stream_demand.get((s, q), 0.0))
        for s, q in sorted(set(stream_capacity) | set(stream_demand))
    ]
    quarters = sorted({q for _, q in capacity} | {q for _, q in demand})
    return CapacityView(
        quarters=quarters,
        teams=teams,
        streams=stream_rows,
        over_allocated=sum(1 for r in teams if r.over),
    )


def _safe_cell(text: str) -> str:
    """A cell a spreadsheet will not run as a formula."""
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


def export_capacity_csv(*, session: Session, ctx: TenantContext) -> str:
    """The capacity table with each team's demand: one line per team and quarter."""
    view = {(r.name, r.quarter): r for r in capacity_view(session=session, ctx=ctx).teams}
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(
        ["team", "quarter", "people", "days_per_person", "value_stream", "capacity", "demand"]
    )
    for c in list_capacity(session=session, ctx=ctx):
        load = view.get((c.team_name, c.quarter))
        writer.writerow(
            [
                _safe_cell(c.team_name),
                c.quarter,
                f"{c.people:g}",
                f"{c.days_per_person:g}",
                _safe_cell(c.value_stream),
                f"{c.person_days:g}",
                f"{load.demand:g}" if load else "0",
            ]
        )
    return out.getvalue()
