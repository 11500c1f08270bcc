"""Flow metrics and forecasts for one initiative, or a portfolio (optionally one value stream):
throughput, cycle and lead times, WIP and its age, the CFD, flow efficiency and the Monte Carlo
forecast of what remains (pages/delivery.py)."""

from __future__ import annotations

import math
from collections.abc import Sequence
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import func
from sqlalchemy import select as sa_select
from sqlmodel import Session, col, select

from pmo_saas.delivery import flow
from pmo_saas.delivery.columns import DONE, STARTED
from pmo_saas.delivery.flow import CFD_DAYS
from pmo_saas.delivery.forecast import RUNS
from pmo_saas.delivery.forecast import forecast as simulate
from pmo_saas.delivery.models import WorkItem
from pmo_saas.delivery.schemas import (
    CfdPoint,
    CyclePoint,
    Figures,
    FlowView,
    ForecastView,
    InitiativeDelivery,
    WeekPoint,
)
from pmo_saas.delivery.services import flow_sums as sums
from pmo_saas.delivery.services._common import initiative_in_org, portfolio_in_org
from pmo_saas.kernel.clock import as_utc, utcnow
from pmo_saas.kernel.context import TenantContext
from pmo_saas.portfolio.models import Initiative

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


def _as_day(value: object) -> date:
    return sums.as_day(value)


def _item_filter(
    portfolio_id: int, only: Sequence[int] | None, leave_out: Sequence[int]
) -> list[Any]:
    where: list[Any] = [col(WorkItem.removed_at).is_(None)]
    if only is not None:
        return [*where, col(WorkItem.initiative_id).in_(list(only))]
    where.append(WorkItem.portfolio_id == portfolio_id)
    if leave_out:
        where.append(col(WorkItem.initiative_id).not_in(list(leave_out)))
    return where


def compute_flow(
    session: Session,
    *,
    portfolio_id: int,
    initiative_ids: Sequence[int] | None,
    leave_out: Sequence[int] = (),
    seed: int | None = None,
    runs: int = RUNS,
) -> tuple[Figures, list[WeekPoint], list[CyclePoint], list[CfdPoint], ForecastView]:
    """The figures for the live items of `initiative_ids`, or (None) of the whole portfolio
    less the initiatives `leave_out`. The whole portfolio reads its roll-up (less what the
    left-out initiatives' history adds to it); some initiatives read their own history."""
    now = utcnow()
    if initiative_ids is None:
        totals = sums.rolled_up(session, portfolio_id, now)
        if leave_out:
            totals.subtract(sums.from_history(session, leave_out, now))
    else:
        totals = sums.from_history(session, initiative_ids, now)
    totals.columns = sums.columns_now(
        session, portfolio_id, only=initiative_ids, leave_out=leave_out
    )
    where = _item_filter(portfolio_id, initiative_ids, leave_out)
    history = sums.weekly_history(session, totals.weeks.items(), where, now)
    done_count = totals.columns.get(DONE, 0)
    open_count = sum(totals.columns.values()) - done_count
    wip, youngest_half, oldest = _wip(session, where)
    cycle = {str(p): flow.counted_percentile(totals.cycle, p) for p in flow.PERCENTILES}
    lead = {str(p): flow.counted_percentile(totals.lead, p) for p in flow.PERCENTILES}
    figures = Figures(
        done_items=done_count,
        open_items=open_count,
        cycle={p: _days_text(None if v is None else v / 10) for p, v in cycle.items()},
        lead={p: _days_text(None if v is None else v / 10) for p, v in lead.items()},
        wip=wip,
        wip_age_median=_days_text(_age(now, youngest_half)),
        wip_age_oldest=_days_text(_age(now, oldest)),
        efficiency=flow.efficiency(totals.active, totals.waiting),
    )
    throughput = [WeekPoint(week=w.isoformat(), done=n) for w, n in history]
    recent = session.exec(
        select(WorkItem.done_at, WorkItem.cycle_days, WorkItem.title)
        .where(*where, col(WorkItem.done_at).is_not(None), col(WorkItem.cycle_days).is_not(None))
        .order_by(col(WorkItem.done_at).desc())
        .limit(SCATTER_POINTS)
    ).all()
    points = [
        CyclePoint(done=as_utc(d).date().isoformat(), days=round(c or 0.0, 2), title=t)
        for d, c, t in reversed(recent)
        if d is not None
    ]
    cfd = _cfd(totals, now)
    forecast = _forecast_view([n for _w, n in history], open_count, seed=seed, runs=runs)
    return figures, throughput, points, cfd, forecast


def _age(now: datetime, started: datetime | None) -> float | None:
    return None if started is None else (now - as_utc(started)).total_seconds() / flow.DAY


def _wip(session: Session, where: list[Any]) -> tuple[int, datetime | None, datetime | None]:
    """(items in progress, the start giving their median age, the oldest start), from the
    index: the nearest-rank median age is the start ranked ceil(n/2) from the newest."""
    in_progress = [
        *where,
        col(WorkItem.status).in_(sorted(STARTED - {DONE})),
        col(WorkItem.started_at).is_not(None),
    ]
    n, oldest = session.exec(
        select(func.count(), func.min(WorkItem.started_at)).where(*in_progress)
    ).one()
    if not n:
        return 0, None, None
    rank = max(1, math.ceil(n / 2))
    median = session.exec(
        select(WorkItem.started_at)
        .where(*in_progress)
        .order_by(col(WorkItem.started_at).desc())
        .offset(rank - 1)
        .limit(1)
    ).first()
    return int(n), median, oldest


def _cfd(totals: sums.FlowSums, now: datetime) -> list[CfdPoint]:
    """The last CFD_DAYS days, walked back from the items' columns now: the state at the start
    is today's counts less the moves within the days (older moves are never read)."""
    first_day = now.date() - timedelta(days=CFD_DAYS - 1)
    state = dict(totals.columns)
    within = [(d, f, t, n) for (d, f, t), n in totals.moves.items() if n and d >= first_day]
    for _d, source, target, n in within:
        state[target] = state.get(target, 0) - n
        if source is not None:
            state[source] = state.get(source, 0) + n
    before = first_day - timedelta(days=1)
    deltas: list[tuple[date, str | None, str, int]] = [
        (before, None, column, n) for column, n in state.items() if n
    ]
    deltas += within
    return [
        CfdPoint(
            day=d.day.isoformat(),
            **{k: d.counts.get(k, 0) for k in CfdPoint.model_fields if k != "day"},
        )
        for d in flow.cumulative_flow(deltas, until=now.date(), days=CFD_DAYS)
    ]


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
    archived = session.exec(
        select(Initiative.id).where(
            Initiative.portfolio_id == portfolio_id, col(Initiative.archived_at).is_not(None)
        )
    ).all()
    # The whole portfolio reads its roll-up, less the (few) archived initiatives' history.
    figures, throughput, points, cfd, forecast = compute_flow(
        session,
        portfolio_id=portfolio_id,
        initiative_ids=ids if value_stream else None,
        leave_out=[i for i in archived if i is not None],
        seed=seed,
        runs=runs,
    )
    ends = [r[2] for r in chosen if r[2] is not None]
    counts = sums.counts_by_initiative(session, portfolio_id)
    return FlowView(
        scope=portfolio.name + (f" · {value_stream}" if value_stream else ""),
        planned_end=max(ends).isoformat() if ends else "",
        figures=figures,
        throughput=throughput,
        cycle_points=points,
        cfd=cfd,
        forecast=forecast,
        value_streams=streams,
        # Built from typed rows: not validated again (2,000 rows are a tenth of the budget).
        initiatives=[
            InitiativeDelivery.model_construct(
                id=i or 0,
                title=title,
                status=status,
                done_items=counts.get(i or 0, (0, 0))[0],
                open_items=counts.get(i or 0, (0, 0))[1],
                planned_end=end.isoformat() if end else "",
            )
            for i, _s, end, title, status in chosen
        ],
    )


__all__ = ["DONE", "compute_flow", "initiative_flow", "portfolio_flow"]
