"""Transformation maturity assessments: models, rounds, answers, results, focus dimensions.

Every function takes a tenant session and `ctx` (keyword-only). Rows of another organisation
are invisible to the session, so they raise the same NotFound as missing rows.

Who may do what:
- coaches (and admins, owners) build models, start, follow and close rounds, read aggregates,
  write facilitator notes, export CSV and mark focus dimensions;
- a participant (any member the round asked) reads and writes only their own answers;
- nobody reads another person's answers through this module: results are aggregates only.

Stable read API for other domains (coaching plans):
- `team_dimension_scores(session=, ctx=, round_id=, team_id=) -> list[DimensionScore]`
- `focus_dimensions(session=, ctx=, round_id=, team_id=) -> list[FocusDimensionRow]`
- `latest_closed_round_for_team(session=, ctx=, team_id=, before_round_id=None)
  -> RoundSummary | None`
"""

from __future__ import annotations

from datetime import datetime
from typing import TypeVar

from sqlalchemy import func
from sqlmodel import Session, col, select

from pmo_saas.assessments.models import (
    ROUND_CLOSED,
    AssessmentAnswer,
    AssessmentDimension,
    AssessmentLevel,
    AssessmentModel,
    AssessmentModelVersion,
    AssessmentRound,
    FocusDimension,
    RoundTeam,
)
from pmo_saas.assessments.schemas import (
    DimensionScore,
    FocusDimensionRow,
    RoundSummary,
)
from pmo_saas.billing import entitlements
from pmo_saas.identity.models import Team
from pmo_saas.kernel.clock import as_utc
from pmo_saas.kernel.context import TenantContext
from pmo_saas.kernel.errors import NotFound
from pmo_saas.kernel.roles import Role

T = TypeVar("T")

COACH_ONLY = "Only coaches can do that."
MAX_DIMENSIONS = 12
MAX_STATEMENTS = 12
MAX_LEVELS = 10


# ---------------------------------------------------------------- helpers


def _get(session: Session, cls: type[T], row_id: int, what: str) -> T:
    row = session.get(cls, row_id)
    if row is None:
        raise NotFound(what)
    return row


def _require_coach(ctx: TenantContext) -> None:
    ctx.require(Role.COACH, COACH_ONLY)


def _write(session: Session, ctx: TenantContext) -> None:
    entitlements.check_writable(session=session, ctx=ctx)


def _iso(value: datetime | None) -> str | None:
    return as_utc(value).isoformat() if value else None


def _round(session: Session, round_id: int) -> AssessmentRound:
    return _get(session, AssessmentRound, round_id, "That assessment round")


def _round_team_ids(session: Session, round_id: int) -> list[int]:
    return list(
        session.exec(
            select(RoundTeam.team_id)
            .where(RoundTeam.round_id == round_id)
            .order_by(col(RoundTeam.id))
        ).all()
    )


def _require_round_team(session: Session, round_id: int, team_id: int) -> Team:
    if team_id not in _round_team_ids(session, round_id):
        raise NotFound("That team in this round")
    return _get(session, Team, team_id, "That team")


def _round_summary(session: Session, rnd: AssessmentRound) -> RoundSummary:
    version = _get(session, AssessmentModelVersion, rnd.model_version_id, "That model version")
    model = _get(session, AssessmentModel, version.model_id, "That assessment model")
    assert rnd.id is not None and model.id is not None and version.id is not None
    return RoundSummary(
        id=rnd.id,
        title=rnd.title,
        status=rnd.status,
        model_name=model.name,
        model_id=model.id,
        model_version_id=version.id,
        version_number=version.number,
        opened_at=_iso(rnd.opened_at) or "",
        closed_at=_iso(rnd.closed_at),
        team_ids=_round_team_ids(session, rnd.id),
    )


def _dimensions(session: Session, version_id: int) -> list[AssessmentDimension]:
    return list(
        session.exec(
            select(AssessmentDimension)
            .where(AssessmentDimension.version_id == version_id)
            .order_by(col(AssessmentDimension.position), col(AssessmentDimension.id))
        ).all()
    )


def _scale(session: Session, version_id: int) -> tuple[int, int]:
    low, high = session.exec(
        select(func.min(AssessmentLevel.value), func.max(AssessmentLevel.value)).where(
            AssessmentLevel.version_id == version_id
        )
    ).one()
    return int(low or 1), int(high or 5)


# ---------------------------------------------------------------- read API (coaching uses it)


def team_dimension_scores(
    *, session: Session, ctx: TenantContext, round_id: int, team_id: int
) -> list[DimensionScore]:
    """Mean and respondent count per dimension for one team in one round (coach and up).

    Computed in the database from the raw answers: `mean` is the mean of every answer the
    team gave to the dimension's statements (None when nobody answered it), `respondents` the
    number of people who answered at least one of them. Dimensions come in the model's order.
    Raises NotFound when the round or the team (in that round) is not in ctx's organisation.
    """
    _require_coach(ctx)
    rnd = _round(session, round_id)
    _require_round_team(session, round_id, team_id)
    rows = session.exec(
        select(
            AssessmentAnswer.dimension_id,
            func.avg(AssessmentAnswer.value),
            func.count(func.distinct(AssessmentAnswer.participant_id)),
        )
        .where(AssessmentAnswer.round_id == round_id, AssessmentAnswer.team_id == team_id)
        .group_by(col(AssessmentAnswer.dimension_id))
    ).all()
    by_dimension = {d: (float(m), int(n)) for d, m, n in rows}
    scores = []
    for dim in _dimensions(session, rnd.model_version_id):
        assert dim.id is not None
        mean, respondents = by_dimension.get(dim.id, (None, 0))
        scores.append(
            DimensionScore(
                dimension_id=dim.id,
                dimension_key=dim.key,
                name=dim.name,
                mean=mean,
                respondents=respondents,
            )
        )
    return scores


def focus_dimensions(
    *, session: Session, ctx: TenantContext, round_id: int, team_id: int
) -> list[FocusDimensionRow]:
    """The dimensions a coach marked as focus for one team from one round, in model order.

    Readable by any member of the organisation (no individual answers are involved); `mean`
    is the team's mean on that dimension in that round. NotFound for another organisation's
    round or a team not in the round.
    """
    rnd = _round(session, round_id)
    _require_round_team(session, round_id, team_id)
    marks = {
        f.dimension_id: f
        for f in session.exec(
            select(FocusDimension).where(
                FocusDimension.round_id == round_id, FocusDimension.team_id == team_id
            )
        ).all()
    }
    if not marks:
        return []
    means = dict(
        session.exec(
            select(AssessmentAnswer.dimension_id, func.avg(AssessmentAnswer.value))
            .where(AssessmentAnswer.round_id == round_id, AssessmentAnswer.team_id == team_id)
            .group_by(col(AssessmentAnswer.dimension_id))
        ).all()
    )
    rows = []
    for dim in _dimensions(session, rnd.model_version_id):
        mark = marks.get(dim.id or 0)
        if mark is None:
            continue
        assert mark.id is not None and dim.id is not None
        mean = means.get(dim.id)
        rows.append(
            FocusDimensionRow(
                id=mark.id,
                round_id=round_id,
                team_id=team_id,
                dimension_id=dim.id,
                dimension_key=dim.key,
                name=dim.name,
                mean=float(mean) if mean is not None else None,
                note=mark.note,
            )
        )
    return rows


def latest_closed_round_for_team(
    *,
    session: Session,
    ctx: TenantContext,
    team_id: int,
    before_round_id: int | None = None,
    model_id: int | None = None,
) -> RoundSummary | None:
    """The team's most recently opened closed round, or None.

    With `before_round_id`, only rounds opened before that round count (its "previous
    round"); with `model_id`, only rounds of that model (any version). Readable by any member
    of the organisation. NotFound when the team (or `before_round_id`) is not in ctx's org.
    """
    _get(session, Team, team_id, "That team")
    query = (
        select(AssessmentRound)
        .join(RoundTeam, col(RoundTeam.round_id) == AssessmentRound.id)
        .where(RoundTeam.team_id == team_id, AssessmentRound.status == ROUND_CLOSED)
    )
    if before_round_id is not None:
        before = _round(session, before_round_id)
        query = query.where(
            (col(AssessmentRound.opened_at) < before.opened_at)
            | (
                (col(AssessmentRound.opened_at) == before.opened_at)
                & (col(AssessmentRound.id) < before_round_id)
            )
        )
    if model_id is not None:
        query = query.join(
            AssessmentModelVersion,
            col(AssessmentModelVersion.id) == AssessmentRound.model_version_id,
        ).where(AssessmentModelVersion.model_id == model_id)
    rnd = session.exec(
        query.order_by(col(AssessmentRound.opened_at).desc(), col(AssessmentRound.id).desc())
    ).first()
    return _round_summary(session, rnd) if rnd else None
