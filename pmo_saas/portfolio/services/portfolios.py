"""Portfolios: create, rename, archive, list (pages/overview.py; the budget is on the
funding page)."""

from __future__ import annotations

from collections import defaultdict

from sqlalchemy import func
from sqlmodel import Session, col, select

from pmo_saas.identity import audit
from pmo_saas.kernel.clock import utcnow
from pmo_saas.kernel.context import TenantContext
from pmo_saas.kernel.errors import Conflict, ValidationFailed
from pmo_saas.portfolio import fields, scoring
from pmo_saas.portfolio.models import (
    Initiative,
    Portfolio,
)
from pmo_saas.portfolio.schemas import (
    PortfolioRow,
)
from pmo_saas.portfolio.services._common import (
    _can_write,
    _portfolio,
    _stream_budgets,
)


def _portfolio_row(session: Session, p: Portfolio, count: int = 0) -> PortfolioRow:
    assert p.id is not None
    return PortfolioRow(
        id=p.id,
        name=p.name,
        description=p.description,
        scoring_model=p.scoring_model,
        scoring_model_label=scoring.MODELS[p.scoring_model],
        budget=p.budget,
        currency=p.currency,
        stream_budgets=_stream_budgets(session, p.id),
        initiative_count=count,
        archived=p.archived_at is not None,
    )


def _clean_currency(raw: str) -> str:
    currency = (raw or "").strip().upper()
    if len(currency) != 3 or not currency.isalpha():
        raise ValidationFailed(
            "The currency is a three-letter code such as EUR or USD.", field="currency"
        )
    return currency


def create_portfolio(
    *,
    session: Session,
    ctx: TenantContext,
    name: str,
    description: str = "",
    scoring_model: str = scoring.WSJF,
    currency: str = "EUR",
) -> int:
    _can_write(session, ctx)
    name = fields.clean_text(name, what="portfolio name", max_length=120, required=True)
    description = fields.clean_text(description, what="description", max_length=10_000)
    model = scoring.check_model(scoring_model)
    currency = _clean_currency(currency)
    if session.exec(select(Portfolio.id).where(Portfolio.name == name)).first():
        raise Conflict(f"A portfolio called “{name}” exists already.")
    portfolio = Portfolio(
        name=name,
        description=description,
        scoring_model=model,
        currency=currency,
    )
    return audit.add_audited(
        session=session, ctx=ctx, row=portfolio, action="portfolio.created", target=name
    )


def update_portfolio(
    *,
    session: Session,
    ctx: TenantContext,
    portfolio_id: int,
    name: str | None = None,
    description: str | None = None,
    scoring_model: str | None = None,
    currency: str | None = None,
) -> None:
    _can_write(session, ctx)
    portfolio = _portfolio(session, portfolio_id)
    changes = []
    if name is not None:
        name = fields.clean_text(name, what="portfolio name", max_length=120, required=True)
        clash = session.exec(
            select(Portfolio.id).where(Portfolio.name == name, Portfolio.id != portfolio_id)
        ).first()
        if clash:
            raise Conflict(f"A portfolio called “{name}” exists already.")
        portfolio.name = name
        changes.append("name")
    if description is not None:
        portfolio.description = fields.clean_text(
            description, what="description", max_length=10_000
        )
        changes.append("description")
    if scoring_model is not None:
        portfolio.scoring_model = scoring.check_model(scoring_model)
        changes.append(f"scoring model {portfolio.scoring_model}")
    if currency is not None:
        portfolio.currency = _clean_currency(currency)
        changes.append("currency")
    session.add(portfolio)
    audit.record(
        session=session,
        ctx=ctx,
        action="portfolio.updated",
        target=portfolio.name,
        detail=", ".join(changes),
    )


def archive_portfolio(
    *, session: Session, ctx: TenantContext, portfolio_id: int, archived: bool = True
) -> None:
    _can_write(session, ctx)
    portfolio = _portfolio(session, portfolio_id)
    portfolio.archived_at = utcnow() if archived else None
    session.add(portfolio)
    action = "portfolio.archived" if archived else "portfolio.restored"
    audit.record(session=session, ctx=ctx, action=action, target=portfolio.name)


def list_portfolios(
    *, session: Session, ctx: TenantContext, include_archived: bool = False
) -> list[PortfolioRow]:
    query = select(Portfolio).order_by(col(Portfolio.name))
    if not include_archived:
        query = query.where(col(Portfolio.archived_at).is_(None))
    portfolios = session.exec(query).all()
    counts: dict[int, int] = defaultdict(int)
    for pid in session.exec(
        select(Initiative.portfolio_id).where(col(Initiative.archived_at).is_(None))
    ).all():
        counts[pid] += 1
    return [_portfolio_row(session, p, counts[p.id or 0]) for p in portfolios]


def get_portfolio(
    *, session: Session, ctx: TenantContext, portfolio_id: int, initiative_count: int | None = None
) -> PortfolioRow:
    """The portfolio; `initiative_count` (its active initiatives) when the caller counted them."""
    portfolio = _portfolio(session, portfolio_id)
    if initiative_count is None:
        initiative_count = int(
            session.exec(
                select(func.count())
                .select_from(Initiative)
                .where(
                    Initiative.portfolio_id == portfolio_id, col(Initiative.archived_at).is_(None)
                )
            ).one()
        )
    return _portfolio_row(session, portfolio, initiative_count)
