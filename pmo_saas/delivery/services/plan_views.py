"""Planned vs actual, the reads: one initiative's plan beside what happened, the portfolio's
delivery table (agile and traditional side by side), the dashboard's delivery tile and the
CSV export. Delivery is judged the same way everywhere (`judge`)."""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from datetime import date

from sqlmodel import Session, col, select

from pmo_saas.delivery.earned_value import EarnedValue
from pmo_saas.delivery.plan_models import (
    APPROACHES,
    RAGS,
    InitiativePlan,
    RagChange,
    SpendEntry,
)
from pmo_saas.delivery.plan_schemas import (
    DeliveryTile,
    EarnedValueRow,
    PlanVsActual,
    PortfolioDeliveryRow,
    RagRow,
    SpendRow,
    TrancheCheck,
)
from pmo_saas.delivery.services import plan_figures as figures
from pmo_saas.delivery.services._common import initiative_in_org, portfolio_in_org
from pmo_saas.delivery.services.tranches import check_tranches, tranche_rows, tranches_of
from pmo_saas.identity.models import User
from pmo_saas.kernel.clock import utcnow
from pmo_saas.kernel.context import TenantContext
from pmo_saas.portfolio.models import Initiative, Portfolio

DELIVERY = {
    "on_track": "On track",
    "at_risk": "At risk",
    "late": "Late",
    "done": "Done",
    "not_planned": "Not planned",
}
SLIPPING = 0.9  # SPI or CPI below this puts a traditional project at risk
ATTENTION_ROWS = 8


def _iso(day: date | None) -> str:
    return day.isoformat() if day else ""


def judge(
    plan: InitiativePlan,
    check: TrancheCheck,
    *,
    forecast_85: str,
    ev: EarnedValue | None,
    today: date,
) -> tuple[str, list[str]]:
    """(on_track / at_risk / late / done, the reasons) from dates, RAG, spend and forecast."""
    late, risk = [], []
    if plan.actual_end is not None:
        if plan.planned_end and plan.actual_end > plan.planned_end:
            return "late", [f"Finished {plan.actual_end}, planned {plan.planned_end}."]
        return "done", []
    if plan.planned_end and today > plan.planned_end:
        late.append(f"Past its planned end ({plan.planned_end}).")
    if plan.rag == "red":
        late.append(f"RAG red: {plan.rag_reason}")
    if plan.rag == "amber":
        risk.append(f"RAG amber: {plan.rag_reason}")
    if check.flagged:
        risk.append(check.message)
    if plan.planned_budget and check.spent > plan.planned_budget:
        risk.append(f"Spend {check.spent:,} is over the budget of {plan.planned_budget:,}.")
    if forecast_85 and plan.planned_end and forecast_85 > plan.planned_end.isoformat():
        risk.append(f"Forecast (85%) {forecast_85} is after the planned end {plan.planned_end}.")
    if ev is not None:
        if ev.spi is not None and ev.spi < SLIPPING:
            risk.append(f"Behind schedule: SPI {ev.spi:.2f}.")
        if ev.cpi is not None and ev.cpi < SLIPPING:
            risk.append(f"Over cost: CPI {ev.cpi:.2f}.")
    if late:
        return "late", late + risk
    return ("at_risk", risk) if risk else ("on_track", [])


def _ev_row(ev: EarnedValue, on: date, scope: float) -> EarnedValueRow:
    return EarnedValueRow(
        on=on.isoformat(),
        bac=ev.bac,
        pv=round(ev.pv, 2),
        ev=round(ev.ev, 2),
        ac=ev.ac,
        spi=None if ev.spi is None else round(ev.spi, 3),
        cpi=None if ev.cpi is None else round(ev.cpi, 3),
        eac=None if ev.eac is None else round(ev.eac, 2),
        scope_done=round(ev.scope_share * scope, 2),
        scope=scope,
    )


def _plan_row(session: Session, initiative_id: int) -> InitiativePlan | None:
    return session.exec(
        select(InitiativePlan).where(InitiativePlan.initiative_id == initiative_id)
    ).first()


def initiative_plan(
    *, session: Session, ctx: TenantContext, initiative_id: int, on: date | None = None
) -> PlanVsActual:
    initiative = initiative_in_org(session, initiative_id)
    portfolio = portfolio_in_org(session, initiative.portfolio_id)
    today = on or utcnow().date()
    plan = _plan_row(session, initiative_id) or InitiativePlan(
        portfolio_id=initiative.portfolio_id, initiative_id=initiative_id
    )
    funded = plan.id is not None
    tranches = tranches_of(session, initiative_id)
    forecast = figures.forecasts(session, [plan]).get(initiative_id) if funded else None
    f85 = forecast.dates.get("85", "") if forecast and forecast.enough else ""
    sentence = forecast.sentence if forecast else ""
    ev = figures.earned_values(session, [plan], today).get(initiative_id) if funded else None
    spend_rows = session.exec(
        select(SpendEntry)
        .where(SpendEntry.initiative_id == initiative_id)
        .order_by(col(SpendEntry.month))
    ).all()
    spent = sum(s.amount for s in spend_rows)
    check = check_tranches(plan.planned_budget, tranches, spent)
    state, why = (
        judge(plan, check, forecast_85=f85, ev=ev, today=today) if funded else ("not_planned", [])
    )
    history = session.exec(
        select(RagChange, User.name)
        .outerjoin(User, col(User.id) == RagChange.set_by_id)
        .where(RagChange.initiative_id == initiative_id)
        .order_by(col(RagChange.set_at).desc(), col(RagChange.id).desc())
    ).all()
    return PlanVsActual(
        initiative_id=initiative_id,
        portfolio_id=initiative.portfolio_id,
        title=initiative.title,
        owner=initiative.owner,
        currency=portfolio.currency,
        funded=funded,
        approach=plan.approach,
        approach_label=APPROACHES[plan.approach],
        planned_start=_iso(plan.planned_start),
        planned_end=_iso(plan.planned_end),
        planned_budget=plan.planned_budget,
        promised_value=plan.promised_value,
        actual_start=_iso(plan.actual_start),
        actual_end=_iso(plan.actual_end),
        spent=spent,
        spend_percent=round(100 * spent / plan.planned_budget, 1) if plan.planned_budget else None,
        rag=plan.rag,
        rag_label=RAGS.get(plan.rag, "Not set"),
        rag_reason=plan.rag_reason,
        delivery=state,
        delivery_label=DELIVERY[state],
        why=why,
        forecast_85=f85,
        forecast_sentence=sentence,
        baseline_scope=plan.baseline_scope,
        baseline_start=_iso(plan.baseline_start),
        baseline_end=_iso(plan.baseline_end),
        baseline_budget=plan.baseline_budget,
        earned_value=_ev_row(ev, today, plan.baseline_scope or 0.0) if ev else None,
        tranches=tranche_rows(tranches),
        tranche_check=check,
        spend=[
            SpendRow(month=f"{s.month:%Y-%m}", amount=s.amount, source=s.source) for s in spend_rows
        ],
        rag_history=[
            RagRow(
                rag=r.rag,
                rag_label=RAGS.get(r.rag, r.rag),
                reason=r.reason,
                set_by=name or "",
                set_at=r.set_at.strftime("%Y-%m-%d %H:%M"),
            )
            for r, name in history
        ],
    )


def _ratio_text(value: float | None) -> str:
    return "" if value is None else f"{value:.2f}"


def delivery_rows(
    session: Session, plans: Sequence[InitiativePlan], today: date
) -> list[PortfolioDeliveryRow]:
    ids = [p.initiative_id for p in plans]
    titles = (
        dict(
            session.exec(
                select(Initiative.id, Initiative.title).where(col(Initiative.id).in_(ids))
            ).all()
        )
        if ids
        else {}
    )
    spent = figures.spend_by_initiative(session, ids)
    funding = figures.tranches_by_initiative(session, ids)
    ahead = figures.forecasts(session, plans)
    evs = figures.earned_values(session, plans, today)
    rows = []
    for plan in plans:
        iid = plan.initiative_id
        check = check_tranches(plan.planned_budget, funding.get(iid, []), spent.get(iid, 0))
        forecast = ahead.get(iid)
        f85 = forecast.dates.get("85", "") if forecast and forecast.enough else ""
        ev = evs.get(iid)
        state, _why = judge(plan, check, forecast_85=f85, ev=ev, today=today)
        rows.append(
            PortfolioDeliveryRow(
                initiative_id=plan.initiative_id,
                title=titles.get(plan.initiative_id, ""),
                approach=plan.approach,
                approach_label=APPROACHES[plan.approach],
                planned_end=_iso(plan.planned_end),
                planned_budget=plan.planned_budget,
                released=check.released,
                spent=check.spent,
                rag=plan.rag,
                rag_reason=plan.rag_reason,
                delivery=state,
                delivery_label=DELIVERY[state],
                forecast_85=f85,
                spi=_ratio_text(ev.spi) if ev else "",
                cpi=_ratio_text(ev.cpi) if ev else "",
                flagged=check.flagged,
            )
        )
    return sorted(rows, key=lambda r: r.title.lower())


def portfolio_delivery(
    *, session: Session, ctx: TenantContext, portfolio_id: int, on: date | None = None
) -> list[PortfolioDeliveryRow]:
    portfolio_in_org(session, portfolio_id)
    plans = session.exec(
        select(InitiativePlan)
        .join(Initiative, col(Initiative.id) == InitiativePlan.initiative_id)
        .where(InitiativePlan.portfolio_id == portfolio_id, col(Initiative.archived_at).is_(None))
    ).all()
    return delivery_rows(session, list(plans), on or utcnow().date())


def delivery_tile(session: Session, ctx: TenantContext) -> DeliveryTile:
    """On track / at risk / late, spend vs budget and forecast vs plan over every funded
    initiative of the active portfolios (the dashboard and the monthly report)."""
    plans = session.exec(
        select(InitiativePlan)
        .join(Initiative, col(Initiative.id) == InitiativePlan.initiative_id)
        .join(Portfolio, col(Portfolio.id) == InitiativePlan.portfolio_id)
        .where(col(Initiative.archived_at).is_(None), col(Portfolio.archived_at).is_(None))
    ).all()
    rows = delivery_rows(session, list(plans), utcnow().date())
    count = {key: sum(1 for r in rows if r.delivery == key) for key in DELIVERY}
    budget, spent = sum(r.planned_budget for r in rows), sum(r.spent for r in rows)
    by_plan = {p.initiative_id: p for p in plans}
    return DeliveryTile(
        planned=len(rows),
        on_track=count["on_track"],
        at_risk=count["at_risk"],
        late=count["late"],
        done=count["done"],
        budget=budget,
        spent=spent,
        spend_percent=round(100 * spent / budget, 1) if budget else 0.0,
        forecast_after_plan=sum(
            1
            for r in rows
            if r.forecast_85
            and by_plan[r.initiative_id].planned_end is not None
            and r.forecast_85 > r.planned_end
        ),
        over_released=sum(1 for r in rows if r.flagged),
        attention=[r for r in rows if r.delivery in ("late", "at_risk")][:ATTENTION_ROWS],
    )


def csv_text(rows: Sequence[Sequence[object]]) -> str:
    out = io.StringIO()
    writer = csv.writer(out)
    for row in rows:
        writer.writerow(
            [
                "'" + c if isinstance(c, str) and c.startswith(("=", "+", "-", "@")) else c
                for c in row
            ]
        )
    return out.getvalue()


def export_delivery_csv(*, session: Session, ctx: TenantContext, portfolio_id: int) -> str:
    """The portfolio's delivery table as CSV (agile and traditional in one table)."""
    rows = portfolio_delivery(session=session, ctx=ctx, portfolio_id=portfolio_id)
    head: list[object] = [
        "initiative",
        "approach",
        "planned end",
        "budget",
        "released",
        "spent",
        "rag",
    ]
    head += ["delivery", "forecast 85%", "spi", "cpi", "spend beyond released"]
    body: list[list[object]] = [
        [
            *(r.title, r.approach_label, r.planned_end, r.planned_budget, r.released, r.spent),
            *(r.rag, r.delivery_label, r.forecast_85, r.spi, r.cpi, "yes" if r.flagged else ""),
        ]
        for r in rows
    ]
    return csv_text([head, *body])


def export_rag_history_csv(*, session: Session, ctx: TenantContext, initiative_id: int) -> str:
    view = initiative_plan(session=session, ctx=ctx, initiative_id=initiative_id)
    return csv_text(
        [["set at", "rag", "reason", "set by"]]
        + [[r.set_at, r.rag_label, r.reason, r.set_by] for r in view.rag_history]
    )
