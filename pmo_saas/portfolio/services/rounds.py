"""Collaborative scoring rounds: open, score privately one input at a time, summarise,
settle, cancel (pages/rounds.py)."""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Mapping, Sequence
from typing import Any

from sqlalchemy import delete
from sqlmodel import Session, col, select

from pmo_saas.collaboration.models import DIGEST, IMMEDIATE, INVITED_TO_SCORE
from pmo_saas.collaboration.services.notifications import channels_for, notify
from pmo_saas.identity import audit
from pmo_saas.identity.mail import send_mail
from pmo_saas.identity.models import Membership, Organization, User
from pmo_saas.kernel.clock import utcnow
from pmo_saas.kernel.context import TenantContext
from pmo_saas.kernel.errors import Conflict, Forbidden, NotFound, ValidationFailed
from pmo_saas.kernel.roles import Role, at_least
from pmo_saas.portfolio import fields, scoring
from pmo_saas.portfolio.models import (
    RoundScore,
    RoundScorer,
    ScoringRound,
)
from pmo_saas.portfolio.schemas import (
    RoundCell,
    RoundRow,
    RoundSummary,
    ScoringSheet,
)
from pmo_saas.portfolio.services._common import (
    MANAGE,
    SCORER_MESSAGE,
    _can_write,
    _criteria,
    _initiatives,
    _member_names,
    _portfolio,
    _round,
    _upsert_score,
)
from pmo_saas.settings import get_settings


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
        portfolio_id=portfolio_id,
        name=name,
        keys_json=json.dumps(keys),
        initiative_ids_json=json.dumps(chosen),
        opened_by_id=ctx.user_id,
    )
    round_id = audit.add_audited(
        session=session,
        ctx=ctx,
        row=scoring_round,
        action="round.opened",
        target=name,
        detail=f"portfolio {portfolio.name}; {len(people)} scorers; {len(chosen)} initiatives",
    )
    session.add_all([RoundScorer(round_id=round_id, user_id=user_id) for user_id in people])
    notify(
        session=session,
        ctx=ctx,
        kind=INVITED_TO_SCORE,
        recipient_ids=people,
        title=f"You are invited to score “{portfolio.name}” in the round “{name}”",
        target_kind="scoring_round",
        target_id=round_id,
        event_key=f"round:{round_id}",
    )
    # Who takes this kind by mail (at once or in the digest) hears of it there, not twice.
    by_mail = {
        u
        for u, c in channels_for(session, INVITED_TO_SCORE, people).items()
        if c in (IMMEDIATE, DIGEST)
    }
    _invite_scorers(
        session,
        ctx,
        [p for p in people if p not in by_mail],
        round_name=name,
        portfolio_name=portfolio.name,
        path=f"/portfolio/p/{portfolio_id}/rounds/{round_id}",
    )
    return round_id


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
        _upsert_score(session, cell.initiative_id, cell.key, value)
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
