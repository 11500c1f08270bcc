"""Flow metrics and forecasts for one initiative, or a portfolio (optionally one value stream):
throughput, cycle and lead times, WIP and its age, the CFD, flow efficiency and the Monte Carlo
forecast of what remains (pages/delivery.py)."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import func
from sqlalchemy import select as sa_select
from sqlmodel import Session, col, select

from pmo_saas.delivery import flow
from pmo_saas.delivery.columns import DONE
from pmo_saas.delivery.forecast import RUNS
from pmo_saas.delivery.forecast import forecast as simulate
from pmo_saas.delivery.models import StatusChange, WorkItem
from pmo_saas.delivery.schemas import (
    CfdPoint,
    CyclePoint,
    Figures,
    FlowView,
    ForecastView,
    InitiativeDelivery,
    WeekPoint,
)
from pmo_saas.delivery.services._common import initiative_in_org, portfolio_in_org
from pmo_saas.kernel.clock import as_utc, utcnow
from pmo_saas.kernel.context import TenantContext
from pmo_saas.portfolio.models import Initiative

CFD_DAYS = 90
SCATTER_POINTS = 500


def _days_text(value: float | None) -> str:
    return "-" if value is None else f"{value:.1f} days"


def _long_date(day: date) -> str:
    return f"{day.day} {day:%B %Y}"


def _forecast_view(
    history: list[int], remaining: int, *, seed: int | None, runs: int
) -> ForecastView:
    result = simulate(history, remaining, start=utcnow().date(), runs=runs, seed=seed)
    dates = {str(p): d.isoformat() if d else "" for p, d in result.dates.items()}
    if result.enough and remaining:
        parts = [
            f"{p}% by {_long_date(d) if d else 'beyond ten years'}"
            for p, d in result.dates.items()
            if p in (50, 85)
        ]
        sentence = f"The remaining {remaining} items: {', '.join(parts)}."
    else:
        sentence = result.message
    return ForecastView(
        remaining=remaining,
        enough=result.enough,
        message=result.message,
        dates=dates,
        history=history,
        sentence=sentence,
    )


def _item_filter(initiative_ids: Sequence[int] | None, portfolio_id: int) -> list[Any]:
    if initiative_ids is None:
        return [WorkItem.portfolio_id == portfolio_id]
    return [col(WorkItem.initiative_id).in_(list(initiative_ids))]


def _change_filter(initiative_ids: Sequence[int] | None, portfolio_id: int) -> list[Any]:
    where = [col(StatusChange.work_item_id).is_not(None)]
    if initiative_ids is None:
        return [*where, StatusChange.portfolio_id == portfolio_id]
    return [*where, col(StatusChange.initiative_id).in_(list(initiative_ids))]


def _as_day(value: object) -> date:
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    return date.fromisoformat(str(value)[:10])


def compute_flow(
    session: Session,
    *,
    portfolio_id: int,
    initiative_ids: Sequence[int] | None,
    seed: int | None = None,
    runs: int = RUNS,
) -> tuple[Figures, list[WeekPoint], list[CyclePoint], list[CfdPoint], ForecastView]:
    """The figures for the items of `initiative_ids` (None: the whole portfolio)."""
    now = utcnow()
    rows = session.execute(  # five columns: beyond sqlmodel's typed select
        sa_select(
            col(WorkItem.status),
            col(WorkItem.created_at),
            col(WorkItem.started_at),
            col(WorkItem.done_at),
            col(WorkItem.title),
        ).where(*_item_filter(initiative_ids, portfolio_id))
    ).all()
    items = [
        flow.ItemTimes(s, as_utc(c), st and as_utc(st), d and as_utc(d)) for s, c, st, d, _ in rows
    ]
    done = [i for i in items if i.done_at is not None]
    history = flow.weekly_throughput((i.done_at for i in done if i.done_at), now=now)
    cycle = flow.cycle_times(done)
    lead = flow.lead_times(done)
    ages = flow.wip_ages(items, now=now)
    efficiency = flow.flow_efficiency(
        _recent_moves(
            session, portfolio_id, initiative_ids, since=now - timedelta(weeks=flow.WEEKS)
        )
    )
    figures = Figures(
        done_items=len(done),
        open_items=len(items) - len(done),
        cycle={str(p): _days_text(v) for p, v in flow.percentiles(cycle).items()},
        lead={str(p): _days_text(v) for p, v in flow.percentiles(lead).items()},
        wip=len(ages),
        wip_age_median=_days_text(flow.percentile(ages, 50)),
        wip_age_oldest=_days_text(max(ages) if ages else None),
        efficiency="-" if efficiency is None else f"{efficiency:.0%}",
    )
    throughput = [WeekPoint(week=w.isoformat(), done=n) for w, n in history]
    recent = sorted(
        ((d, st, t) for _s, _c, st, d, t in rows if d is not None and st is not None),
        key=lambda r: r[0],
    )[-SCATTER_POINTS:]
    points = [
        CyclePoint(
            done=as_utc(d).date().isoformat(),
            days=round((as_utc(d) - as_utc(st)).total_seconds() / flow.DAY, 2),
            title=t,
        )
        for d, st, t in recent
    ]
    deltas = session.exec(
        select(
            func.date(StatusChange.at),
            StatusChange.from_status,
            StatusChange.to_status,
            func.count(),
        )
        .where(*_change_filter(initiative_ids, portfolio_id))
        .group_by(
            func.date(StatusChange.at), col(StatusChange.from_status), col(StatusChange.to_status)
        )
    ).all()
    cfd = [
        CfdPoint(
            day=d.day.isoformat(),
            **{k: d.counts.get(k, 0) for k in CfdPoint.model_fields if k != "day"},
        )
        for d in flow.cumulative_flow(
            ((_as_day(day), f, t, n) for day, f, t, n in deltas), until=now.date(), days=CFD_DAYS
        )
    ]
    remaining = figures.open_items
    forecast = _forecast_view([n for _w, n in history], remaining, seed=seed, runs=runs)
    return figures, throughput, points, cfd, forecast


def _recent_moves(
    session: Session, portfolio_id: int, initiative_ids: Sequence[int] | None, *, since: datetime
) -> list[list[tuple[str, datetime]]]:
    """Each item done since `since`: its moves (column, when) in time order."""
    done_ids = (
        select(WorkItem.id)
        .where(*_item_filter(initiative_ids, portfolio_id), col(WorkItem.done_at) >= since)
        .scalar_subquery()
    )
    moves = session.exec(
        select(StatusChange.work_item_id, StatusChange.to_status, StatusChange.at)
        .where(col(StatusChange.work_item_id).in_(done_ids))
        .order_by(col(StatusChange.work_item_id), col(StatusChange.at), col(StatusChange.id))
    ).all()
    by_item: dict[int, list[tuple[str, datetime]]] = defaultdict(list)
    for item_id, status, at in moves:
        by_item[item_id or 0].append((status, as_utc(at)))
    return list(by_item.values())


def initiative_flow(
    *,
    session: Session,
    ctx: TenantContext,
    initiative_id: int,
    seed: int | None = None,
    runs: int = RUNS,
) -> FlowView:
    initiative = initiative_in_org(session, initiative_id)
    figures, throughput, points, cfd, forecast = compute_flow(
        session,
        portfolio_id=initiative.portfolio_id,
        initiative_ids=[initiative_id],
        seed=seed,
        runs=runs,
    )
    return FlowView(
        scope=initiative.title,
        planned_end=initiative.end_date.isoformat() if initiative.end_date else "",
        figures=figures,
        throughput=throughput,
        cycle_points=points,
        cfd=cfd,
        forecast=forecast,
    )


def portfolio_flow(
    *,
    session: Session,
    ctx: TenantContext,
    portfolio_id: int,
    value_stream: str = "",
    seed: int | None = None,
    runs: int = RUNS,
) -> FlowView:
    """The portfolio's live initiatives (or one value stream's) together."""
    portfolio = portfolio_in_org(session, portfolio_id)
    live = session.execute(
        sa_select(
            col(Initiative.id),
            col(Initiative.value_stream),
            col(Initiative.end_date),
            col(Initiative.title),
            col(Initiative.status),
        )
        .where(col(Initiative.portfolio_id) == portfolio_id, col(Initiative.archived_at).is_(None))
        .order_by(col(Initiative.title))
    ).all()
    streams = sorted({r[1] for r in live if r[1]})
    chosen = [r for r in live if not value_stream or r[1] == value_stream]
    ids = [r[0] for r in chosen if r[0] is not None]
    everything = not value_stream and len(ids) == len(live)
    figures, throughput, points, cfd, forecast = compute_flow(
        session,
        portfolio_id=portfolio_id,
        initiative_ids=None if everything else ids,
        seed=seed,
        runs=runs,
    )
    ends = [r[2] for r in chosen if r[2] is not None]
    counts = _counts_by_initiative(session, portfolio_id)
    return FlowView(
        scope=portfolio.name + (f" · {value_stream}" if value_stream else ""),
        planned_end=max(ends).isoformat() if ends else "",
        figures=figures,
        throughput=throughput,
        cycle_points=points,
        cfd=cfd,
        forecast=forecast,
        value_streams=streams,
        initiatives=[
            InitiativeDelivery(
                id=i or 0,
                title=title,
                status=status,
                done_items=counts.get((i, True), 0),
                open_items=counts.get((i, False), 0),
                planned_end=end.isoformat() if end else "",
            )
            for i, _s, end, title, status in chosen
        ],
    )


def _counts_by_initiative(session: Session, portfolio_id: int) -> dict[tuple[int, bool], int]:
    """(initiative id, done?) -> work items, in one grouped read."""
    done = col(WorkItem.done_at).is_not(None)
    rows = session.exec(
        select(WorkItem.initiative_id, done, func.count())
        .where(WorkItem.portfolio_id == portfolio_id)
        .group_by(col(WorkItem.initiative_id), done)
    ).all()
    return {(i, bool(d)): n for i, d, n in rows}


__all__ = ["DONE", "compute_flow", "initiative_flow", "portfolio_flow"]
