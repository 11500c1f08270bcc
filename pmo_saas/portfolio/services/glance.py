"""What the workspace home reads of the portfolio at a glance: the person's open scoring
rounds, the initiatives waiting for a decision, and a few counts."""

from __future__ import annotations

from dataclasses import dataclass

from sqlmodel import Session, col, func, select

from pmo_saas.kernel.context import TenantContext
from pmo_saas.portfolio.models import Initiative, Portfolio, Risk, RoundScorer, ScoringRound


@dataclass(frozen=True, slots=True)
class RoundToScore:
    round_id: int
    name: str
    portfolio_id: int
    portfolio_name: str


@dataclass(frozen=True, slots=True)
class InitiativeInReview:
    title: str
    portfolio_id: int
    portfolio_name: str


def rounds_to_score(*, session: Session, ctx: TenantContext) -> list[RoundToScore]:
    """Open scoring rounds the person is asked to score, oldest first."""
    rows = session.exec(
        select(ScoringRound, Portfolio.name)
        .join(RoundScorer, col(RoundScorer.round_id) == ScoringRound.id)
        .join(Portfolio, col(Portfolio.id) == ScoringRound.portfolio_id)
        .where(RoundScorer.user_id == ctx.user_id, ScoringRound.status == "open")
        .order_by(col(ScoringRound.created_at))
    ).all()
    return [RoundToScore(r.id or 0, r.name, r.portfolio_id, name) for r, name in rows]


def initiatives_in_review(*, session: Session, ctx: TenantContext) -> list[InitiativeInReview]:
    """Live initiatives under review in live portfolios, the longest waiting first."""
    rows = session.exec(
        select(Initiative, Portfolio.name)
        .join(Portfolio, col(Portfolio.id) == Initiative.portfolio_id)
        .where(
            Initiative.status == "reviewing",
            col(Initiative.archived_at).is_(None),
            col(Portfolio.archived_at).is_(None),
        )
        .order_by(col(Initiative.updated_at))
    ).all()
    return [InitiativeInReview(i.title, i.portfolio_id, name) for i, name in rows]


def count_initiatives_implementing(*, session: Session, ctx: TenantContext) -> int:
    return int(
        session.exec(
            select(func.count(col(Initiative.id))).where(
                col(Initiative.archived_at).is_(None), Initiative.status == "implementing"
            )
        ).one()
    )


def count_open_risks(*, session: Session, ctx: TenantContext) -> int:
    return int(session.exec(select(func.count(col(Risk.id))).where(Risk.status == "open")).one())


def count_portfolios(*, session: Session, ctx: TenantContext) -> int:
    return int(session.exec(select(func.count(col(Portfolio.id)))).one())
