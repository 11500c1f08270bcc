"""Capacity as CSV beside the capacity table's own (view.export_capacity_csv): allocations,
and demand vs capacity per team and per value stream with over-allocation flagged."""

from __future__ import annotations

import csv
import io

from sqlmodel import Session

from pmo_saas.capacity.services.allocations import list_allocations
from pmo_saas.capacity.services.view import _safe_cell, capacity_view
from pmo_saas.kernel.context import TenantContext


def export_allocations_csv(*, session: Session, ctx: TenantContext) -> str:
    """One line per allocation: initiative, its value stream, team, quarter, person-days."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["initiative", "value_stream", "team", "quarter", "person_days"])
    for a in list_allocations(session=session, ctx=ctx):
        writer.writerow(
            [
                _safe_cell(a.initiative_title),
                _safe_cell(a.value_stream),
                _safe_cell(a.team_name),
                a.quarter,
                f"{a.person_days:g}",
            ]
        )
    return out.getvalue()


def export_load_csv(*, session: Session, ctx: TenantContext) -> str:
    """Demand vs capacity: the teams' lines, then the value streams' (`kind` says which)."""
    view = capacity_view(session=session, ctx=ctx)
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(
        ["kind", "name", "quarter", "capacity", "demand", "free", "load_percent", "over"]
    )
    for kind, rows in (("team", view.teams), ("value stream", view.streams)):
        for r in rows:
            writer.writerow(
                [
                    kind,
                    _safe_cell(r.name),
                    r.quarter,
                    f"{r.capacity:g}",
                    f"{r.demand:g}",
                    f"{r.free:g}",
                    "" if r.load_percent is None else r.load_percent,
                    "yes" if r.over else "no",
                ]
            )
    return out.getvalue()
