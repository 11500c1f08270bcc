"""Scoring and ranking: weighted criteria, the explained ranking, manual overrides, and the
charts (pages/ranking.py)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from pydantic import TypeAdapter
from sqlalchemy import delete
from sqlmodel import Session, col, select

from pmo_saas.db import get_in_org
from pmo_saas.identity import audit
from pmo_saas.kernel.context import TenantContext
from pmo_saas.kernel.errors import Conflict, ValidationFailed
from pmo_saas.portfolio import fields, scoring
from pmo_saas.portfolio.models import (
    Criterion,
    Score,
)
from pmo_saas.portfolio.schemas import (
    BubblePoint,
    CriterionRow,
    RankBar,
    Ranking,
    RankRow,
)
from pmo_saas.portfolio.services._common import (
    _can_write,
    _criteria,
    _initiative,
    _portfolio,
    _rank_inputs,
    _scores,
)

# ---------------------------------------------------------------- criteria (weighted model)


def _clean_criterion(
    name: object, weight: object, scale_min: object, scale_max: object
) -> tuple[str, float, int, int]:
    clean_name = fields.clean_text(name, what="criterion name", max_length=80, required=True)
    try:
        w = float(str(weight))
        low, high = int(str(scale_min)), int(str(scale_max))
    except ValueError:
        raise ValidationFailed(
            "The weight and the scale ends must be numbers (the scale ends whole numbers)."
        ) from None
    if not (0 < w <= 1000):
        raise ValidationFailed("The weight must be above 0 (and at most 1000).", field="weight")
    if low >= high or low < 0 or high > 1000:
        raise ValidationFailed(
            "The scale runs from a lower to a higher whole number between 0 and 1000.",
            field="scale",
        )
    return clean_name, w, low, high


def add_criterion(
    *,
    session: Session,
    ctx: TenantContext,
    portfolio_id: int,
    name: str,
    weight: object = 1,
    scale_min: object = 1,
    scale_max: object = 5,
) -> int:
    _can_write(session, ctx)
    portfolio = _portfolio(session, portfolio_id)
    clean_name, w, low, high = _clean_criterion(name, weight, scale_min, scale_max)
    existing = session.exec(select(Criterion).where(Criterion.portfolio_id == portfolio_id)).all()
    if any(c.name.lower() == clean_name.lower() for c in existing):
        raise Conflict(f"A criterion called “{clean_name}” exists already.")
    criterion = Criterion(
        portfolio_id=portfolio_id,
        name=clean_name,
        weight=w,
        scale_min=low,
        scale_max=high,
        position=len(existing),
    )
    return audit.add_audited(
        session=session,
        ctx=ctx,
        row=criterion,
        action="portfolio.criterion_added",
        target=portfolio.name,
        detail=f"{clean_name} weight {w} scale {low}-{high}",
    )


def update_criterion(
    *,
    session: Session,
    ctx: TenantContext,
    criterion_id: int,
    name: str,
    weight: object,
    scale_min: object,
    scale_max: object,
) -> None:
    """Rename, reweigh or rescale; a scale that would strand given scores is refused."""
    _can_write(session, ctx)
    criterion = get_in_org(session, Criterion, criterion_id, "That criterion")
    clean_name, w, low, high = _clean_criterion(name, weight, scale_min, scale_max)
    clash = session.exec(
        select(Criterion.id).where(
            Criterion.portfolio_id == criterion.portfolio_id,
            Criterion.name == clean_name,
            Criterion.id != criterion_id,
        )
    ).first()
    if clash:
        raise Conflict(f"A criterion called “{clean_name}” exists already.")
    outside = session.exec(
        select(Score.value).where(
            col(Score.key) == f"c{criterion_id}",
            (col(Score.value) < low) | (col(Score.value) > high),
        )
    ).all()
    if outside:
        raise ValidationFailed(
            f"{len(outside)} score(s) of {criterion.name} fall outside {low} to {high}; "
            "change or clear them first.",
            field="scale",
        )
    criterion.name, criterion.weight = clean_name, w
    criterion.scale_min, criterion.scale_max = low, high
    session.add(criterion)
    audit.record(
        session=session,
        ctx=ctx,
        action="portfolio.criterion_updated",
        target=clean_name,
        detail=f"weight {w} scale {low}-{high}",
    )


def remove_criterion(*, session: Session, ctx: TenantContext, criterion_id: int) -> None:
    _can_write(session, ctx)
    criterion = get_in_org(session, Criterion, criterion_id, "That criterion")
    session.exec(delete(Score).where(col(Score.key) == f"c{criterion_id}"))
    session.delete(criterion)
    audit.record(
        session=session, ctx=ctx, action="portfolio.criterion_removed", target=criterion.name
    )


def list_criteria(*, session: Session, ctx: TenantContext, portfolio_id: int) -> list[CriterionRow]:
    _portfolio(session, portfolio_id)
    return [
        CriterionRow(
            id=c.id,
            key=c.key,
            name=c.name,
            weight=c.weight,
            scale_min=c.scale_min,
            scale_max=c.scale_max,
        )
        for c in _criteria(session, portfolio_id)
    ]


def formula(*, session: Session, ctx: TenantContext, portfolio_id: int) -> str:
    portfolio = _portfolio(session, portfolio_id)
    return scoring.formula_text(portfolio.scoring_model, _criteria(session, portfolio_id))


# ---------------------------------------------------------------- ranking


_RANK_ROWS = TypeAdapter(list[RankRow])


def rank_rows(
    inputs: Sequence[scoring.RankInput], *, offset: int = 0, limit: int | None = None
) -> list[RankRow]:
    """Explained ranking rows (all, or one page) from computed inputs; no database.

    The rows are validated in one call: 10,000 separate model constructions cost twice as much.
    """
    ranked = scoring.rank(inputs)
    page = ranked[offset : None if limit is None else offset + limit]
    rows: list[dict[str, Any]] = []
    for r in page:
        item, result = r.item, r.item.result
        explanation = result.explanation
        if item.manual_rank is not None:
            where = f"#{r.computed_rank}" if r.computed_rank else "not ranked"
            explanation += (
                f". Placed at #{item.manual_rank} by hand (score alone: {where}): "
                f"{item.manual_reason}"
            )
        rows.append(
            {
                "rank": r.rank,
                "initiative_id": item.id,
                "title": item.title,
                "score": result.value,
                "score_text": result.score_text,
                "explanation": explanation,
                "inputs": result.inputs_map,
                "computed_rank": r.computed_rank,
                "manual_rank": item.manual_rank,
                "manual_reason": item.manual_reason,
                "moscow": item.extra.get("moscow"),
                "cost": item.extra.get("cost"),
                "value_stream": item.extra.get("value_stream", ""),
            }
        )
    return _RANK_ROWS.validate_python(rows)


def rank_portfolio(
    *,
    session: Session,
    ctx: TenantContext,
    portfolio_id: int,
    offset: int = 0,
    limit: int | None = None,
) -> Ranking:
    """The ranking with each row's inputs and formula; `offset`/`limit` give one page."""
    portfolio = _portfolio(session, portfolio_id)
    inputs, criteria, _ = _rank_inputs(session, portfolio)
    return Ranking(
        model=portfolio.scoring_model,
        formula=scoring.formula_text(portfolio.scoring_model, criteria),
        total=len(inputs),
        rows=rank_rows(inputs, offset=max(offset, 0), limit=limit),
    )


def override_rank(
    *,
    session: Session,
    ctx: TenantContext,
    initiative_id: int,
    position: int | None,
    reason: str = "",
) -> None:
    """Pin an initiative at `position` (1 = top) with a recorded reason; None unpins it."""
    _can_write(session, ctx)
    initiative = _initiative(session, initiative_id)
    if position is None:
        initiative.manual_rank, initiative.manual_rank_reason = None, ""
        detail = "override removed"
    else:
        if isinstance(position, bool) or not isinstance(position, int) or position < 1:
            raise ValidationFailed("The position is a whole number from 1 (the top).")
        reason = fields.clean_text(reason, what="reason", max_length=500)
        if not reason:
            raise ValidationFailed(
                "Say why this initiative is placed by hand; the reason is shown to everyone.",
                field="reason",
            )
        initiative.manual_rank, initiative.manual_rank_reason = position, reason
        detail = f"#{position}: {reason}"
    session.add(initiative)
    audit.record(
        session=session,
        ctx=ctx,
        action="ranking.overridden",
        target=initiative.title,
        detail=detail,
    )


# ---------------------------------------------------------------- charts


def value_effort_points(
    *, session: Session, ctx: TenantContext, portfolio_id: int
) -> list[BubblePoint]:
    """Value (the score) against effort (job size, RICE effort, else cost); bubble = cost."""
    portfolio = _portfolio(session, portfolio_id)
    inputs, _, initiatives = _rank_inputs(session, portfolio)
    scores = _scores(session, portfolio_id)
    effort_key = {"wsjf": "job_size", "rice": "effort"}.get(portfolio.scoring_model)
    by_id = {i.id: i for i in initiatives}
    points = []
    for item in inputs:
        initiative = by_id[item.id]
        effort: float | None
        if effort_key:
            effort = scores.get(item.id, {}).get(effort_key)
        else:
            effort = float(initiative.cost) if initiative.cost is not None else None
        points.append(
            BubblePoint(
                initiative_id=item.id,
                title=item.title,
                effort=effort,
                value=item.result.value,
                cost=initiative.cost,
            )
        )
    return points


def ranking_bars(
    *, session: Session, ctx: TenantContext, portfolio_id: int, limit: int = 20
) -> list[RankBar]:
    """The top of the ranking as bars (initiatives not scored have no bar)."""
    ranking = rank_portfolio(session=session, ctx=ctx, portfolio_id=portfolio_id)
    return [
        RankBar(initiative_id=r.initiative_id, title=r.title, score=r.score)
        for r in ranking.rows
        if r.score is not None
    ][:limit]
