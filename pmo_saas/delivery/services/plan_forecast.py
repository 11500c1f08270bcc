"""The Monte Carlo forecast of a whole published plan: when will what it funded be done?

The plan's open agile initiatives (adopted from it, no actual end yet) are forecast together:
their live remaining items against their summed weekly throughput (the teams' own history,
the same window and definition as the flow view), 10,000 runs by default. Pooling assumes
the plan's teams finish its items between them; each initiative's own forecast stays on its
plan page.
"""

from __future__ import annotations

from datetime import date

from sqlalchemy import func
from sqlmodel import Session, col, select

from pmo_saas.db import get_in_org
from pmo_saas.delivery.columns import DONE
from pmo_saas.delivery.forecast import RUNS
from pmo_saas.delivery.models import FlowTally, WorkItem
from pmo_saas.delivery.plan_models import AGILE, InitiativePlan
from pmo_saas.delivery.plan_schemas import PlanForecastView
from pmo_saas.delivery.services import flow_sums as sums
from pmo_saas.delivery.services.flow import _forecast_view, _long_date
from pmo_saas.kernel.clock import utcnow
from pmo_saas.kernel.context import TenantContext
from pmo_saas.portfolio.models import Initiative, Portfolio, PublishedPlan


def plan_forecast(
    *,
    session: Session,
    ctx: TenantContext,
    published_plan_id: object,
    seed: int | None = None,
    runs: int = RUNS,
) -> PlanForecastView:
    published = get_in_org(session, PublishedPlan, published_plan_id, "That published plan")
    rows = session.exec(
        select(col(InitiativePlan.initiative_id), col(InitiativePlan.planned_end))
        .join(Initiative, col(Initiative.id) == col(InitiativePlan.initiative_id))
        .where(
            InitiativePlan.published_plan_id == published.id,
            InitiativePlan.approach == AGILE,
            col(InitiativePlan.actual_end).is_(None),
            col(Initiative.archived_at).is_(None),
        )
    ).all()
    ids = [i for i, _end in rows]
    ends = [end for _i, end in rows if end is not None]
    now = utcnow()
    history: list[int] = []
    remaining = 0
    if ids:
        # The plan's done weeks: its initiatives' history, or, when it funds most of the
        # portfolio, the portfolio's roll-up less the history of the initiatives it does not.
        chosen = set(ids)
        others = [
            i
            for i in session.exec(
                select(Initiative.id).where(Initiative.portfolio_id == published.portfolio_id)
            ).all()
            if i is not None and i not in chosen
        ]
        if len(others) < len(ids):
            totals = sums.rolled_up(session, published.portfolio_id, now)
            totals.subtract(sums.from_history(session, others, now))
        else:
            totals = sums.from_history(session, ids, now)
        weeks = list(totals.weeks.items())
        live = [col(WorkItem.initiative_id).in_(ids), col(WorkItem.removed_at).is_(None)]
        history = [n for _w, n in sums.weekly_history(session, weeks, live, now)]
        remaining = int(
            session.exec(
                select(func.coalesce(func.sum(FlowTally.n), 0)).where(
                    col(FlowTally.initiative_id).in_(ids), FlowTally.status != DONE
                )
            ).one()
        )
    return PlanForecastView(
        published_plan_id=published.id or 0,
        scenario_name=published.scenario_name,
        initiatives=len(ids),
        planned_end=max(ends).isoformat() if ends else "",
        forecast=_forecast_view(history, remaining, seed=seed, runs=runs),
    )


def latest_plan_forecast(
    *, session: Session, ctx: TenantContext, portfolio_id: object
) -> PlanForecastView | None:
    """The forecast of the portfolio's latest adopted published plan (the newest plan its
    planned initiatives name), or None while no plan is adopted."""
    portfolio = get_in_org(session, Portfolio, portfolio_id, "That portfolio")
    plan_id = session.exec(
        select(PublishedPlan.id)
        .join(InitiativePlan, col(InitiativePlan.published_plan_id) == col(PublishedPlan.id))
        .where(InitiativePlan.portfolio_id == portfolio.id)
        .order_by(col(PublishedPlan.published_at).desc(), col(PublishedPlan.id).desc())
        .limit(1)
    ).first()
    if plan_id is None:
        return None
    return plan_forecast(session=session, ctx=ctx, published_plan_id=plan_id)


def plan_forecast_lines(view: PlanForecastView) -> tuple[str, str]:
    """The page's two lines: "The plan's remaining N items: 50% by ..., 85% by ..." (or the
    forecast's plain refusal, such as too little history) and the history it used."""
    f = view.forecast
    if f.enough and f.remaining and f.dates:
        parts = [
            f"{p}% by {_long_date(date.fromisoformat(d)) if d else 'beyond ten years'}"
            for p, d in ((p, f.dates.get(p, "")) for p in ("50", "85"))
        ]
        sentence = f"The plan's remaining {f.remaining} items: {', '.join(parts)}."
    else:
        sentence = f.sentence
    weeks = len(f.history)
    rate = sum(f.history) / weeks if weeks else 0.0
    used = (
        f"From {weeks} week(s) of the plan's history, {rate:.1f} items/week on average, "
        f"across {view.initiatives} open agile initiative(s) of {view.scenario_name}."
    )
    return sentence, used
