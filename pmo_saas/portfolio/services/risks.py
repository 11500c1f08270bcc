"""The risk register: risks of a portfolio or of its initiatives, and the heat map
(pages/risks.py)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlmodel import Session, select

from pmo_saas.identity import audit
from pmo_saas.kernel.clock import utcnow
from pmo_saas.kernel.context import TenantContext
from pmo_saas.kernel.errors import NotFound, ValidationFailed
from pmo_saas.portfolio import fields, scoring
from pmo_saas.portfolio.models import (
    Risk,
)
from pmo_saas.portfolio.schemas import (
    HeatCell,
    RiskRow,
)
from pmo_saas.portfolio.services._common import (
    _can_write,
    _initiative,
    _initiatives,
    _portfolio,
    _risk,
)


def _clean_level(raw: object, what: str) -> int:
    try:
        value = int(str(raw).strip())
    except ValueError:
        raise ValidationFailed(f"The {what} is a whole number from 1 to 5; got “{raw}”.") from None
    if not 1 <= value <= 5:
        raise ValidationFailed(f"The {what} is a whole number from 1 to 5; got {value}.")
    return value


def _clean_risk(session: Session, portfolio_id: int, data: Mapping[str, object]) -> dict[str, Any]:
    allowed = {"title", "probability", "impact", "owner", "mitigation", "status", "initiative_id"}
    unknown = sorted(set(data) - allowed)
    if unknown:
        raise ValidationFailed(f"Unknown risk field(s): {', '.join(unknown)}.")
    clean: dict[str, Any] = {}
    for key, raw in data.items():
        if key == "title":
            clean[key] = fields.clean_text(raw, what="risk", max_length=200, required=True)
        elif key in ("probability", "impact"):
            clean[key] = _clean_level(raw, key)
        elif key == "owner":
            clean[key] = fields.clean_text(raw, what="owner", max_length=120)
        elif key == "mitigation":
            clean[key] = fields.clean_text(raw, what="mitigation", max_length=10_000)
        elif key == "status":
            status = str(raw or "").strip().lower()
            if status not in fields.RISK_STATUSES:
                raise ValidationFailed(
                    f"The risk status is one of {', '.join(fields.RISK_STATUSES)}."
                )
            clean[key] = status
        elif key == "initiative_id":
            if raw is None or raw == "":
                clean[key] = None
            else:
                try:
                    initiative = _initiative(session, int(str(raw)))
                except ValueError:
                    raise NotFound("That initiative") from None
                if initiative.portfolio_id != portfolio_id:
                    raise NotFound("That initiative")
                clean[key] = initiative.id
    return clean


def create_risk(
    *, session: Session, ctx: TenantContext, portfolio_id: int, data: Mapping[str, object]
) -> int:
    """A risk of the portfolio, or of one of its initiatives (`initiative_id`)."""
    _can_write(session, ctx)
    _portfolio(session, portfolio_id)
    clean = _clean_risk(session, portfolio_id, data)
    for required in ("title", "probability", "impact"):
        if required not in clean:
            raise ValidationFailed(f"Enter the risk's {required}.", field=required)
    risk = Risk(portfolio_id=portfolio_id, **clean)
    return audit.add_audited(
        session=session,
        ctx=ctx,
        row=risk,
        action="risk.created",
        target=risk.title,
        detail=f"P{risk.probability} {scoring.TIMES} I{risk.impact}",
    )


def update_risk(
    *, session: Session, ctx: TenantContext, risk_id: int, data: Mapping[str, object]
) -> None:
    _can_write(session, ctx)
    risk = _risk(session, risk_id)
    for key, value in _clean_risk(session, risk.portfolio_id, data).items():
        setattr(risk, key, value)
    risk.updated_at = utcnow()
    session.add(risk)
    audit.record(
        session=session,
        ctx=ctx,
        action="risk.updated",
        target=risk.title,
        detail=", ".join(sorted(data)),
    )


def list_risks(
    *,
    session: Session,
    ctx: TenantContext,
    portfolio_id: int,
    initiative_id: int | None = None,
    include_closed: bool = True,
) -> list[RiskRow]:
    """Highest exposure (probability times impact) first."""
    _portfolio(session, portfolio_id)
    query = select(Risk).where(Risk.portfolio_id == portfolio_id)
    if initiative_id is not None:
        query = query.where(Risk.initiative_id == initiative_id)
    risks = [r for r in session.exec(query).all() if include_closed or r.status != "closed"]
    titles = {i.id: i.title for i in _initiatives(session, portfolio_id, include_archived=True)}
    risks.sort(key=lambda r: (-(r.probability * r.impact), -r.impact, r.title))
    return [
        RiskRow(
            id=r.id or 0,
            initiative_id=r.initiative_id,
            initiative_title=titles.get(r.initiative_id, "") if r.initiative_id else "",
            title=r.title,
            probability=r.probability,
            impact=r.impact,
            exposure=r.probability * r.impact,
            owner=r.owner,
            mitigation=r.mitigation,
            status=r.status,
        )
        for r in risks
    ]


def risk_heat_map(*, session: Session, ctx: TenantContext, portfolio_id: int) -> list[HeatCell]:
    """25 cells (probability 1-5 by impact 1-5) counting the risks not closed."""
    risks = list_risks(session=session, ctx=ctx, portfolio_id=portfolio_id, include_closed=False)
    cells = {
        (p, i): HeatCell(probability=p, impact=i, count=0, risk_ids=[])
        for p in range(1, 6)
        for i in range(1, 6)
    }
    for r in risks:
        cell = cells[(r.probability, r.impact)]
        cell.count += 1
        cell.risk_ids.append(r.id)
    return [cells[(p, i)] for p in range(5, 0, -1) for i in range(1, 6)]
