"""The dashboard: every tile for one organisation, CSV of its tables, the monthly report.

Everyone in the organisation reads the dashboard (viewers too): it holds aggregates only.
"""

from __future__ import annotations

import csv
import io
from typing import Any

from sqlmodel import Session, select

from pmo_saas.dashboard import tiles
from pmo_saas.dashboard.schemas import Dashboard
from pmo_saas.identity.models import Organization
from pmo_saas.kernel.clock import utcnow
from pmo_saas.kernel.context import TenantContext
from pmo_saas.kernel.errors import NotFound

CSV_TABLES = (
    "statuses",
    "risks",
    "maturity",
    "response_rates",
    "summary",
    "delivery",
    "pmo_feedback",
)


def build_dashboard(*, session: Session, ctx: TenantContext, links: bool = True) -> Dashboard:
    """All tiles; `links=False` (share links) leaves out the links into the workspace."""
    org_name = session.exec(select(Organization.name).where(Organization.id == ctx.org_id)).one()
    values: dict[str, Any] = {}
    for name, tile in tiles.TILES.items():
        value = tile(session, ctx)
        if links and ctx.org_slug:
            value.href = f"/o/{ctx.org_slug}{tiles.SOURCES[name]}"
        values[name] = value
    return Dashboard(
        org_name=org_name, generated_at=utcnow().strftime("%Y-%m-%d %H:%M UTC"), **values
    )


def _rows(dashboard: Dashboard, table: str) -> list[list[Any]]:
    if table == "statuses":
        return [["status", "initiatives"]] + [[r.label, r.count] for r in dashboard.statuses.rows]
    if table == "risks":
        return [["risk", "initiative", "exposure", "probability", "impact", "status", "owner"]] + [
            [r.title, r.initiative, r.exposure, r.probability, r.impact, r.status, r.owner]
            for r in dashboard.risks.rows
        ]
    if table == "maturity":
        dims = dashboard.maturity.dimensions
        return [["round", *dims]] + [
            [p.label, *[p.values.get(d, "") for d in dims]] for p in dashboard.maturity.points
        ]
    if table == "response_rates":
        return [["survey", "invited", "answered", "response rate %"]] + [
            [r.survey, r.invited, r.answered, r.rate] for r in dashboard.response_rates.rows
        ]
    if table == "pmo_feedback":
        tile = dashboard.pmo_feedback
        keys = [k for k, _ in tile.questions]
        return [["round", "responses", "PMO service score", *[lb for _, lb in tile.questions]]] + [
            [r["round"], r["responses"], r["score"], *[r.get(k, "") for k in keys]]
            for r in tile.table
        ]
    if table == "delivery":
        t = dashboard.delivery
        return [
            ["figure", "value"],
            ["funded initiatives", t.planned],
            ["on track", t.on_track],
            ["at risk", t.at_risk],
            ["late", t.late],
            ["done", t.done],
            ["budget", t.budget],
            ["spent", t.spent],
            ["spent % of budget", t.spend_percent],
            ["forecast after the planned end", t.forecast_after_plan],
            ["spend beyond released funding", t.over_released],
        ]
    if table == "summary":
        d = dashboard
        rows: list[list[Any]] = [
            ["figure", "value"],
            ["budget", d.funding.budget],
            ["funded cost", d.funding.funded_cost],
            ["funded value", d.funding.funded_value],
            ["budget used %", d.funding.budget_used_percent],
            ["initiatives", d.statuses.total],
            ["open risks", d.risks.open_risks],
            ["teams assessed", d.teams_assessed.assessed],
            ["teams", d.teams_assessed.teams],
            ["active coaching plans", d.plans.active],
            ["plans on track", d.plans.on_track],
            ["plans overdue", d.plans.overdue],
            ["people trained %", d.training.percent],
        ]
        for f in d.culture.figures:
            rows.append([f.label, "" if f.value is None else f.value])
        return rows
    raise NotFound("That table")


def dashboard_csv(dashboard: Dashboard, table: str) -> str:
    """One of the dashboard's tables as CSV (the figures shown on screen, nothing more)."""
    out = io.StringIO()
    writer = csv.writer(out)
    for row in _rows(dashboard, table):
        writer.writerow(["'" + c if isinstance(c, str) and c[:1] in "=+-@" else c for c in row])
    return out.getvalue()


def export_dashboard_csv(*, session: Session, ctx: TenantContext, table: str) -> str:
    if table not in CSV_TABLES:
        raise NotFound("That table")
    return dashboard_csv(build_dashboard(session=session, ctx=ctx), table)


def month_label() -> str:
    return utcnow().strftime("%B %Y")
