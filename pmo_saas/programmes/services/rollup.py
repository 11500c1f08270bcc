"""Each programme's roll-up (pages/programmes.py, pages/programme.py), from its initiatives:

- status: initiatives per board column, and per RAG of the delivery plan ("not set" when
  the plan has none, or the initiative is not funded);
- funding: the cost of every initiative and of the funded ones (with a delivery plan: its
  planned budget) against the programme's budget;
- risks: open risks (anything not closed) of its initiatives, highest exposure first;
- delivery: funded initiatives per delivery state (delivery's own judgement), and how many
  have an 85% forecast after their planned end;
- capacity: person-days allocated to its initiatives per quarter, against the capacity and
  the whole demand of the teams doing them that quarter (over when demand > capacity).
"""

from __future__ import annotations

import csv
import io
from collections import Counter, defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

from sqlalchemy import func
from sqlmodel import Session, col, select

from pmo_saas.capacity.models import Allocation, TeamCapacity
from pmo_saas.delivery.plan_models import RAGS, InitiativePlan
from pmo_saas.delivery.plan_schemas import PortfolioDeliveryRow
from pmo_saas.delivery.services.plan_views import DELIVERY, delivery_rows
from pmo_saas.kernel.clock import utcnow
from pmo_saas.kernel.context import TenantContext
from pmo_saas.portfolio.fields import STATUSES
from pmo_saas.portfolio.models import Initiative, Portfolio, Risk
from pmo_saas.programmes.models import Programme, ProgrammeInitiative
from pmo_saas.programmes.schemas import (
    Count,
    ProgrammeInitiativeRow,
    ProgrammeRollup,
    QuarterLoad,
    RiskLine,
)
from pmo_saas.programmes.services.programmes import get_programme

TOP_RISKS = 5
NOT_SET = "Not set"


def _money(amount: int, currency: str) -> str:
    return f"{amount:,} {currency}"


@dataclass(frozen=True)
class _Loads:
    """What the teams allocated to any of the programmes' initiatives have, read once: each
    allocation (initiative, team, quarter, days), each team's capacity per quarter and its
    whole demand per quarter."""

    allocations: list[tuple[int, int, str, float]]
    capacity: list[tuple[int, str, float]]
    demand: dict[tuple[int, str], float]


def _loads(session: Session, initiative_ids: Sequence[int]) -> _Loads:
    if not initiative_ids:
        return _Loads([], [], {})
    allocations = [
        (iid, team, quarter, days)
        for iid, team, quarter, days in session.exec(
            select(
                Allocation.initiative_id,
                Allocation.team_id,
                Allocation.quarter,
                Allocation.person_days,
            )
            .where(col(Allocation.initiative_id).in_(list(initiative_ids)))
            .order_by(col(Allocation.id))
        ).all()
    ]
    team_ids = sorted({team for _, team, _, _ in allocations})
    if not team_ids:
        return _Loads([], [], {})
    capacity = [
        (team, quarter, people * per)
        for team, quarter, people, per in session.exec(
            select(
                TeamCapacity.team_id,
                TeamCapacity.quarter,
                TeamCapacity.people,
                TeamCapacity.days_per_person,
            )
            .where(col(TeamCapacity.team_id).in_(team_ids))
            .order_by(col(TeamCapacity.id))
        ).all()
    ]
    demand = {
        (team, quarter): float(days)
        for team, quarter, days in session.exec(
            select(Allocation.team_id, Allocation.quarter, func.sum(Allocation.person_days))
            .where(col(Allocation.team_id).in_(team_ids))
            .group_by(col(Allocation.team_id), col(Allocation.quarter))
        ).all()
    }
    return _Loads(allocations, capacity, demand)


def _capacity(loads: _Loads, initiative_ids: set[int]) -> tuple[float, list[QuarterLoad]]:
    ours: dict[str, float] = defaultdict(float)
    teams: dict[str, set[int]] = defaultdict(set)
    for iid, team, quarter, days in loads.allocations:
        if iid in initiative_ids:
            ours[quarter] += days
            teams[quarter].add(team)
    pairs = {(t, q) for q, ts in teams.items() for t in ts}
    capacity: dict[str, float] = defaultdict(float)
    for team, quarter, days in loads.capacity:
        if (team, quarter) in pairs:
            capacity[quarter] += days
    demand: dict[str, float] = defaultdict(float)
    for (team, quarter), days in loads.demand.items():
        if (team, quarter) in pairs:
            demand[quarter] += days
    quarters = [
        QuarterLoad(
            quarter=q,
            allocated=round(ours[q], 2),
            capacity=round(capacity[q], 2),
            demand=round(demand[q], 2),
            over=demand[q] > capacity[q],
        )
        for q in sorted(ours)
    ]
    return round(sum(ours.values()), 2), quarters


def _open_risks(session: Session, initiatives: dict[int, Initiative]) -> list[tuple[int, RiskLine]]:
    """The open risks (anything not closed) of all the initiatives, each with its initiative."""
    if not initiatives:
        return []
    rows = session.exec(
        select(Risk).where(
            col(Risk.initiative_id).in_(list(initiatives)), col(Risk.status) != "closed"
        )
    ).all()
    return [
        (
            r.initiative_id or 0,
            RiskLine(
                id=r.id or 0,
                title=r.title,
                initiative_title=initiatives[r.initiative_id or 0].title,
                exposure=r.probability * r.impact,
                status=r.status,
            ),
        )
        for r in rows
    ]


def _counts(found: Counter[str], labels: dict[str, str]) -> list[Count]:
    return [Count(key=k, label=v, count=found[k]) for k, v in labels.items() if found[k]]


def _late_by_forecast(row: PortfolioDeliveryRow) -> bool:
    return bool(row.forecast_85 and row.planned_end and row.forecast_85 > row.planned_end)


@dataclass(frozen=True)
class _Batch:
    """Everything the roll-ups read, for all the programmes at once (a fixed number of
    statements however many programmes and initiatives there are)."""

    members: dict[int, list[int]]  # programme -> its initiatives (active), by title
    initiatives: dict[int, Initiative]
    plans: dict[int, InitiativePlan]
    delivery: dict[int, PortfolioDeliveryRow]
    risks: list[tuple[int, RiskLine]]  # (initiative, its open risk)
    loads: _Loads


def _batch(
    session: Session, programmes: Sequence[Programme], portfolio_ids: set[int], on: date | None
) -> _Batch:
    if not programmes:
        return _Batch({}, {}, {}, {}, [], _Loads([], [], {}))
    programme_of = dict(
        session.exec(
            select(ProgrammeInitiative.initiative_id, ProgrammeInitiative.programme_id).where(
                col(ProgrammeInitiative.programme_id).in_([p.id for p in programmes])
            )
        ).all()
    )
    initiatives = (
        {
            i.id or 0: i
            for i in session.exec(
                select(Initiative)
                .where(
                    col(Initiative.id).in_(list(programme_of)),
                    col(Initiative.archived_at).is_(None),
                )
                .order_by(col(Initiative.title))
            ).all()
        }
        if programme_of
        else {}
    )
    members: dict[int, list[int]] = defaultdict(list)
    for iid in initiatives:
        members[programme_of[iid]].append(iid)
    plans = (
        {
            p.initiative_id: p
            for p in session.exec(
                select(InitiativePlan).where(
                    col(InitiativePlan.initiative_id).in_(list(initiatives))
                )
            ).all()
        }
        if initiatives
        else {}
    )
    # Delivery judges the plans kept in the programmes' portfolios, as its portfolio table does.
    judged = [p for p in plans.values() if p.portfolio_id in portfolio_ids]
    delivery = {r.initiative_id: r for r in delivery_rows(session, judged, on or utcnow().date())}
    risks, loads = _open_risks(session, initiatives), _loads(session, list(initiatives))
    return _Batch(members, initiatives, plans, delivery, risks, loads)


def _rollup(programme: Programme, portfolio: Portfolio, batch: _Batch) -> ProgrammeRollup:
    ids = batch.members.get(programme.id or 0, [])
    initiatives = {iid: batch.initiatives[iid] for iid in ids}
    plans = {iid: batch.plans[iid] for iid in ids if iid in batch.plans}
    delivery_by_id = batch.delivery
    risks = sorted(
        (line for iid, line in batch.risks if iid in initiatives),
        key=lambda r: (-r.exposure, r.title.lower()),
    )
    allocated, quarters = _capacity(batch.loads, set(initiatives))
    lines = []
    for iid, i in initiatives.items():
        plan, row = plans.get(iid), delivery_by_id.get(iid)
        lines.append(
            ProgrammeInitiativeRow(
                initiative_id=iid,
                title=i.title,
                status=i.status,
                status_label=STATUSES.get(i.status, i.status),
                cost=i.cost,
                funded=plan is not None,
                rag=plan.rag if plan else "",
                delivery=row.delivery if row else "not_planned",
                delivery_label=row.delivery_label if row else DELIVERY["not_planned"],
                planned_end=row.planned_end if row else "",
                forecast_85=row.forecast_85 if row else "",
            )
        )
    funded_cost = sum((p.planned_budget or initiatives[iid].cost or 0) for iid, p in plans.items())
    total_cost = sum(i.cost or 0 for i in initiatives.values())
    over_budget = programme.budget is not None and funded_cost > programme.budget
    currency = portfolio.currency
    budget_text = (
        _money(programme.budget, currency) if programme.budget is not None else "no budget"
    )
    funded_rows = [delivery_by_id[i] for i in plans if i in delivery_by_id]
    forecast_late = sum(1 for r in funded_rows if _late_by_forecast(r))
    over_quarters = sum(1 for q in quarters if q.over)
    return ProgrammeRollup(
        id=programme.id or 0,
        name=programme.name,
        description=programme.description,
        owner=programme.owner,
        portfolio_id=portfolio.id or 0,
        portfolio_name=portfolio.name,
        currency=currency,
        initiatives=len(initiatives),
        columns=_counts(Counter(i.status for i in initiatives.values()), STATUSES),
        rags=_counts(
            Counter(plans[i].rag if i in plans and plans[i].rag else "" for i in initiatives),
            {**RAGS, "": NOT_SET},
        ),
        budget=programme.budget,
        total_cost=total_cost,
        funded=len(plans),
        funded_cost=funded_cost,
        over_budget=over_budget,
        funding_label=f"{_money(funded_cost, currency)} funded of {budget_text}"
        + (" (over budget)" if over_budget else ""),
        open_risks=len(risks),
        top_exposure=risks[0].exposure if risks else 0,
        risks=risks[:TOP_RISKS],
        delivery=_counts(Counter(r.delivery for r in funded_rows), DELIVERY),
        forecast_late=forecast_late,
        delivery_label=f"{forecast_late} of {len(funded_rows)} funded initiatives forecast "
        "(85%) after their planned end",
        allocated=allocated,
        quarters=quarters,
        over_quarters=over_quarters,
        capacity_label=f"{allocated:g} person-days allocated; {over_quarters} of "
        f"{len(quarters)} quarters over the teams' capacity",
        lines=lines,
    )


def _portfolios(session: Session, ids: set[int]) -> dict[int, Portfolio]:
    if not ids:
        return {}
    return {
        p.id or 0: p
        for p in session.exec(select(Portfolio).where(col(Portfolio.id).in_(ids))).all()
    }


def list_rollups(
    *, session: Session, ctx: TenantContext, on: date | None = None
) -> list[ProgrammeRollup]:
    """Every programme's roll-up, by name (everyone in the organisation reads it)."""
    programmes = session.exec(select(Programme).order_by(col(Programme.name))).all()
    portfolios = _portfolios(session, {pr.portfolio_id for pr in programmes})
    batch = _batch(session, programmes, set(portfolios), on)
    return [_rollup(pr, portfolios[pr.portfolio_id], batch) for pr in programmes]


def programme_rollup(
    *, session: Session, ctx: TenantContext, programme_id: int, on: date | None = None
) -> ProgrammeRollup:
    programme = get_programme(session, programme_id)
    portfolio = session.get(Portfolio, programme.portfolio_id)
    assert portfolio is not None
    batch = _batch(session, [programme], {programme.portfolio_id}, on)
    return _rollup(programme, portfolio, batch)


def _safe(text: str) -> str:
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


def export_programmes_csv(*, session: Session, ctx: TenantContext) -> str:
    """One line per programme: status, funding, risks, delivery and capacity."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(
        [
            "programme", "portfolio", "initiatives", "columns", "rag", "budget", "total_cost",
            "funded", "funded_cost", "over_budget", "open_risks", "top_exposure", "delivery",
            "forecast_late", "allocated_person_days", "over_quarters",
        ]
    )  # fmt: skip
    for r in list_rollups(session=session, ctx=ctx):
        writer.writerow(
            [
                _safe(r.name),
                _safe(r.portfolio_name),
                r.initiatives,
                "; ".join(f"{c.label} {c.count}" for c in r.columns),
                "; ".join(f"{c.label} {c.count}" for c in r.rags),
                "" if r.budget is None else r.budget,
                r.total_cost,
                r.funded,
                r.funded_cost,
                "yes" if r.over_budget else "no",
                r.open_risks,
                r.top_exposure,
                "; ".join(f"{c.label} {c.count}" for c in r.delivery),
                r.forecast_late,
                f"{r.allocated:g}",
                r.over_quarters,
            ]
        )
    return out.getvalue()
