"""Answering a round (pages/answer.py): a participant's assignments, their own answers, saving
them. Nobody reads another person's answers through this module.
"""

from __future__ import annotations

from typing import NamedTuple

from sqlalchemy import bindparam, func
from sqlmodel import Session, col, select

from pmo_saas.assessments.models import (
    ROUND_OPEN,
    AssessmentAnswer,
    AssessmentDimension,
    AssessmentModelVersion,
    AssessmentRound,
    AssessmentStatement,
    DimensionComment,
    RoundParticipant,
)
from pmo_saas.assessments.schemas import (
    MyAnswers,
    MyAssignment,
)
from pmo_saas.assessments.services.common import _scale
from pmo_saas.identity import audit
from pmo_saas.identity.models import Team
from pmo_saas.kernel.clock import utcnow
from pmo_saas.kernel.context import TenantContext
from pmo_saas.kernel.errors import Conflict, NotFound, ValidationFailed
from pmo_saas.kernel.kept import Kept


def _my_participant(session: Session, ctx: TenantContext, participant_id: int) -> RoundParticipant:
    row = session.get(RoundParticipant, participant_id)
    # Someone else's questionnaire is "not found", like a missing one.
    if row is None or row.user_id != ctx.user_id:
        raise NotFound("That questionnaire")
    return row


# The statements of a save, built once (only the bound participant or round changes): building
# each join's comparisons again on every save was a sizeable part of its cost.
_QUESTIONNAIRE = (
    select(RoundParticipant, AssessmentRound, AssessmentModelVersion, Team)
    .join(AssessmentRound, col(AssessmentRound.id) == RoundParticipant.round_id)
    .join(
        AssessmentModelVersion,
        col(AssessmentModelVersion.id) == AssessmentRound.model_version_id,
    )
    .join(Team, col(Team.id) == RoundParticipant.team_id, isouter=True)
    .where(col(RoundParticipant.id) == bindparam("participant_id"))
)
_ANSWERS = select(AssessmentAnswer).where(
    col(AssessmentAnswer.participant_id) == bindparam("participant_id")
)
_ROUND_STATUS_SHARED = (
    select(AssessmentRound.status)
    .where(col(AssessmentRound.id) == bindparam("round_id"))
    .with_for_update(read=True)
)


def _my_questionnaire(
    session: Session, ctx: TenantContext, participant_id: int
) -> tuple[RoundParticipant, AssessmentRound, AssessmentModelVersion, Team | None]:
    """One's questionnaire with its round, model version and team, in one read."""
    found = session.exec(_QUESTIONNAIRE, params={"participant_id": participant_id}).first()
    # Someone else's questionnaire is "not found", like a missing one.
    if found is None or found[0].user_id != ctx.user_id:
        raise NotFound("That questionnaire")
    return found[0], found[1], found[2], found[3]


def _still_open(session: Session, round_id: int) -> None:
    """Refuse answers written while the round closed: close_round counts the answers once
    (RoundDimensionTotal). Read after this call's writes: on PostgreSQL the shared lock waits
    for a closing transaction and sees its outcome (or holds the close until this commits);
    on SQLite these writes hold the database, so the status read is the latest."""
    status = session.exec(_ROUND_STATUS_SHARED, params={"round_id": round_id}).one()
    if status != ROUND_OPEN:
        raise Conflict("This round is closed; answers can no longer change.")


def _statement_dimensions(session: Session, version_id: int) -> dict[int, int]:
    """statement id -> dimension id for one version."""
    rows = session.exec(
        select(AssessmentStatement.id, AssessmentStatement.dimension_id)
        .join(AssessmentDimension, col(AssessmentDimension.id) == AssessmentStatement.dimension_id)
        .where(AssessmentDimension.version_id == version_id)
    ).all()
    return {s or 0: d for s, d in rows}


class _Shape(NamedTuple):
    statement_dims: dict[int, int]  # statement id -> dimension id
    low: int
    high: int


# The statements and scale of locked model versions (a version a round has used never changes
# again): every saved answer checks against them.
_LOCKED_SHAPES: Kept[_Shape] = Kept(512)


def _version_shape(session: Session, version: AssessmentModelVersion) -> _Shape:
    """The statements (statement id -> dimension id) and rating scale of `version`."""
    assert version.id is not None
    version_id = version.id

    def read() -> _Shape:
        return _Shape(_statement_dimensions(session, version_id), *_scale(session, version_id))

    if not version.locked:
        return read()
    return _LOCKED_SHAPES.get((version.org_id, version_id, version.created_at), read)


def my_assignments(*, session: Session, ctx: TenantContext) -> list[MyAssignment]:
    """The rounds the signed-in person was asked to answer, open ones first."""
    rows = session.exec(
        select(RoundParticipant, AssessmentRound, Team)
        .join(AssessmentRound, col(AssessmentRound.id) == RoundParticipant.round_id)
        .join(Team, col(Team.id) == RoundParticipant.team_id)
        .where(RoundParticipant.user_id == ctx.user_id)
        .order_by(col(AssessmentRound.status).desc(), col(AssessmentRound.opened_at).desc())
    ).all()
    result = []
    for part, rnd, team in rows:
        assert part.id is not None and rnd.id is not None and team.id is not None
        total = len(_statement_dimensions(session, rnd.model_version_id))
        answered = session.exec(
            select(func.count(col(AssessmentAnswer.id))).where(
                AssessmentAnswer.participant_id == part.id
            )
        ).one()
        result.append(
            MyAssignment(
                participant_id=part.id,
                round_id=rnd.id,
                round_title=rnd.title,
                team_id=team.id,
                team_name=team.name,
                answered=int(answered),
                total=total,
                submitted=part.submitted_at is not None,
                round_open=rnd.status == ROUND_OPEN,
            )
        )
    return result


def my_answers(*, session: Session, ctx: TenantContext, participant_id: int) -> MyAnswers:
    """The signed-in person's own answers (nobody else can read them)."""
    part = _my_participant(session, ctx, participant_id)
    values = {
        a.statement_id: a.value
        for a in session.exec(_ANSWERS, params={"participant_id": participant_id}).all()
    }
    comments, trends = {}, {}
    for c in session.exec(
        select(DimensionComment).where(DimensionComment.participant_id == participant_id)
    ).all():
        if c.comment:
            comments[c.dimension_id] = c.comment
        if c.trend is not None:
            trends[c.dimension_id] = c.trend
    return MyAnswers(
        participant_id=participant_id,
        values=values,
        comments=comments,
        trends=trends,
        submitted=part.submitted_at is not None,
    )


def save_answers(
    *,
    session: Session,
    ctx: TenantContext,
    participant_id: int,
    values: dict[int, int | None],
    comments: dict[int, str] | None = None,
    trends: dict[int, int | None] | None = None,
    submit: bool = False,
) -> MyAssignment:
    """Save some or all of one's answers; call again later to continue.

    `values` maps statement id -> rating (None clears it); `comments` and `trends` map
    dimension id -> text / -1, 0, +1. With `submit`, the questionnaire counts as done (it can
    still be changed while the round is open). Returns the updated progress.
    """
    part, rnd, version, team = _my_questionnaire(session, ctx, participant_id)
    if rnd.status != ROUND_OPEN:
        raise Conflict("This round is closed; answers can no longer change.")
    statement_dims, low, high = _version_shape(session, version)
    existing = {
        a.statement_id: a
        for a in session.exec(_ANSWERS, params={"participant_id": participant_id}).all()
    }
    answered = set(existing)
    for statement_id, value in values.items():
        if statement_id not in statement_dims:
            raise ValidationFailed("That statement is not part of this questionnaire.")
        answer = existing.get(statement_id)
        if value is None:
            if answer is not None:
                session.delete(answer)
            answered.discard(statement_id)
            continue
        answered.add(statement_id)
        if not low <= int(value) <= high:
            raise ValidationFailed(f"Choose a rating from {low} to {high}.", field="value")
        if answer is None:
            session.add(
                AssessmentAnswer(
                    participant_id=participant_id,
                    statement_id=statement_id,
                    round_id=part.round_id,
                    team_id=part.team_id,
                    dimension_id=statement_dims[statement_id],
                    value=int(value),
                )
            )
        elif answer.value != int(value):
            answer.value = int(value)
            session.add(answer)
    _save_dimension_notes(session, part, set(statement_dims.values()), version, comments, trends)
    now = utcnow()
    part.started_at = part.started_at or now
    part.updated_at = now
    if submit:
        if not answered:
            raise ValidationFailed("Rate at least one statement before you submit.")
        if part.submitted_at is None:
            part.submitted_at = now
            audit.record(
                session=session, ctx=ctx, action="assessment.answers_submitted", target=rnd.title
            )
    session.add(part)
    session.flush()
    assert part.id is not None and rnd.id is not None
    _still_open(session, rnd.id)
    # The progress from what this call read and wrote: the questionnaire's statements and the
    # answers kept (each answer is of one of them), without reading them again.
    return MyAssignment(
        participant_id=part.id,
        round_id=rnd.id,
        round_title=rnd.title,
        team_id=part.team_id,
        team_name=team.name if team is not None else "",
        answered=len(answered),
        total=len(statement_dims),
        submitted=part.submitted_at is not None,
        round_open=True,
    )


def _save_dimension_notes(
    session: Session,
    part: RoundParticipant,
    dimension_ids: set[int],
    version: AssessmentModelVersion,
    comments: dict[int, str] | None,
    trends: dict[int, int | None] | None,
) -> None:
    comments, trends = comments or {}, trends or {}
    if trends and not version.asks_trend:
        raise ValidationFailed("This questionnaire does not ask for trends.")
    touched = set(comments) | set(trends)
    if not touched:
        return
    if touched - dimension_ids:
        raise ValidationFailed("That dimension is not part of this questionnaire.")
    rows = {
        c.dimension_id: c
        for c in session.exec(
            select(DimensionComment).where(DimensionComment.participant_id == part.id)
        ).all()
    }
    for dimension_id in touched:
        row = rows.get(dimension_id) or DimensionComment(
            participant_id=part.id or 0,
            round_id=part.round_id,
            team_id=part.team_id,
            dimension_id=dimension_id,
        )
        if dimension_id in comments:
            text = (comments[dimension_id] or "").strip()
            if len(text) > 2000:
                raise ValidationFailed("A comment is limited to 2,000 characters.", field="comment")
            row.comment = text
        if dimension_id in trends:
            trend = trends[dimension_id]
            if trend not in (None, -1, 0, 1):
                raise ValidationFailed("Choose better, the same or worse.", field="trend")
            row.trend = trend
        session.add(row)
