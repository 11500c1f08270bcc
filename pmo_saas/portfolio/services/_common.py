"""What every portfolio service module shares: the role check for writes, look-ups inside the
organisation, and the column reads that several pages' services build on."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import bindparam, delete, literal
from sqlalchemy import select as sa_select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlmodel import Session, col, select

from pmo_saas.db import get_in_org, tenant_org_id, tenant_rows
from pmo_saas.identity.models import Membership, User
from pmo_saas.kernel.clock import utcnow
from pmo_saas.kernel.context import TenantContext
from pmo_saas.kernel.errors import NotFound
from pmo_saas.kernel.roles import Role
from pmo_saas.portfolio import scoring
from pmo_saas.portfolio.models import (
    Criterion,
    Dependency,
    Initiative,
    Portfolio,
    Risk,
    Scenario,
    Score,
    ScoringRound,
    StreamBudget,
)

MANAGE = Role.COACH
MANAGE_MESSAGE = "Only coaches, admins and owners can change the portfolio."
SCORER_MESSAGE = "Viewers read the portfolio but do not score."


def _can_write(
    session: Session, ctx: TenantContext, minimum: Role = MANAGE, message: str = MANAGE_MESSAGE
) -> None:
    ctx.require(minimum, message)  # read-only workspaces: the tenant session refuses the flush


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


# ---------------------------------------------------------------- shared writes


# A score saved from the edit form is the write made most often: its statements are Core,
# built once and run through `tenant_scoped` on the session's connection (`tenant_rows`),
# scoped, refused while read-only and bumping the data version as the tenancy hook does,
# without an ORM load or flush. A new row's org_id is the session's (`tenant_org_id`).
# Parameters are named unlike any column (Core reads those as values to SET).
_INITIATIVE_FACTS: Any = select(col(Initiative.title), col(Initiative.portfolio_id)).where(
    col(Initiative.id) == bindparam("initiative")
)
_ID_MAX = 2**31 - 1  # an id beyond the column's range is no row (as get_in_org finds)


def _initiative_facts(session: Session, initiative_id: object) -> tuple[int, str, int]:
    """(id, title, portfolio id) of an initiative in one scoped read: the same NotFound as
    `_initiative` for one missing, another organisation's, or an id that is not a number."""
    try:
        key = int(str(initiative_id))
    except ValueError:
        raise NotFound("That initiative") from None
    found = (
        tenant_rows(session, _INITIATIVE_FACTS, {"initiative": key})
        if -_ID_MAX <= key <= _ID_MAX
        else []
    )
    if not found:
        raise NotFound("That initiative")
    title, portfolio_id = found[0]
    return key, title, portfolio_id


def _score_upsert(insert_for_dialect: Any) -> Any:
    upsert = insert_for_dialect(Score).values(
        org_id=bindparam("org"),
        initiative_id=bindparam("initiative"),
        key=bindparam("score_key"),
        value=bindparam("score_value"),
        updated_at=bindparam("now"),
    )
    return upsert.on_conflict_do_update(
        index_elements=["org_id", "initiative_id", "key"],
        set_={"value": upsert.excluded.value, "updated_at": upsert.excluded.updated_at},
    ).returning(literal(1))


_SCORE_UPSERT = {"postgresql": _score_upsert(pg_insert), "sqlite": _score_upsert(sqlite_insert)}
_SCORE_CLEAR: Any = (
    delete(Score)
    .where(
        col(Score.initiative_id) == bindparam("initiative"),
        col(Score.key) == bindparam("score_key"),
    )
    .returning(literal(1))
    .execution_options(synchronize_session=False)
)


def _upsert_score(session: Session, initiative_id: int, key: str, value: float | None) -> None:
    """Set an input of an initiative the caller found in the organisation (None: clear it
    back to "not scored"), in one statement: inserted, or updated in place."""
    params = {"initiative": initiative_id, "score_key": key}
    if value is None:
        tenant_rows(session, _SCORE_CLEAR, params)
        return
    upsert = _SCORE_UPSERT[session.connection().dialect.name]
    params.update(org=tenant_org_id(session), score_value=value, now=utcnow())
    tenant_rows(session, upsert, params)


# ---------------------------------------------------------------- ranking inputs


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
