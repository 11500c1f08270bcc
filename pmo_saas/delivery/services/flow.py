"""Flow metrics and forecasts for one initiative, or a portfolio (optionally one value stream):
throughput, cycle and lead times, WIP and its age, the CFD, flow efficiency and the Monte Carlo
forecast of what remains (pages/delivery.py)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, date, datetime, timedelta
from typing import Any

from sqlalchemy import func
from sqlalchemy import select as sa_select
from sqlmodel import Session, col, select

from pmo_saas.delivery import flow
from pmo_saas.delivery.columns import DONE, STARTED
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


def _done_since(
    initiative_ids: Sequence[int] | None, portfolio_id: int, since: datetime
) -> list[Any]:
    return [*_item_filter(initiative_ids, portfolio_id), col(WorkItem.done_at) >= since]


def compute_flow(
    session: Session,
    *,
    portfolio_id: int,
    initiative_ids: Sequence[int] | None,
    seed: int | None = None,
    runs: int = RUNS,
) -> tuple[Figures, list[WeekPoint], list[CyclePoint], list[CfdPoint], ForecastView]:
    """The figures for the items of `initiative_ids` (None: the whole portfolio), read as
    aggregates and small column reads (each item keeps its cycle, lead, worked and waiting
    days), so a portfolio of 200,000 items is never loaded row by row."""
    now = utcnow()
    since = datetime.combine(
        flow.week_start(now) - timedelta(weeks=flow.WEEKS), datetime.min.time(), tzinfo=UTC
    )
    where = _item_filter(initiative_ids, portfolio_id)
    done_day = func.date(WorkItem.done_at)
    history = flow.weekly_counts(
        (
            (_as_day(day), n)
            for day, n in session.exec(
                select(done_day, func.count())
                .where(*_done_since(initiative_ids, portfolio_id, since))
                .group_by(done_day)
            ).all()
        ),
        now=now,
    )
    done_count, open_count = _done_and_open(session, where)
    times = session.exec(
        select(WorkItem.cycle_days, WorkItem.lead_days).where(
            *_done_since(initiative_ids, portfolio_id, since)
        )
    ).all()
    cycle = [c for c, _l in times if c is not None]
    lead = [lead for _c, lead in times if lead is not None]
    started = session.exec(
        select(WorkItem.started_at).where(
            *where,
            col(WorkItem.done_at).is_(None),
            col(WorkItem.started_at).is_not(None),
            col(WorkItem.status).in_(sorted(STARTED)),
        )
    ).all()
    ages = [(now - as_utc(s)).total_seconds() / flow.DAY for s in started if s is not None]
    active, waiting = session.exec(
        select(func.sum(WorkItem.active_days), func.sum(WorkItem.waiting_days)).where(
            *_done_since(initiative_ids, portfolio_id, since)
        )
    ).one()
    total = (active or 0.0) + (waiting or 0.0)
    figures = Figures(
        done_items=done_count,
        open_items=open_count,
        cycle={str(p): _days_text(v) for p, v in flow.percentiles(cycle).items()},
        lead={str(p): _days_text(v) for p, v in flow.percentiles(lead).items()},
        wip=len(ages),
        wip_age_median=_days_text(flow.percentile(ages, 50)),
        wip_age_oldest=_days_text(max(ages) if ages else None),
        efficiency="-" if total <= 0 else f"{(active or 0.0) / total:.0%}",
    )
    throughput = [WeekPoint(week=w.isoformat(), done=n) for w, n in history]
    recent = session.exec(
        select(WorkItem.done_at, WorkItem.cycle_days, WorkItem.title)
        .where(*where, col(WorkItem.cycle_days).is_not(None))
        .order_by(col(WorkItem.done_at).desc())
        .limit(SCATTER_POINTS)
    ).all()
    points = [
        CyclePoint(done=as_utc(d).date().isoformat(), days=round(c or 0.0, 2), title=t)
        for d, c, t in reversed(recent)
        if d is not None
    ]
    cfd = _cfd(session, initiative_ids, portfolio_id, now)
    forecast = _forecast_view([n for _w, n in history], open_count, seed=seed, runs=runs)
    return figures, throughput, points, cfd, forecast


def _done_and_open(session: Session, where: list[Any]) -> tuple[int, int]:
    done = col(WorkItem.done_at).is_not(None)
    counts = {
        bool(is_done): int(n)
        for is_done, n in session.exec(
            select(done, func.count()).where(*where).group_by(done)
        ).all()
    }
    return counts.get(True, 0), counts.get(False, 0)


def _cfd(
    session: Session, initiative_ids: Sequence[int] | None, portfolio_id: int, now: datetime
) -> list[CfdPoint]:
    """The last CFD_DAYS days, walked back from the items' columns now: the state at the start
    is today's counts less the moves within the days (older moves are never read)."""
    first_day = now.date() - timedelta(days=CFD_DAYS - 1)
    start = datetime.combine(first_day, datetime.min.time(), tzinfo=UTC)
    pair = (col(StatusChange.from_status), col(StatusChange.to_status))
    day = func.date(StatusChange.at)
    within = session.exec(
        select(day, *pair, func.count())
        .where(*_change_filter(initiative_ids, portfolio_id), col(StatusChange.at) >= start)
        .group_by(day, *pair)
    ).all()
    state = dict(
        session.exec(
            select(WorkItem.status, func.count())
            .where(*_item_filter(initiative_ids, portfolio_id))
            .group_by(col(WorkItem.status))
        ).all()
    )
    for _d, source, target, n in within:
        state[target] = state.get(target, 0) - n
        if source is not None:
            state[source] = state.get(source, 0) + n
    before = first_day - timedelta(days=1)
    deltas: list[tuple[date, str | None, str, int]] = [
        (before, None, column, n) for column, n in state.items() if n
    ]
    deltas += [(_as_day(d), f, t, n) for d, f, t, n in within]
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
        select(func.count())
        .select_from(Initiative)
        .where(Initiative.portfolio_id == portfolio_id, col(Initiative.archived_at).is_not(None))
    ).one()
    everything = not value_stream and not archived  # then one indexed filter on portfolio_id
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
