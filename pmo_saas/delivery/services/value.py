"""Value realised: the outcomes a funded initiative promised (the business value scored at
funding time and key results with a target and a date), the results its owner measured, and
each scorer's calibration.

An initiative's achievement is the mean, over its measured key results, of the latest
measurement as a share of the target (capped at 1); realised value = promised value x
achievement. A scorer's calibration compares their own score of the portfolio's value input
(WSJF business value, RICE impact) with what arrived in the same points: the settled score x
achievement. Bias is the mean of (their score - arrived), above 0 when they promised more;
the mean absolute error says how far off they were either way.
"""

from __future__ import annotations

import csv
import io
from collections import defaultdict
from collections.abc import Mapping

from sqlmodel import Session, col, select

from pmo_saas.db import get_in_org
from pmo_saas.delivery.plan_models import InitiativePlan, KeyResult, KeyResultMeasure
from pmo_saas.delivery.plan_schemas import CalibrationRow, KeyResultRow, ValueRow, ValueView
from pmo_saas.delivery.services._common import initiative_in_org, portfolio_in_org
from pmo_saas.delivery.services.plan import parse_day, require_owner_or_coach
from pmo_saas.identity import audit
from pmo_saas.identity.models import User
from pmo_saas.kernel.context import TenantContext
from pmo_saas.kernel.errors import ValidationFailed
from pmo_saas.portfolio.models import Initiative, RoundScore, Score

VALUE_KEYS = {"wsjf": "business_value", "rice": "impact"}


def _number(raw: object, *, what: str) -> float:
    try:
        value = float(str(raw).strip())
    except ValueError:
        raise ValidationFailed(f"The {what} must be a number.", field=what) from None
    if value != value or value in (float("inf"), float("-inf")):
        raise ValidationFailed(f"The {what} must be a number.", field=what)
    return value


def add_key_result(
    *,
    session: Session,
    ctx: TenantContext,
    initiative_id: int,
    title: str,
    target: object,
    due_on: object,
    unit: str = "",
) -> int:
    initiative = initiative_in_org(session, initiative_id)
    require_owner_or_coach(session, ctx, initiative)
    name = " ".join(str(title or "").split())
    if not name:
        raise ValidationFailed("Name the key result.", field="title")
    goal = _number(target, what="target")
    if goal <= 0:
        raise ValidationFailed("The target must be more than 0.", field="target")
    due = parse_day(due_on, what="due date", required=True)
    assert due is not None
    row = KeyResult(
        initiative_id=initiative_id, title=name[:200], target=goal, unit=unit[:40], due_on=due
    )
    return audit.add_audited(
        session=session,
        ctx=ctx,
        row=row,
        action="delivery.key_result_added",
        target=initiative.title,
        detail=f"{name[:100]}: {goal:g} {unit} by {due}",
    )


def record_result(
    *, session: Session, ctx: TenantContext, key_result_id: int, value: object, measured_on: object
) -> int:
    """One measurement of a key result (the latest one counts)."""
    kr = get_in_org(session, KeyResult, key_result_id, "That key result")
    initiative = initiative_in_org(session, kr.initiative_id)
    require_owner_or_coach(session, ctx, initiative)
    on = parse_day(measured_on, what="measurement date", required=True)
    assert on is not None
    row = KeyResultMeasure(
        key_result_id=kr.id or 0,
        measured_on=on,
        value=_number(value, what="measured value"),
        recorded_by_id=ctx.user_id,
    )
    return audit.add_audited(
        session=session,
        ctx=ctx,
        row=row,
        action="delivery.result_measured",
        target=initiative.title,
        detail=f"{kr.title[:100]}: {row.value:g} on {on}",
    )


def achievement_of(measured: float | None, target: float) -> float | None:
    if measured is None:
        return None
    return min(max(measured / target, 0.0), 1.0)


def _key_results(session: Session, initiative_ids: list[int]) -> dict[int, list[KeyResultRow]]:
    if not initiative_ids:
        return {}
    krs = session.exec(
        select(KeyResult)
        .where(col(KeyResult.initiative_id).in_(initiative_ids))
        .order_by(col(KeyResult.due_on), col(KeyResult.id))
    ).all()
    latest: dict[int, KeyResultMeasure] = {}
    for m in session.exec(
        select(KeyResultMeasure)
        .where(col(KeyResultMeasure.key_result_id).in_([k.id for k in krs]))
        .order_by(col(KeyResultMeasure.measured_on), col(KeyResultMeasure.id))
    ).all():
        latest[m.key_result_id] = m
    out: dict[int, list[KeyResultRow]] = defaultdict(list)
    for k in krs:
        last = latest.get(k.id or 0)
        out[k.initiative_id].append(
            KeyResultRow(
                id=k.id or 0,
                title=k.title,
                target=k.target,
                unit=k.unit,
                due_on=k.due_on.isoformat(),
                measured=last.value if last else None,
                measured_on=last.measured_on.isoformat() if last else "",
                achievement=achievement_of(last.value if last else None, k.target),
            )
        )
    return out


def _mean(values: list[float]) -> float | None:
    return sum(values) / len(values) if values else None


def calibrate(
    scorer_scores: Mapping[int, Mapping[int, float]],
    settled: Mapping[int, float],
    achievement: Mapping[int, float],
) -> dict[int, tuple[int, float, float]]:
    """user -> (initiatives, bias, mean absolute error) over initiatives that have an
    achievement and a settled score."""
    out = {}
    for user_id, scores in scorer_scores.items():
        errors = [
            s - settled[i] * achievement[i]
            for i, s in scores.items()
            if i in achievement and i in settled
        ]
        if errors:
            out[user_id] = (
                len(errors),
                sum(errors) / len(errors),
                sum(abs(e) for e in errors) / len(errors),
            )
    return out


def value_view(*, session: Session, ctx: TenantContext, portfolio_id: int) -> ValueView:
    portfolio = portfolio_in_org(session, portfolio_id)
    plans = session.exec(
        select(InitiativePlan, Initiative.title)
        .join(Initiative, col(Initiative.id) == InitiativePlan.initiative_id)
        .where(InitiativePlan.portfolio_id == portfolio_id, col(Initiative.archived_at).is_(None))
        .order_by(col(Initiative.title))
    ).all()
    ids = [p.initiative_id for p, _ in plans]
    krs = _key_results(session, ids)
    rows, achieved = [], {}
    for plan, title in plans:
        shares = [
            k.achievement for k in krs.get(plan.initiative_id, []) if k.achievement is not None
        ]
        share = _mean(shares)
        if share is not None:
            achieved[plan.initiative_id] = share
        promised = plan.promised_value
        rows.append(
            ValueRow(
                initiative_id=plan.initiative_id,
                title=title,
                promised_value=promised,
                achievement=None if share is None else round(share, 4),
                realised_value=None
                if share is None or promised is None
                else round(promised * share, 2),
                key_results=krs.get(plan.initiative_id, []),
            )
        )
    key = VALUE_KEYS.get(portfolio.scoring_model, "")
    calibration: list[CalibrationRow] = []
    if key and achieved:
        settled = dict(
            session.exec(
                select(Score.initiative_id, Score.value).where(
                    col(Score.initiative_id).in_(list(achieved)), Score.key == key
                )
            ).all()
        )
        by_scorer: dict[int, dict[int, float]] = defaultdict(dict)
        for user_id, initiative_id, value in session.exec(
            select(RoundScore.user_id, RoundScore.initiative_id, RoundScore.value)
            .where(col(RoundScore.initiative_id).in_(list(achieved)), RoundScore.key == key)
            .order_by(col(RoundScore.id))
        ).all():
            by_scorer[user_id][initiative_id] = value  # the latest round's score wins
        figures = calibrate(by_scorer, settled, achieved)
        names = (
            dict(
                session.exec(
                    select(User.id, User.name).where(col(User.id).in_(list(figures)))
                ).all()
            )
            if figures
            else {}
        )
        calibration = [
            CalibrationRow(
                user_id=user_id,
                name=names.get(user_id, ""),
                initiatives=n,
                bias=round(bias, 2),
                mean_abs_error=round(mae, 2),
            )
            for user_id, (n, bias, mae) in sorted(figures.items(), key=lambda kv: kv[1][2])
        ]
    return ValueView(portfolio_id=portfolio_id, value_key=key, rows=rows, calibration=calibration)


def export_value_csv(*, session: Session, ctx: TenantContext, portfolio_id: int) -> str:
    view = value_view(session=session, ctx=ctx, portfolio_id=portfolio_id)
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["initiative", "promised value", "achievement %", "realised value"])
    for r in view.rows:
        title = "'" + r.title if r.title.startswith(("=", "+", "-", "@")) else r.title
        share = "" if r.achievement is None else round(100 * r.achievement, 1)
        writer.writerow(
            [
                title,
                r.promised_value if r.promised_value is not None else "",
                share,
                r.realised_value if r.realised_value is not None else "",
            ]
        )
    return out.getvalue()
