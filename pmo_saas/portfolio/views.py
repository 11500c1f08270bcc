"""Reads that the portfolio pages show together, composed from the services (no Reflex here).

Each function has the service signature (`*, session, ctx, ...`) so a page runs it with
`in_tenant` as one transaction.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from pydantic import BaseModel
from sqlmodel import Session

from pmo_saas.identity import services as identity
from pmo_saas.kernel import formatting
from pmo_saas.kernel.context import TenantContext
from pmo_saas.kernel.roles import Role, at_least
from pmo_saas.portfolio import fields, scoring
from pmo_saas.portfolio.models import Portfolio
from pmo_saas.portfolio.schemas import (
    BubblePoint,
    CriterionRow,
    HeatCell,
    InitiativeRow,
    PortfolioRow,
    RankBar,
    Ranking,
    RiskRow,
)
from pmo_saas.portfolio.services import initiatives as initiative_services
from pmo_saas.portfolio.services import portfolios as portfolio_services
from pmo_saas.portfolio.services import ranking as ranking_services
from pmo_saas.portfolio.services import risks as risk_services
from pmo_saas.portfolio.services import rounds as round_services
from pmo_saas.ui.palette import EMPTY_CELL, heat_colour


@contextmanager
def _portfolio_held(session: Session, portfolio_id: int) -> Iterator[None]:
    """Keep the portfolio's row referenced while a view composes several services.

    Each service looks the portfolio up itself (and refuses one that is missing or not ours);
    the session's identity map holds rows only weakly, so without this each look-up is a query.
    """
    held = session.get(Portfolio, portfolio_id) if 0 < portfolio_id < 2**31 else None
    try:
        yield
    finally:
        del held


class InitiativeCard(BaseModel):
    """An initiative as the board and the table show it (texts formatted on the server)."""

    id: int
    title: str
    description: str
    owner: str
    value_stream: str
    status: str
    status_label: str
    cost: str
    job_size: str
    start_date: str
    end_date: str
    moscow: str
    moscow_label: str
    tags: str
    depends_on: list[str]  # ids as text (the values of the dependency select)
    depends_on_titles: str
    origin: str  # "From coaching plan … (team …)", or ""
    archived: bool


class BoardLane(BaseModel):
    status: str
    label: str
    cards: list[InitiativeCard]


class ScoreInput(BaseModel):
    key: str
    label: str  # with the scale, e.g. "Reach (0 or more people per period)"


class InitiativesView(BaseModel):
    portfolio: PortfolioRow
    cards: list[InitiativeCard]
    board: list[BoardLane]
    inputs: list[ScoreInput]  # the model's inputs set on the initiative form (not job size)
    # initiative id -> input key -> the value as text (unscored keys absent): only the edit
    # form shows them, so the page keeps them on the server, not in every card it sends
    scores: dict[int, dict[str, str]]


def _card(row: InitiativeRow) -> InitiativeCard:
    job = row.scores.get("job_size", row.job_size)
    return InitiativeCard(
        id=row.id,
        title=row.title,
        description=row.description,
        owner=row.owner,
        value_stream=row.value_stream,
        status=row.status,
        status_label=fields.STATUSES.get(row.status, row.status),
        cost=formatting.money(row.cost),
        job_size="" if job is None else formatting.number(job),
        start_date=row.start_date or "",
        end_date=row.end_date or "",
        moscow=row.moscow or "",
        moscow_label=scoring.MOSCOW_LABELS.get(row.moscow or "", ""),
        tags=", ".join(row.tags),
        depends_on=[str(i) for i in row.depends_on],
        depends_on_titles=", ".join(row.depends_on_titles),
        origin=row.origin,
        archived=row.archived,
    )


def initiatives_view(
    *, session: Session, ctx: TenantContext, portfolio_id: int, include_archived: bool = False
) -> InitiativesView:
    with _portfolio_held(session, portfolio_id):
        return _initiatives_view(
            session=session, ctx=ctx, portfolio_id=portfolio_id, include_archived=include_archived
        )


def _initiatives_view(
    *, session: Session, ctx: TenantContext, portfolio_id: int, include_archived: bool
) -> InitiativesView:
    # Archived ones too, read once: the portfolio's count is of the active ones.
    everyone = initiative_services.list_initiatives(
        session=session, ctx=ctx, portfolio_id=portfolio_id, include_archived=True
    )
    portfolio = portfolio_services.get_portfolio(
        session=session,
        ctx=ctx,
        portfolio_id=portfolio_id,
        initiative_count=sum(not r.archived for r in everyone),
    )
    rows = [r for r in everyone if include_archived or not r.archived]
    cards = [_card(r) for r in rows]
    lanes = [
        BoardLane(
            status=status,
            label=label,
            cards=[x for x in cards if x.status == status and not x.archived],
        )
        for status, label in fields.STATUSES.items()
    ]
    criteria = [
        scoring.CriterionSpec(c.id, c.name, c.weight, c.scale_min, c.scale_max)
        for c in ranking_services.list_criteria(session=session, ctx=ctx, portfolio_id=portfolio_id)
    ]
    inputs = [
        ScoreInput(key=spec.key, label=f"{spec.label} ({spec.scale_text()})")
        for spec in scoring.input_specs(portfolio.scoring_model, criteria)
        if spec.key != "job_size"
    ]
    scores = {r.id: {k: formatting.number(v) for k, v in r.scores.items()} for r in rows}
    return InitiativesView(
        portfolio=portfolio, cards=cards, board=lanes, inputs=inputs, scores=scores
    )


def save_initiative(
    *,
    session: Session,
    ctx: TenantContext,
    initiative_id: int,
    data: dict[str, object],
    scores: dict[str, object],
) -> dict[str, str]:
    """The edit form: fields and scores in one transaction (all or nothing); the page passes
    only what changed, so a form saved as it was writes nothing. Returns the scores saved as
    the card shows them (key -> text, "" not scored)."""
    if data:
        initiative_services.update_initiative(
            session=session, ctx=ctx, initiative_id=initiative_id, data=data
        )
    if not scores:
        return {}
    stored = initiative_services.set_scores(
        session=session, ctx=ctx, initiative_id=initiative_id, scores=scores
    )
    return {k: "" if v is None else formatting.number(v) for k, v in stored.items()}


class ScoringSetup(BaseModel):
    portfolio: PortfolioRow
    formula: str
    criteria: list[CriterionRow]


def scoring_setup(*, session: Session, ctx: TenantContext, portfolio_id: int) -> ScoringSetup:
    with _portfolio_held(session, portfolio_id):
        return _scoring_setup(session=session, ctx=ctx, portfolio_id=portfolio_id)


def _scoring_setup(*, session: Session, ctx: TenantContext, portfolio_id: int) -> ScoringSetup:
    return ScoringSetup(
        portfolio=portfolio_services.get_portfolio(
            session=session, ctx=ctx, portfolio_id=portfolio_id
        ),
        formula=ranking_services.formula(session=session, ctx=ctx, portfolio_id=portfolio_id),
        criteria=ranking_services.list_criteria(
            session=session, ctx=ctx, portfolio_id=portfolio_id
        ),
    )


class RankingView(BaseModel):
    setup: ScoringSetup
    ranking: Ranking
    points: list[BubblePoint]
    bars: list[RankBar]


def ranking_view(*, session: Session, ctx: TenantContext, portfolio_id: int) -> RankingView:
    """The ranking page's reads in one transaction (its model, the ranking, both charts)."""
    with _portfolio_held(session, portfolio_id):
        return RankingView(
            setup=_scoring_setup(session=session, ctx=ctx, portfolio_id=portfolio_id),
            ranking=ranking_services.rank_portfolio(
                session=session, ctx=ctx, portfolio_id=portfolio_id, limit=200
            ),
            points=ranking_services.value_effort_points(
                session=session, ctx=ctx, portfolio_id=portfolio_id
            ),
            bars=ranking_services.ranking_bars(session=session, ctx=ctx, portfolio_id=portfolio_id),
        )


class PersonChoice(BaseModel):
    user_id: int
    label: str


def scorer_choices(*, session: Session, ctx: TenantContext) -> list[PersonChoice]:
    """Members who may score (viewers read only)."""
    return [
        PersonChoice(user_id=m.user_id, label=m.name or m.email)
        for m in identity.list_members(session=session, ctx=ctx)
        if at_least(m.role, Role.MEMBER)
    ]


class HeatSquare(BaseModel):
    probability: int
    impact: int
    count: int
    colour: str
    label: str


def _colour(exposure: int, count: int) -> str:
    """The palette's heat scale turned round: high exposure orange, low blue (not red-green)."""
    if count == 0:
        return EMPTY_CELL
    return heat_colour(26 - exposure, 1, 25)


def heat_rows(cells: list[HeatCell]) -> list[list[HeatSquare]]:
    """Rows from probability 5 (top) to 1, columns impact 1 to 5, coloured by exposure."""
    by = {(c.probability, c.impact): c.count for c in cells}
    return [
        [
            HeatSquare(
                probability=p,
                impact=i,
                count=by.get((p, i), 0),
                colour=_colour(p * i, by.get((p, i), 0)),
                label=f"Probability {p}, impact {i}: {by.get((p, i), 0)} open risk(s)",
            )
            for i in range(1, 6)
        ]
        for p in range(5, 0, -1)
    ]


class RiskView(BaseModel):
    portfolio: PortfolioRow
    risks: list[RiskRow]
    heat: list[list[HeatSquare]]
    initiatives: list[tuple[int, str]]


def risk_view(*, session: Session, ctx: TenantContext, portfolio_id: int) -> RiskView:
    with _portfolio_held(session, portfolio_id):
        return _risk_view(session=session, ctx=ctx, portfolio_id=portfolio_id)


def _risk_view(*, session: Session, ctx: TenantContext, portfolio_id: int) -> RiskView:
    portfolio = portfolio_services.get_portfolio(
        session=session, ctx=ctx, portfolio_id=portfolio_id
    )
    return RiskView(
        portfolio=portfolio,
        risks=risk_services.list_risks(session=session, ctx=ctx, portfolio_id=portfolio_id),
        heat=heat_rows(
            risk_services.risk_heat_map(session=session, ctx=ctx, portfolio_id=portfolio_id)
        ),
        initiatives=[
            (r.id, r.title)
            for r in initiative_services.list_initiatives(
                session=session, ctx=ctx, portfolio_id=portfolio_id
            )
        ],
    )


class ScoringInvite(BaseModel):
    portfolio_id: int
    portfolio_name: str
    round_id: int
    round_name: str


def my_open_rounds(*, session: Session, ctx: TenantContext) -> list[ScoringInvite]:
    """Open rounds the caller is invited to score, across the organisation's portfolios."""
    found = []
    for portfolio in portfolio_services.list_portfolios(session=session, ctx=ctx):
        for r in round_services.list_rounds(session=session, ctx=ctx, portfolio_id=portfolio.id):
            if r.status == "open" and ctx.user_id in r.scorer_ids:
                found.append(
                    ScoringInvite(
                        portfolio_id=portfolio.id,
                        portfolio_name=portfolio.name,
                        round_id=r.id,
                        round_name=r.name,
                    )
                )
    return found
