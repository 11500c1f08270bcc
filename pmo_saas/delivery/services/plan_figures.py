"""The figures planned-vs-actual reads for many initiatives at once, a fixed number of
queries however many are funded: spend, tranches, the agile forecast (throughput history
and open items grouped by initiative, then the Monte Carlo per initiative in Python) and
the earned value of traditional projects."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from datetime import UTC, date, datetime, timedelta
from typing import Any

from sqlalchemy import func
from sqlmodel import Session, col, select

from pmo_saas.delivery import flow
from pmo_saas.delivery.columns import DONE
from pmo_saas.delivery.earned_value import EarnedValue, earned_value
from pmo_saas.delivery.models import WorkItem
from pmo_saas.delivery.plan_models import (
    AGILE,
    TRADITIONAL,
    FundingTranche,
    InitiativePlan,
    SpendEntry,
)
from pmo_saas.delivery.schemas import ForecastView
from pmo_saas.delivery.services.flow import _as_day, _forecast_view
from pmo_saas.kernel.clock import utcnow

FORECAST_RUNS = 2000
FORECAST_SEED = 17


def spend_by_initiative(
    session: Session, ids: Sequence[int], *, until: date | None = None
) -> dict[int, int]:
    if not ids:
        return {}
    where: list[Any] = [col(SpendEntry.initiative_id).in_(list(ids))]
    if until is not None:
        where.append(col(SpendEntry.month) <= until)
    rows = session.exec(
        select(SpendEntry.initiative_id, func.sum(SpendEntry.amount))
        .where(*where)
        .group_by(col(SpendEntry.initiative_id))
    ).all()
    return {i: int(total or 0) for i, total in rows}


def tranches_by_initiative(session: Session, ids: Sequence[int]) -> dict[int, list[FundingTranche]]:
    out: dict[int, list[FundingTranche]] = defaultdict(list)
    if ids:
        for t in session.exec(
            select(FundingTranche)
            .where(col(FundingTranche.initiative_id).in_(list(ids)))
            .order_by(col(FundingTranche.initiative_id), col(FundingTranche.position))
        ).all():
            out[t.initiative_id].append(t)
    return out


def forecasts(session: Session, plans: Sequence[InitiativePlan]) -> dict[int, ForecastView]:
    """The Monte Carlo forecast of each open agile initiative (fixed seed: stable figures)."""
    ids = [p.initiative_id for p in plans if p.approach == AGILE and p.actual_end is None]
    if not ids:
        return {}
    now = utcnow()
    since = datetime.combine(
        flow.week_start(now) - timedelta(weeks=flow.WEEKS), datetime.min.time(), tzinfo=UTC
    )
    done_day = func.date(WorkItem.done_at)
    days: dict[int, list[tuple[date, int]]] = defaultdict(list)
    for iid, day, n in session.exec(
        select(WorkItem.initiative_id, done_day, func.count())
        .where(
            col(WorkItem.initiative_id).in_(ids),
            col(WorkItem.removed_at).is_(None),
            col(WorkItem.done_at) >= since,
        )
        .group_by(col(WorkItem.initiative_id), done_day)
    ).all():
        days[iid].append((_as_day(day), int(n)))
    open_counts = dict(
        session.exec(
            select(WorkItem.initiative_id, func.count())
            .where(
                col(WorkItem.initiative_id).in_(ids),
                col(WorkItem.removed_at).is_(None),
                col(WorkItem.done_at).is_(None),
            )
            .group_by(col(WorkItem.initiative_id))
        ).all()
    )
    out = {}
    for iid in ids:
        history = [n for _w, n in flow.weekly_counts(days.get(iid, []), now=now)]
        out[iid] = _forecast_view(
            history, int(open_counts.get(iid, 0)), seed=FORECAST_SEED, runs=FORECAST_RUNS
        )
    return out


def earned_values(
    session: Session, plans: Sequence[InitiativePlan], on: date
) -> dict[int, EarnedValue]:
    """EV of each traditional project with a baseline, on the day `on`."""
    based = [
        p
        for p in plans
        if p.approach == TRADITIONAL
        and p.baseline_scope is not None
        and p.baseline_start is not None
        and p.baseline_end is not None
        and p.baseline_budget is not None
    ]
    if not based:
        return {}
    ids = [p.initiative_id for p in based]
    done = dict(
        session.exec(
            select(WorkItem.initiative_id, func.sum(func.coalesce(WorkItem.estimate, 1.0)))
            .where(
                col(WorkItem.initiative_id).in_(ids),
                col(WorkItem.removed_at).is_(None),
                col(WorkItem.status) == DONE,
                # Done by the end of the day `on` (a time bound: the same SQL everywhere).
                col(WorkItem.done_at)
                < datetime.combine(on + timedelta(days=1), datetime.min.time(), tzinfo=UTC),
            )
            .group_by(col(WorkItem.initiative_id))
        ).all()
    )
    cost = spend_by_initiative(session, ids, until=on)
    out = {}
    for p in based:
        assert p.baseline_start and p.baseline_end and p.baseline_budget is not None
        out[p.initiative_id] = earned_value(
            bac=p.baseline_budget,
            start=p.baseline_start,
            end=p.baseline_end,
            scope=p.baseline_scope or 0.0,
            done=float(done.get(p.initiative_id) or 0.0),
            actual_cost=cost.get(p.initiative_id, 0),
            on=on,
        )
    return out
