"""Portfolio prioritisation and funding: every read and write of the portfolio domain.

Functions take `session` (a tenant session: rows of other organisations do not exist in it)
and `ctx`. Everyone in the organisation reads; members score in rounds they are invited to;
coaches, admins and owners manage. Writes check `check_writable` first, validate everything
before touching a row, and record the important ones in the audit log in the same transaction.
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from pydantic import TypeAdapter
from sqlalchemy import delete
from sqlalchemy import select as sa_select
from sqlmodel import Session, col, select

from pmo_saas.billing.entitlements import check_writable
from pmo_saas.db import get_in_org
from pmo_saas.identity import audit
from pmo_saas.identity.mail import send_mail
from pmo_saas.identity.models import Membership, Organization, User
from pmo_saas.kernel.clock import utcnow
from pmo_saas.kernel.context import TenantContext
from pmo_saas.kernel.errors import Conflict, Forbidden, NotFound, ValidationFailed
from pmo_saas.kernel.roles import Role, at_least
from pmo_saas.portfolio import csvio, fields, scoring
from pmo_saas.portfolio.funding import FundingItem, fund_best_set, rank_order_cut
from pmo_saas.portfolio.models import (
    Criterion,
    Dependency,
    Initiative,
    Portfolio,
    PublishedPlan,
    Risk,
    RoundScore,
    RoundScorer,
    Scenario,
    Score,
    ScoringRound,
    StreamBudget,
)
from pmo_saas.portfolio.schemas import (
    BoardColumn,
    BubblePoint,
    CriterionRow,
    FundingLine,
    FundingPlan,
    HeatCell,
    ImportPreview,
    ImportResult,
    ImportRowError,
    InitiativeRow,
    PortfolioRow,
    PublishedPlanRow,
    RankBar,
    Ranking,
    RankRow,
    RiskRow,
    RoundCell,
    RoundRow,
    RoundSummary,
    ScenarioComparison,
    ScenarioRow,
    ScoringSheet,
)
from pmo_saas.settings import get_settings

MANAGE = Role.COACH
MANAGE_MESSAGE = "Only coaches, admins and owners can change the portfolio."
SCORER_MESSAGE = "Viewers read the portfolio but do not score."


def _can_write(
    session: Session, ctx: TenantContext, minimum: Role = MANAGE, message: str = MANAGE_MESSAGE
) -> None:
    check_writable(session=session, ctx=ctx)
    ctx.require(minimum, message)


# ---------------------------------------------------------------- look-ups (in the org only)


def _portfolio(session: Session, portfolio_id: int) -> Portfolio:
    return get_in_org(session, Portfolio, portfolio_id, "That portfolio")


def _initiative(session: Session, initiative_id: int) -> Initiative:
    return get_in_org(session, Initiative, initiative_id, "That initiative")


def _round(session: Session, round_id: int) -> ScoringRound:
    return get_in_org(session, ScoringRound, round_id, "That scoring round")


def _scenario(session: Session, scenario_id: int) -> Scenario:
    return get_in_org(session, Scenario, scenario_id, "That scenario")


def _risk(session: Session, risk_id: int) -> Risk:
    return get_in_org(session, Risk, risk_id, "That risk")


def _initiatives(
    session: Session, portfolio_id: int, *, include_archived: bool = False
) -> list[Initiative]:
    query = select(Initiative).where(Initiative.portfolio_id == portfolio_id)
    if not include_archived:
        query = query.where(col(Initiative.archived_at).is_(None))
    return list(session.exec(query.order_by(col(Initiative.id))).all())


def _scores(session: Session, portfolio_id: int) -> dict[int, dict[str, float]]:
    found: dict[int, dict[str, float]] = defaultdict(dict)
    rows = session.exec(
        select(Score.initiative_id, Score.key, Score.value)
        .join(Initiative, col(Initiative.id) == Score.initiative_id)
        .where(Initiative.portfolio_id == portfolio_id)
    ).all()
    for initiative_id, key, value in rows:
        found[initiative_id][key] = value
    return found


def _dependencies(session: Session, portfolio_id: int) -> dict[int, list[int]]:
    found: dict[int, list[int]] = defaultdict(list)
    rows = session.exec(
        select(Dependency.initiative_id, Dependency.depends_on_id)
        .join(Initiative, col(Initiative.id) == Dependency.initiative_id)
        .where(Initiative.portfolio_id == portfolio_id)
        .order_by(col(Dependency.id))
    ).all()
    for initiative_id, depends_on_id in rows:
        found[initiative_id].append(depends_on_id)
    return found


def _criteria(session: Session, portfolio_id: int) -> list[scoring.CriterionSpec]:
    rows = session.exec(
        select(Criterion)
        .where(Criterion.portfolio_id == portfolio_id)
        .order_by(col(Criterion.position), col(Criterion.id))
    ).all()
    return [
        scoring.CriterionSpec(
            id=c.id or 0,
            name=c.name,
            weight=c.weight,
            scale_min=c.scale_min,
            scale_max=c.scale_max,
        )
        for c in rows
    ]


def _stream_budgets(session: Session, portfolio_id: int) -> dict[str, int]:
    rows = session.exec(
        select(StreamBudget)
        .where(StreamBudget.portfolio_id == portfolio_id)
        .order_by(col(StreamBudget.value_stream))
    ).all()
    return {r.value_stream: r.amount for r in rows}


def _member_names(session: Session, user_ids: Iterable[int]) -> dict[int, str]:
    ids = list(set(user_ids))
    if not ids:
        return {}
    rows = session.exec(
        select(User.id, User.name)
        .join(Membership, col(Membership.user_id) == User.id)
        .where(col(User.id).in_(ids))
    ).all()
    return {uid: name for uid, name in rows if uid is not None}


# ---------------------------------------------------------------- portfolios


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
        org_id=ctx.org_id,
        name=name,
        description=description,
        scoring_model=model,
        currency=currency,
    )
    session.add(portfolio)
    session.flush()
    assert portfolio.id is not None
    audit.record(session=session, ctx=ctx, action="portfolio.created", target=name)
    return portfolio.id


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


def get_portfolio(*, session: Session, ctx: TenantContext, portfolio_id: int) -> PortfolioRow:
    portfolio = _portfolio(session, portfolio_id)
    return _portfolio_row(session, portfolio, len(_initiatives(session, portfolio_id)))


def set_budget(
    *,
    session: Session,
    ctx: TenantContext,
    portfolio_id: int,
    budget: object,
    stream_budgets: Mapping[str, object] | None = None,
) -> None:
    """The portfolio budget, optionally split across value streams (all replaced at once)."""
    _can_write(session, ctx)
    portfolio = _portfolio(session, portfolio_id)
    total = fields.clean_money(budget, what="budget")
    split: dict[str, int] = {}
    for raw_stream, raw_amount in (stream_budgets or {}).items():
        stream = fields.clean_text(raw_stream, what="value stream", max_length=120, required=True)
        amount = fields.clean_money(raw_amount, what=f"budget for {stream}", required=True)
        assert amount is not None
        if stream in split:
            raise ValidationFailed(f"The value stream “{stream}” is listed twice.")
        split[stream] = amount
    if split and total is None:
        raise ValidationFailed("Set the total budget before splitting it.", field="budget")
    if total is not None and sum(split.values()) > total:
        raise ValidationFailed(
            f"The value-stream budgets add up to {scoring.fmt(sum(split.values()))}, more than "
            f"the total budget of {scoring.fmt(total)}.",
            field="budget",
        )
    portfolio.budget = total
    session.add(portfolio)
    session.exec(delete(StreamBudget).where(col(StreamBudget.portfolio_id) == portfolio_id))
    for stream, amount in split.items():
        session.add(
            StreamBudget(
                org_id=ctx.org_id, portfolio_id=portfolio_id, value_stream=stream, amount=amount
            )
        )
    detail = f"{total}" + (f"; split {split}" if split else "")
    audit.record(
        session=session,
        ctx=ctx,
        action="portfolio.budget_set",
        target=portfolio.name,
        detail=detail,
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
        org_id=ctx.org_id,
        portfolio_id=portfolio_id,
        name=clean_name,
        weight=w,
        scale_min=low,
        scale_max=high,
        position=len(existing),
    )
    session.add(criterion)
    session.flush()
    assert criterion.id is not None
    audit.record(
        session=session,
        ctx=ctx,
        action="portfolio.criterion_added",
        target=portfolio.name,
        detail=f"{clean_name} weight {w} scale {low}-{high}",
    )
    return criterion.id


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
    criterion = session.exec(select(Criterion).where(Criterion.id == criterion_id)).first()
    if criterion is None:
        raise NotFound("That criterion")
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
    criterion = session.exec(select(Criterion).where(Criterion.id == criterion_id)).first()
    if criterion is None:
        raise NotFound("That criterion")
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


# ---------------------------------------------------------------- initiatives

EDITABLE = (
    "title",
    "description",
    "owner",
    "value_stream",
    "status",
    "cost",
    "job_size",
    "start_date",
    "end_date",
    "moscow",
    "tags",
    "depends_on",
)


def _clean_initiative_fields(data: Mapping[str, object]) -> dict[str, Any]:
    unknown = sorted(set(data) - set(EDITABLE))
    if unknown:
        raise ValidationFailed(f"Unknown initiative field(s): {', '.join(unknown)}.")
    clean: dict[str, Any] = {}
    for key, raw in data.items():
        if key == "title":
            clean[key] = fields.clean_text(raw, what="title", max_length=200, required=True)
        elif key == "description":
            clean[key] = fields.clean_text(raw, what="description", max_length=10_000)
        elif key in ("owner", "value_stream"):
            clean[key] = fields.clean_text(raw, what=key.replace("_", " "), max_length=120)
        elif key == "status":
            clean[key] = fields.clean_status(raw)
        elif key == "cost":
            clean[key] = fields.clean_money(raw)
        elif key == "job_size":
            empty = raw is None or (isinstance(raw, str) and not raw.strip())
            clean[key] = None if empty else scoring.ALL_FIXED_INPUTS["job_size"].parse(raw)
        elif key in ("start_date", "end_date"):
            clean[key] = fields.clean_date(raw, what=key.replace("_", " "))
        elif key == "moscow":
            clean[key] = fields.clean_moscow(raw)
        elif key == "tags":
            clean[key] = fields.clean_tags(raw)
        elif key == "depends_on":
            if not isinstance(raw, list | tuple | set):
                raise ValidationFailed("Dependencies are a list of initiatives.")
            try:
                clean[key] = sorted({int(str(i)) for i in raw})
            except ValueError:
                raise ValidationFailed("Dependencies are a list of initiatives.") from None
    return clean


def _check_title_free(
    session: Session, portfolio_id: int, title: str, except_id: int | None = None
) -> None:
    query = select(Initiative.id).where(
        Initiative.portfolio_id == portfolio_id, Initiative.title == title
    )
    if except_id is not None:
        query = query.where(Initiative.id != except_id)
    if session.exec(query).first():
        raise Conflict(f"An initiative called “{title}” exists in this portfolio.")


def _check_dependencies(
    session: Session, initiative: Initiative, depends_on: Sequence[int]
) -> None:
    """Same portfolio, not itself, and no cycle (the cycle is named)."""
    if initiative.id is not None and initiative.id in depends_on:
        raise ValidationFailed("An initiative cannot depend on itself.", field="depends_on")
    if not depends_on:
        return
    targets = session.exec(
        select(Initiative.id).where(
            col(Initiative.id).in_(list(depends_on)),
            Initiative.portfolio_id == initiative.portfolio_id,
        )
    ).all()
    if len(set(targets)) != len(set(depends_on)):
        raise NotFound("A dependency")
    if initiative.id is None:
        return  # a new initiative has no dependants yet, so it cannot close a cycle
    edges = {initiative.id: list(depends_on)}  # searched first: the cycle starts with it
    for source, targets in _dependencies(session, initiative.portfolio_id).items():
        edges.setdefault(source, targets)
    cycle = fields.find_cycle(edges)
    if cycle:
        titles = {
            i.id: i.title
            for i in _initiatives(session, initiative.portfolio_id, include_archived=True)
            if i.id is not None
        }
        raise ValidationFailed(fields.cycle_message(cycle, titles), field="depends_on")


def _replace_dependencies(
    session: Session, ctx: TenantContext, initiative_id: int, depends_on: Sequence[int]
) -> None:
    session.exec(delete(Dependency).where(col(Dependency.initiative_id) == initiative_id))
    for dep in depends_on:
        session.add(Dependency(org_id=ctx.org_id, initiative_id=initiative_id, depends_on_id=dep))


def _upsert_score(
    session: Session, ctx: TenantContext, initiative_id: int, key: str, value: float | None
) -> None:
    existing = session.exec(
        select(Score).where(Score.initiative_id == initiative_id, Score.key == key)
    ).first()
    if value is None:
        if existing is not None:
            session.delete(existing)
        return
    if existing is None:
        session.add(Score(org_id=ctx.org_id, initiative_id=initiative_id, key=key, value=value))
    else:
        existing.value = value
        existing.updated_at = utcnow()
        session.add(existing)


def create_initiative(
    *, session: Session, ctx: TenantContext, portfolio_id: int, data: Mapping[str, object]
) -> int:
    """`data` holds any of EDITABLE (strings as typed, or typed values); title is required."""
    _can_write(session, ctx)
    portfolio = _portfolio(session, portfolio_id)
    clean = _clean_initiative_fields({"title": "", **data})
    fields.check_dates(clean.get("start_date"), clean.get("end_date"))
    _check_title_free(session, portfolio_id, clean["title"])
    depends_on = clean.pop("depends_on", [])
    job_size = clean.pop("job_size", None)
    initiative = Initiative(org_id=ctx.org_id, portfolio_id=portfolio_id, **clean)
    _check_dependencies(session, initiative, depends_on)
    session.add(initiative)
    session.flush()
    assert initiative.id is not None
    _replace_dependencies(session, ctx, initiative.id, depends_on)
    if job_size is not None:
        _upsert_score(session, ctx, initiative.id, "job_size", job_size)
    audit.record(
        session=session,
        ctx=ctx,
        action="initiative.created",
        target=initiative.title,
        detail=f"portfolio {portfolio.name}",
    )
    return initiative.id


def update_initiative(
    *, session: Session, ctx: TenantContext, initiative_id: int, data: Mapping[str, object]
) -> None:
    _can_write(session, ctx)
    initiative = _initiative(session, initiative_id)
    clean = _clean_initiative_fields(data)
    start = clean.get("start_date", initiative.start_date)
    end = clean.get("end_date", initiative.end_date)
    fields.check_dates(start, end)
    if "title" in clean:
        _check_title_free(session, initiative.portfolio_id, clean["title"], initiative_id)
    if "depends_on" in clean:
        _check_dependencies(session, initiative, clean["depends_on"])
        _replace_dependencies(session, ctx, initiative_id, clean.pop("depends_on"))
    if "job_size" in clean:
        _upsert_score(session, ctx, initiative_id, "job_size", clean.pop("job_size"))
    for key, value in clean.items():
        setattr(initiative, key, value)
    initiative.updated_at = utcnow()
    session.add(initiative)
    audit.record(
        session=session,
        ctx=ctx,
        action="initiative.updated",
        target=initiative.title,
        detail=", ".join(sorted(data)),
    )


def move_initiative(
    *, session: Session, ctx: TenantContext, initiative_id: int, status: str
) -> None:
    """Move a card along the portfolio kanban."""
    _can_write(session, ctx)
    initiative = _initiative(session, initiative_id)
    old, initiative.status = initiative.status, fields.clean_status(status)
    initiative.updated_at = utcnow()
    session.add(initiative)
    audit.record(
        session=session,
        ctx=ctx,
        action="initiative.moved",
        target=initiative.title,
        detail=f"{old} → {initiative.status}",
    )


def set_dependencies(
    *, session: Session, ctx: TenantContext, initiative_id: int, depends_on: Sequence[int]
) -> None:
    update_initiative(
        session=session, ctx=ctx, initiative_id=initiative_id, data={"depends_on": depends_on}
    )


def archive_initiative(
    *, session: Session, ctx: TenantContext, initiative_id: int, archived: bool = True
) -> None:
    _can_write(session, ctx)
    initiative = _initiative(session, initiative_id)
    initiative.archived_at = utcnow() if archived else None
    initiative.updated_at = utcnow()
    session.add(initiative)
    action = "initiative.archived" if archived else "initiative.restored"
    audit.record(session=session, ctx=ctx, action=action, target=initiative.title)


def _initiative_rows(session: Session, initiatives: Sequence[Initiative]) -> list[InitiativeRow]:
    if not initiatives:
        return []
    portfolio_id = initiatives[0].portfolio_id
    scores = _scores(session, portfolio_id)
    deps = _dependencies(session, portfolio_id)
    titles = {
        i.id: i.title
        for i in _initiatives(session, portfolio_id, include_archived=True)
        if i.id is not None
    }
    rows = []
    for i in initiatives:
        assert i.id is not None
        mine = scores.get(i.id, {})
        rows.append(
            InitiativeRow(
                id=i.id,
                portfolio_id=i.portfolio_id,
                title=i.title,
                description=i.description,
                owner=i.owner,
                value_stream=i.value_stream,
                status=i.status,
                cost=i.cost,
                job_size=mine.get("job_size"),
                start_date=i.start_date.isoformat() if i.start_date else None,
                end_date=i.end_date.isoformat() if i.end_date else None,
                moscow=i.moscow,
                tags=fields.tag_list(i.tags),
                depends_on=deps.get(i.id, []),
                depends_on_titles=[titles.get(d, "?") for d in deps.get(i.id, [])],
                scores=dict(mine),
                archived=i.archived_at is not None,
            )
        )
    return rows


def list_initiatives(
    *,
    session: Session,
    ctx: TenantContext,
    portfolio_id: int,
    include_archived: bool = False,
    status: str | None = None,
    tag: str | None = None,
    value_stream: str | None = None,
) -> list[InitiativeRow]:
    """The table view, filtered."""
    _portfolio(session, portfolio_id)
    found = _initiatives(session, portfolio_id, include_archived=include_archived)
    if status:
        found = [i for i in found if i.status == status]
    if tag:
        found = [i for i in found if tag.lower() in fields.tag_list(i.tags)]
    if value_stream:
        found = [i for i in found if i.value_stream == value_stream]
    return _initiative_rows(session, found)


def get_initiative(*, session: Session, ctx: TenantContext, initiative_id: int) -> InitiativeRow:
    return _initiative_rows(session, [_initiative(session, initiative_id)])[0]


def board(*, session: Session, ctx: TenantContext, portfolio_id: int) -> list[BoardColumn]:
    """The kanban: one column per status, funnel to done."""
    rows = list_initiatives(session=session, ctx=ctx, portfolio_id=portfolio_id)
    return [
        BoardColumn(status=s, label=label, cards=[r for r in rows if r.status == s])
        for s, label in fields.STATUSES.items()
    ]


# ---------------------------------------------------------------- CSV import and export


def _existing_titles(session: Session, portfolio_id: int) -> dict[str, int]:
    return {
        i.title.lower(): i.id
        for i in _initiatives(session, portfolio_id, include_archived=True)
        if i.id is not None
    }


def preview_import(
    *, session: Session, ctx: TenantContext, portfolio_id: int, data: bytes
) -> ImportPreview:
    """Every row checked and every problem listed; nothing is written."""
    ctx.require(MANAGE, MANAGE_MESSAGE)
    _portfolio(session, portfolio_id)
    reading = csvio.read_initiatives_csv(
        data, existing_titles=_existing_titles(session, portfolio_id)
    )
    return ImportPreview(
        columns=reading.columns,
        rows=[r.raw for r in reading.rows],
        errors=[ImportRowError(row=line, message=msg) for line, msg in reading.errors],
        file_errors=reading.file_errors,
    )


# Flushing in batches keeps a large import linear (each flush inspects every pending object).
FLUSH_EVERY = 500


def import_initiatives(
    *,
    session: Session,
    ctx: TenantContext,
    portfolio_id: int,
    data: bytes,
    skip_invalid: bool = False,
) -> ImportResult:
    """Write the previewed rows in one transaction; with row errors, only if `skip_invalid`."""
    _can_write(session, ctx)
    portfolio = _portfolio(session, portfolio_id)
    existing = _existing_titles(session, portfolio_id)
    reading = csvio.read_initiatives_csv(data, existing_titles=existing)
    if reading.file_errors:
        raise ValidationFailed(" ".join(reading.file_errors), field="file")
    if reading.errors and not skip_invalid:
        lines = ", ".join(str(line) for line, _ in reading.errors)
        raise ValidationFailed(
            f"Line(s) {lines} have errors. Fix them, or import only the valid rows.",
            field="file",
        )
    if not reading.rows:
        raise ValidationFailed("The file has no valid rows to import.", field="file")
    ids = dict(existing)
    created: list[Initiative] = []
    for n, row in enumerate(reading.rows, start=1):
        initiative = Initiative(org_id=ctx.org_id, portfolio_id=portfolio_id, **row.values)  # type: ignore[arg-type]
        session.add(initiative)
        created.append(initiative)
        if n % FLUSH_EVERY == 0:
            session.flush()
    session.flush()
    for initiative in created:
        assert initiative.id is not None
        ids[initiative.title.lower()] = initiative.id
    pending = 0
    for row, initiative in zip(reading.rows, created, strict=True):
        assert initiative.id is not None
        links = [
            Dependency(org_id=ctx.org_id, initiative_id=initiative.id, depends_on_id=dep)
            for dep in sorted({ids[d.lower()] for d in row.depends_on})
        ]
        scores = [
            Score(org_id=ctx.org_id, initiative_id=initiative.id, key=key, value=value)
            for key, value in row.scores.items()
        ]
        session.add_all([*links, *scores])
        pending += len(links) + len(scores)
        if pending >= FLUSH_EVERY:
            session.flush()
            pending = 0
    skipped = [line for line, _ in reading.errors]
    audit.record(
        session=session,
        ctx=ctx,
        action="initiatives.imported",
        target=portfolio.name,
        detail=f"{len(created)} created" + (f"; skipped lines {skipped}" if skipped else ""),
    )
    return ImportResult(created=len(created), skipped_rows=skipped)


def export_initiatives(
    *, session: Session, ctx: TenantContext, portfolio_id: int, include_archived: bool = False
) -> str:
    rows = list_initiatives(
        session=session, ctx=ctx, portfolio_id=portfolio_id, include_archived=include_archived
    )
    return csvio.write_initiatives_csv(
        {
            **r.model_dump(include=set(csvio.INITIATIVE_COLUMNS)),
            "depends_on": r.depends_on_titles,
            "tags": r.tags,
            **{k: r.scores[k] for k in csvio.SCORE_COLUMNS if k in r.scores},
        }
        for r in rows
    )


# ---------------------------------------------------------------- scores


def set_scores(
    *,
    session: Session,
    ctx: TenantContext,
    initiative_id: int,
    scores: Mapping[str, object],
) -> None:
    """Set (or, with None or "", clear back to "not scored") inputs; all or nothing."""
    _can_write(session, ctx)
    initiative = _initiative(session, initiative_id)
    criteria = _criteria(session, initiative.portfolio_id)
    clean: dict[str, float | None] = {}
    for key, raw in scores.items():
        spec = scoring.spec_for(key, criteria)
        empty = raw is None or (isinstance(raw, str) and not raw.strip())
        clean[key] = None if empty else spec.parse(raw, where=initiative.title)
    for key, value in clean.items():
        _upsert_score(session, ctx, initiative_id, key, value)
    audit.record(
        session=session,
        ctx=ctx,
        action="initiative.scored",
        target=initiative.title,
        detail=", ".join(f"{k}={'not scored' if v is None else v}" for k, v in clean.items()),
    )


# ---------------------------------------------------------------- ranking


@dataclass(frozen=True, slots=True)
class _Facts:
    """What ranking and funding read of an initiative (columns, not ORM rows: 10,000 load fast)."""

    id: int
    title: str
    cost: int | None
    value_stream: str
    moscow: str | None
    manual_rank: int | None
    manual_rank_reason: str


def _rank_inputs(
    session: Session, portfolio: Portfolio
) -> tuple[list[scoring.RankInput], list[scoring.CriterionSpec], list[_Facts]]:
    assert portfolio.id is not None
    criteria = _criteria(session, portfolio.id)
    facts = [
        _Facts(*row)
        for row in session.exec(  # type: ignore[call-overload]  # sqlmodel types 4 columns
            sa_select(
                col(Initiative.id),
                col(Initiative.title),
                col(Initiative.cost),
                col(Initiative.value_stream),
                col(Initiative.moscow),
                col(Initiative.manual_rank),
                col(Initiative.manual_rank_reason),
            )
            .where(
                col(Initiative.portfolio_id) == portfolio.id, col(Initiative.archived_at).is_(None)
            )
            .order_by(col(Initiative.id))
        ).all()
    ]
    scores = _scores(session, portfolio.id)
    inputs = []
    for i in facts:
        result = scoring.compute(
            portfolio.scoring_model, scores.get(i.id, {}), moscow=i.moscow, criteria=criteria
        )
        inputs.append(
            scoring.RankInput(
                id=i.id,
                title=i.title,
                result=result,
                manual_rank=i.manual_rank,
                manual_reason=i.manual_rank_reason,
                extra={"moscow": i.moscow, "cost": i.cost, "value_stream": i.value_stream},
            )
        )
    return inputs, criteria, facts


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


# ---------------------------------------------------------------- funding


def _clean_overrides(
    session: Session, portfolio_id: int, overrides: Mapping[Any, object] | None
) -> dict[int, str]:
    clean: dict[int, str] = {}
    if not overrides:
        return clean
    known = {i.id for i in _initiatives(session, portfolio_id)}
    for raw_id, raw_force in overrides.items():
        try:
            initiative_id = int(raw_id)
        except (TypeError, ValueError):
            raise NotFound("An initiative in the scenario") from None
        if initiative_id not in known:
            raise NotFound("An initiative in the scenario")
        force = str(raw_force).strip().lower()
        if force not in ("in", "out"):
            raise ValidationFailed("A scenario forces an initiative “in” or “out”.")
        clean[initiative_id] = force
    return clean


def _funding_plan(
    session: Session,
    portfolio: Portfolio,
    budget: int,
    stream_budgets: Mapping[str, int],
    overrides: Mapping[int, str],
) -> FundingPlan:
    assert portfolio.id is not None
    inputs, _, initiatives = _rank_inputs(session, portfolio)
    deps = _dependencies(session, portfolio.id)
    by_id = {i.id: i for i in initiatives}
    results = {r.id: r.result for r in inputs}
    items = {
        i.id: FundingItem(
            id=i.id,
            title=i.title,
            value=results[i.id].value or 0.0,
            cost=i.cost,
            stream=i.value_stream,
            moscow=i.moscow,
            depends_on=tuple(deps.get(i.id, ())),
            force=overrides.get(i.id),
            scored=results[i.id].value is not None,
        )
        for i in initiatives
        if i.id is not None
    }
    best = fund_best_set(list(items.values()), budget, stream_budgets)
    ranked = [items[r.item.id] for r in scoring.rank(inputs)]
    cut = rank_order_cut(ranked, budget, stream_budgets)
    funded, in_cut = set(best.funded), set(cut.funded)
    lines = [
        FundingLine(
            initiative_id=item.id,
            title=item.title,
            cost=item.cost,
            value=results[item.id].value,
            value_stream=item.stream,
            moscow=by_id[item.id].moscow,
            funded=item.id in funded,
            in_rank_cut=item.id in in_cut,
            reason=best.reasons[item.id],
        )
        for item in ranked
    ]
    return FundingPlan(
        budget=budget,
        stream_budgets=dict(stream_budgets),
        funded_ids=best.funded,
        total_value=best.total_value,
        total_cost=best.total_cost,
        stream_spend=best.stream_spend,
        cut_funded_ids=cut.funded,
        cut_total_value=cut.total_value,
        cut_total_cost=cut.total_cost,
        cut_problems=cut.problems,
        warnings=best.warnings,
        lines=lines,
    )


def fund_portfolio(
    *,
    session: Session,
    ctx: TenantContext,
    portfolio_id: int,
    budget: object = None,
    overrides: Mapping[Any, object] | None = None,
) -> FundingPlan:
    """ "Fund the best set": the exact optimum beside the plain rank-order cut (writes nothing)."""
    portfolio = _portfolio(session, portfolio_id)
    amount = fields.clean_money(budget, what="budget")
    if amount is None:
        amount = portfolio.budget
    if amount is None:
        raise ValidationFailed("Set a budget for the portfolio first.", field="budget")
    return _funding_plan(
        session,
        portfolio,
        amount,
        _stream_budgets(session, portfolio_id),
        _clean_overrides(session, portfolio_id, overrides),
    )


# ---------------------------------------------------------------- scenarios and the plan


def _scenario_row(s: Scenario) -> ScenarioRow:
    assert s.id is not None
    return ScenarioRow(
        id=s.id,
        name=s.name,
        budget=s.budget,
        overrides={int(k): v for k, v in json.loads(s.overrides_json).items()},
        created_at=s.created_at.date().isoformat(),
    )


def create_scenario(
    *,
    session: Session,
    ctx: TenantContext,
    portfolio_id: int,
    name: str,
    budget: object = None,
    overrides: Mapping[Any, object] | None = None,
) -> int:
    _can_write(session, ctx)
    portfolio = _portfolio(session, portfolio_id)
    name = fields.clean_text(name, what="scenario name", max_length=120, required=True)
    amount = fields.clean_money(budget, what="budget")
    if amount is None:
        amount = portfolio.budget
    if amount is None:
        raise ValidationFailed("Give the scenario a budget.", field="budget")
    clean = _clean_overrides(session, portfolio_id, overrides)
    clash = session.exec(
        select(Scenario.id).where(Scenario.portfolio_id == portfolio_id, Scenario.name == name)
    ).first()
    if clash:
        raise Conflict(f"A scenario called “{name}” exists already.")
    scenario = Scenario(
        org_id=ctx.org_id,
        portfolio_id=portfolio_id,
        name=name,
        budget=amount,
        overrides_json=json.dumps({str(k): v for k, v in sorted(clean.items())}),
    )
    session.add(scenario)
    session.flush()
    assert scenario.id is not None
    audit.record(
        session=session,
        ctx=ctx,
        action="scenario.created",
        target=name,
        detail=f"budget {amount}, overrides {clean}",
    )
    return scenario.id


def update_scenario(
    *,
    session: Session,
    ctx: TenantContext,
    scenario_id: int,
    budget: object = None,
    overrides: Mapping[Any, object] | None = None,
) -> None:
    _can_write(session, ctx)
    scenario = _scenario(session, scenario_id)
    amount = fields.clean_money(budget, what="budget")
    if amount is not None:
        scenario.budget = amount
    if overrides is not None:
        clean = _clean_overrides(session, scenario.portfolio_id, overrides)
        scenario.overrides_json = json.dumps({str(k): v for k, v in sorted(clean.items())})
    session.add(scenario)
    audit.record(session=session, ctx=ctx, action="scenario.updated", target=scenario.name)


def delete_scenario(*, session: Session, ctx: TenantContext, scenario_id: int) -> None:
    _can_write(session, ctx)
    scenario = _scenario(session, scenario_id)
    session.delete(scenario)
    audit.record(session=session, ctx=ctx, action="scenario.deleted", target=scenario.name)


def list_scenarios(*, session: Session, ctx: TenantContext, portfolio_id: int) -> list[ScenarioRow]:
    _portfolio(session, portfolio_id)
    rows = session.exec(
        select(Scenario).where(Scenario.portfolio_id == portfolio_id).order_by(col(Scenario.name))
    ).all()
    return [_scenario_row(s) for s in rows]


def _scenario_plan(session: Session, scenario: Scenario) -> FundingPlan:
    portfolio = _portfolio(session, scenario.portfolio_id)
    overrides = {int(k): v for k, v in json.loads(scenario.overrides_json).items()}
    live = {i.id for i in _initiatives(session, scenario.portfolio_id)}
    overrides = {k: v for k, v in overrides.items() if k in live}  # archived since: ignore
    return _funding_plan(
        session,
        portfolio,
        scenario.budget,
        _stream_budgets(session, scenario.portfolio_id),
        overrides,
    )


def compare_scenarios(
    *, session: Session, ctx: TenantContext, scenario_ids: Sequence[int]
) -> ScenarioComparison:
    """Scenarios side by side; one whose Musts do not fit says why instead of failing all."""
    scenarios = [_scenario(session, sid) for sid in scenario_ids]
    if len({s.portfolio_id for s in scenarios}) > 1:
        raise ValidationFailed("Compare scenarios of one portfolio at a time.")
    plans: list[FundingPlan | None] = []
    errors: list[str | None] = []
    for scenario in scenarios:
        try:
            plans.append(_scenario_plan(session, scenario))
            errors.append(None)
        except ValidationFailed as error:
            plans.append(None)
            errors.append(str(error))
    titles: dict[int, str] = {}
    if scenarios:
        titles = {
            i.id: i.title
            for i in _initiatives(session, scenarios[0].portfolio_id)
            if i.id is not None
        }
    return ScenarioComparison(
        scenarios=[_scenario_row(s) for s in scenarios],
        plans=plans,
        errors=errors,
        initiative_titles=titles,
    )


def publish_scenario(*, session: Session, ctx: TenantContext, scenario_id: int) -> int:
    """Publish the scenario's funding result as the plan: a dated snapshot that stays as is."""
    _can_write(session, ctx)
    scenario = _scenario(session, scenario_id)
    plan = _scenario_plan(session, scenario)
    published = PublishedPlan(
        org_id=ctx.org_id,
        portfolio_id=scenario.portfolio_id,
        scenario_id=scenario.id,
        scenario_name=scenario.name,
        published_by_id=ctx.user_id,
        snapshot_json=plan.model_dump_json(),
    )
    session.add(published)
    session.flush()
    assert published.id is not None
    audit.record(
        session=session,
        ctx=ctx,
        action="scenario.published",
        target=scenario.name,
        detail=f"{len(plan.funded_ids)} funded, cost {plan.total_cost} of {plan.budget}",
    )
    return published.id


def list_published_plans(
    *, session: Session, ctx: TenantContext, portfolio_id: int
) -> list[PublishedPlanRow]:
    """Newest first: the first is the current plan."""
    _portfolio(session, portfolio_id)
    rows = session.exec(
        select(PublishedPlan)
        .where(PublishedPlan.portfolio_id == portfolio_id)
        .order_by(col(PublishedPlan.published_at).desc(), col(PublishedPlan.id).desc())
    ).all()
    names = _member_names(session, (r.published_by_id for r in rows if r.published_by_id))
    return [
        PublishedPlanRow(
            id=r.id or 0,
            scenario_name=r.scenario_name,
            published_at=r.published_at.isoformat(),
            published_by=names.get(r.published_by_id or 0, ""),
            plan=FundingPlan.model_validate_json(r.snapshot_json),
        )
        for r in rows
    ]


# ---------------------------------------------------------------- collaborative scoring rounds


def _round_row(r: ScoringRound, scorer_ids: list[int], criteria: Sequence[Any]) -> RoundRow:
    assert r.id is not None
    keys = json.loads(r.keys_json)
    labels = []
    for key in keys:
        try:
            labels.append(scoring.spec_for(key, criteria).label)
        except ValidationFailed:
            labels.append(key)
    return RoundRow(
        id=r.id,
        name=r.name,
        status=r.status,
        keys=keys,
        key_labels=labels,
        initiative_ids=json.loads(r.initiative_ids_json),
        scorer_ids=scorer_ids,
        created_at=r.created_at.isoformat(),
    )


def _scorer_ids(session: Session, round_id: int) -> list[int]:
    return sorted(
        session.exec(select(RoundScorer.user_id).where(RoundScorer.round_id == round_id)).all()
    )


def open_scoring_round(
    *,
    session: Session,
    ctx: TenantContext,
    portfolio_id: int,
    name: str,
    scorer_user_ids: Sequence[int],
    keys: Sequence[str] | None = None,
    initiative_ids: Sequence[int] | None = None,
) -> int:
    """A coach opens a round: invited scorers score every initiative, one input at a time."""
    _can_write(session, ctx)
    portfolio = _portfolio(session, portfolio_id)
    name = fields.clean_text(name, what="round name", max_length=120, required=True)
    criteria = _criteria(session, portfolio_id)
    if keys is None:
        keys = [s.key for s in scoring.input_specs(portfolio.scoring_model, criteria)]
    keys = list(dict.fromkeys(keys))
    if not keys:
        raise ValidationFailed(
            "This portfolio's scoring model has no inputs to score (MoSCoW is set on each "
            "initiative; weighted criteria need criteria first)."
        )
    for key in keys:
        scoring.spec_for(key, criteria)
    live = [i.id for i in _initiatives(session, portfolio_id) if i.id is not None]
    chosen = live if initiative_ids is None else list(dict.fromkeys(initiative_ids))
    if not chosen:
        raise ValidationFailed("The round needs at least one initiative to score.")
    if set(chosen) - set(live):
        raise NotFound("An initiative of the round")
    people = list(dict.fromkeys(scorer_user_ids))
    if not people:
        raise ValidationFailed("Invite at least one scorer.", field="scorers")
    memberships = {
        m.user_id: m
        for m in session.exec(select(Membership).where(col(Membership.user_id).in_(people))).all()
    }
    for user_id in people:
        if user_id not in memberships:
            raise NotFound("A scorer")
        if not at_least(memberships[user_id].role, Role.MEMBER):
            name_of = _member_names(session, [user_id]).get(user_id, "A viewer")
            raise ValidationFailed(
                f"{name_of} is a viewer; viewers read the portfolio but do not score.",
                field="scorers",
            )
    scoring_round = ScoringRound(
        org_id=ctx.org_id,
        portfolio_id=portfolio_id,
        name=name,
        keys_json=json.dumps(keys),
        initiative_ids_json=json.dumps(chosen),
        opened_by_id=ctx.user_id,
    )
    session.add(scoring_round)
    session.flush()
    assert scoring_round.id is not None
    for user_id in people:
        session.add(RoundScorer(org_id=ctx.org_id, round_id=scoring_round.id, user_id=user_id))
    _invite_scorers(
        session,
        ctx,
        people,
        round_name=name,
        portfolio_name=portfolio.name,
        path=f"/portfolio/p/{portfolio_id}/rounds/{scoring_round.id}",
    )
    audit.record(
        session=session,
        ctx=ctx,
        action="round.opened",
        target=name,
        detail=f"portfolio {portfolio.name}; {len(people)} scorers; {len(chosen)} initiatives",
    )
    return scoring_round.id


def _invite_scorers(
    session: Session,
    ctx: TenantContext,
    user_ids: Sequence[int],
    *,
    round_name: str,
    portfolio_name: str,
    path: str,
) -> None:
    org = session.get(Organization, ctx.org_id)
    link = f"{get_settings().public_url}/o/{org.slug if org else ''}{path}"
    people = session.exec(
        select(User.email, User.name)
        .join(Membership, col(Membership.user_id) == User.id)
        .where(col(User.id).in_(list(user_ids)))
    ).all()
    for email, person in people:
        send_mail(
            session=session,
            to=email,
            subject=f"You are invited to score “{portfolio_name}”",
            body=(
                f"Hello {person},\n\nA scoring round, “{round_name}”, is open for the portfolio "
                f"“{portfolio_name}”. You score one criterion at a time across all initiatives; "
                "nobody sees your scores until the facilitator settles the round.\n\n"
                f"Sign in to score: {link}\n"
            ),
            org_id=ctx.org_id,
        )


def list_rounds(*, session: Session, ctx: TenantContext, portfolio_id: int) -> list[RoundRow]:
    _portfolio(session, portfolio_id)
    criteria = _criteria(session, portfolio_id)
    rows = session.exec(
        select(ScoringRound)
        .where(ScoringRound.portfolio_id == portfolio_id)
        .order_by(col(ScoringRound.id).desc())
    ).all()
    return [_round_row(r, _scorer_ids(session, r.id or 0), criteria) for r in rows]


def _my_scores(session: Session, round_id: int, user_id: int) -> dict[str, dict[int, float]]:
    found: dict[str, dict[int, float]] = defaultdict(dict)
    for s in session.exec(
        select(RoundScore).where(RoundScore.round_id == round_id, RoundScore.user_id == user_id)
    ).all():
        found[s.key][s.initiative_id] = s.value
    return found


def _require_scorer(session: Session, ctx: TenantContext, round_id: int) -> None:
    ctx.require(Role.MEMBER, SCORER_MESSAGE)
    if ctx.user_id not in _scorer_ids(session, round_id):
        raise Forbidden("You are not invited to score in this round.")


def scoring_sheet(*, session: Session, ctx: TenantContext, round_id: int) -> ScoringSheet:
    """The scorer's next input, across all the round's initiatives; only their own scores."""
    scoring_round = _round(session, round_id)
    _require_scorer(session, ctx, round_id)
    assert ctx.user_id is not None
    keys: list[str] = json.loads(scoring_round.keys_json)
    ids: list[int] = json.loads(scoring_round.initiative_ids_json)
    mine = _my_scores(session, round_id, ctx.user_id)
    step = next((n for n, k in enumerate(keys) if len(mine.get(k, {})) < len(ids)), None)
    titles = {
        i.id: i.title
        for i in _initiatives(session, scoring_round.portfolio_id, include_archived=True)
    }
    initiatives = [(i, titles.get(i, "?")) for i in ids]
    if step is None or scoring_round.status != "open":
        return ScoringSheet(
            round_id=round_id,
            key=None,
            label="",
            scale="",
            choices=[],
            step=len(keys),
            steps=len(keys),
            initiatives=initiatives,
            my_scores={},
        )
    spec = scoring.spec_for(keys[step], _criteria(session, scoring_round.portfolio_id))
    return ScoringSheet(
        round_id=round_id,
        key=spec.key,
        label=spec.label,
        scale=spec.scale_text(),
        choices=list(spec.choices),
        step=step + 1,
        steps=len(keys),
        initiatives=initiatives,
        my_scores=mine.get(spec.key, {}),
    )


def submit_round_scores(
    *,
    session: Session,
    ctx: TenantContext,
    round_id: int,
    key: str,
    scores: Mapping[int, object],
) -> None:
    """One scorer's scores for one input across all the round's initiatives (all or nothing).

    Inputs are scored in order, one at a time, so a scorer is not anchored by their own
    scores of the other inputs; an input already done may be revised.
    """
    _can_write(session, ctx, Role.MEMBER, SCORER_MESSAGE)
    scoring_round = _round(session, round_id)
    _require_scorer(session, ctx, round_id)
    assert ctx.user_id is not None
    if scoring_round.status != "open":
        raise Conflict("This round is closed; its scores are settled.")
    keys: list[str] = json.loads(scoring_round.keys_json)
    ids: list[int] = json.loads(scoring_round.initiative_ids_json)
    if key not in keys:
        raise ValidationFailed(f"“{key}” is not scored in this round.", field="key")
    mine = _my_scores(session, round_id, ctx.user_id)
    current = next((n for n, k in enumerate(keys) if len(mine.get(k, {})) < len(ids)), len(keys))
    spec = scoring.spec_for(key, _criteria(session, scoring_round.portfolio_id))
    if keys.index(key) > current:
        first = scoring.spec_for(keys[current], _criteria(session, scoring_round.portfolio_id))
        raise Conflict(f"Score {first.label} for every initiative first: one input at a time.")
    try:
        given = {int(k): v for k, v in scores.items()}
    except (TypeError, ValueError):
        raise NotFound("An initiative of the round") from None
    titles = {
        i.id: i.title
        for i in _initiatives(session, scoring_round.portfolio_id, include_archived=True)
    }
    if set(given) - set(ids):
        raise NotFound("An initiative of the round")
    missing = [titles.get(i, "?") for i in ids if i not in given]
    if missing:
        raise ValidationFailed(
            f"Score {spec.label} for every initiative; missing: {', '.join(missing)}.",
            field=key,
        )
    clean = {i: spec.parse(given[i], where=titles.get(i, "?")) for i in ids}
    session.exec(
        delete(RoundScore).where(
            col(RoundScore.round_id) == round_id,
            col(RoundScore.user_id) == ctx.user_id,
            col(RoundScore.key) == key,
        )
    )
    for initiative_id, value in clean.items():
        session.add(
            RoundScore(
                org_id=ctx.org_id,
                round_id=round_id,
                user_id=ctx.user_id,
                initiative_id=initiative_id,
                key=key,
                value=value,
            )
        )


def _round_cells(session: Session, scoring_round: ScoringRound) -> list[RoundCell]:
    assert scoring_round.id is not None
    keys: list[str] = json.loads(scoring_round.keys_json)
    ids: list[int] = json.loads(scoring_round.initiative_ids_json)
    criteria = _criteria(session, scoring_round.portfolio_id)
    titles = {
        i.id: i.title
        for i in _initiatives(session, scoring_round.portfolio_id, include_archived=True)
    }
    values: dict[tuple[int, str], list[float]] = defaultdict(list)
    for s in session.exec(select(RoundScore).where(RoundScore.round_id == scoring_round.id)).all():
        values[(s.initiative_id, s.key)].append(s.value)
    cells = []
    for key in keys:
        spec = scoring.spec_for(key, criteria)
        span = _scale_span(spec)
        for initiative_id in ids:
            got = sorted(values.get((initiative_id, key), []))
            spread = (got[-1] - got[0]) if got else None
            cells.append(
                RoundCell(
                    initiative_id=initiative_id,
                    title=titles.get(initiative_id, "?"),
                    key=key,
                    label=spec.label,
                    scores=got,
                    median=scoring.median(got) if got else None,
                    spread=spread,
                    relative_spread=(spread / span) if spread is not None and span else None,
                )
            )
    return cells


def _scale_span(spec: scoring.InputSpec) -> float:
    if spec.kind == "choice":
        return max(spec.choices) - min(spec.choices)
    if spec.kind == "range":
        return spec.high - spec.low
    return 0.0


def round_summary(
    *, session: Session, ctx: TenantContext, round_id: int, top: int = 5
) -> RoundSummary:
    """Median, spread and the most disputed cells. Before settling: the facilitator only."""
    scoring_round = _round(session, round_id)
    if scoring_round.status == "open":
        ctx.require(MANAGE, "The round's scores stay private until the facilitator settles them.")
    cells = _round_cells(session, scoring_round)

    def disagreement(c: RoundCell) -> float:
        if c.relative_spread is not None:
            return c.relative_spread
        if c.spread is not None and c.median:
            return c.spread / abs(c.median)  # open scales: spread relative to the median
        return 0.0

    disputed = sorted(
        (c for c in cells if len(c.scores) > 1 and (c.spread or 0) > 0),
        key=lambda c: (-disagreement(c), c.title),
    )[:top]
    done: dict[int, int] = {}
    keys: list[str] = json.loads(scoring_round.keys_json)
    ids: list[int] = json.loads(scoring_round.initiative_ids_json)
    for user_id in _scorer_ids(session, round_id):
        mine = _my_scores(session, round_id, user_id)
        done[user_id] = sum(1 for k in keys if len(mine.get(k, {})) >= len(ids))
    return RoundSummary(
        round_id=round_id,
        status=scoring_round.status,
        scorers_done=done,
        cells=cells,
        most_disagreed=disputed,
    )


def settle_round(
    *,
    session: Session,
    ctx: TenantContext,
    round_id: int,
    final: Mapping[tuple[int, str], object] | None = None,
) -> int:
    """The facilitator settles: each cell's median (snapped to the scale) unless `final` gives
    the value agreed in discussion. Returns the number of scores written."""
    _can_write(session, ctx)
    scoring_round = _round(session, round_id)
    if scoring_round.status != "open":
        raise Conflict("This round is already closed.")
    criteria = _criteria(session, scoring_round.portfolio_id)
    cells = _round_cells(session, scoring_round)
    known = {(c.initiative_id, c.key) for c in cells}
    decided: dict[tuple[int, str], float] = {}
    for (initiative_id, key), raw in (final or {}).items():
        if (initiative_id, key) not in known:
            raise NotFound("A score of the round")
        decided[(initiative_id, key)] = scoring.spec_for(key, criteria).parse(raw)
    written = 0
    for cell in cells:
        value = decided.get((cell.initiative_id, cell.key))
        if value is None and cell.median is not None:
            value = scoring.snap_to_scale(cell.median, scoring.spec_for(cell.key, criteria))
        if value is None:
            continue  # nobody scored it: it stays as it was
        _upsert_score(session, ctx, cell.initiative_id, cell.key, value)
        written += 1
    scoring_round.status = "settled"
    scoring_round.settled_at = utcnow()
    session.add(scoring_round)
    audit.record(
        session=session,
        ctx=ctx,
        action="round.settled",
        target=scoring_round.name,
        detail=f"{written} scores settled; {len(decided)} decided by the facilitator",
    )
    return written


def cancel_round(*, session: Session, ctx: TenantContext, round_id: int) -> None:
    _can_write(session, ctx)
    scoring_round = _round(session, round_id)
    if scoring_round.status != "open":
        raise Conflict("This round is already closed.")
    scoring_round.status = "cancelled"
    session.add(scoring_round)
    audit.record(session=session, ctx=ctx, action="round.cancelled", target=scoring_round.name)


# ---------------------------------------------------------------- risks


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
    risk = Risk(org_id=ctx.org_id, portfolio_id=portfolio_id, **clean)
    session.add(risk)
    session.flush()
    assert risk.id is not None
    audit.record(
        session=session,
        ctx=ctx,
        action="risk.created",
        target=risk.title,
        detail=f"P{risk.probability} {scoring.TIMES} I{risk.impact}",
    )
    return risk.id


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
