"""Answering a round (pages/answer.py): a participant's assignments, their own answers, saving
them. Nobody reads another person's answers through this module.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, NamedTuple

from sqlalchemy import Boolean, DateTime, and_, bindparam, case, delete, func, or_, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
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
from pmo_saas.db import tenant_org_id, tenant_rows, tenant_scoped
from pmo_saas.identity import audit
from pmo_saas.identity.models import Team
from pmo_saas.kernel.clock import utcnow
from pmo_saas.kernel.context import TenantContext
from pmo_saas.kernel.errors import Conflict, NotFound, ValidationFailed
from pmo_saas.kernel.kept import Kept

_CLOSED = "This round is closed; answers can no longer change."


def _my_participant(session: Session, ctx: TenantContext, participant_id: int) -> RoundParticipant:
    row = session.get(RoundParticipant, participant_id)
    # Someone else's questionnaire is "not found", like a missing one.
    if row is None or row.user_id != ctx.user_id:
        raise NotFound("That questionnaire")
    return row


# A save's statements: SQLAlchemy Core, built once (only the bound values change) and run
# through `tenant_scoped` on the tenant session's connection, as the survey submission's are
# (responding.py): scoped to the organisation as the tenancy hook scopes ORM statements, a
# read-only workspace refuses the writes, and the data version is bumped before the first.
# Plain columns, not rows: loading four ORM entities cost more than the read itself.
_QUESTIONNAIRE: Any = (
    select(  # type: ignore[call-overload]
        col(RoundParticipant.user_id),
        col(RoundParticipant.round_id),
        col(RoundParticipant.team_id),
        col(RoundParticipant.submitted_at),
        col(AssessmentRound.status),
        col(AssessmentRound.title),
        col(AssessmentModelVersion.id),
        col(AssessmentModelVersion.org_id),
        col(AssessmentModelVersion.locked),
        col(AssessmentModelVersion.asks_trend),
        col(AssessmentModelVersion.created_at),
        col(Team.name),
    )
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


def _upsert_answer(insert_for_dialect: Any) -> Any:
    """An answer written whatever was there (the unique participant and statement); an
    unchanged one is left as it is (no row version written for it)."""
    statement = insert_for_dialect(AssessmentAnswer)
    return statement.on_conflict_do_update(
        index_elements=["org_id", "participant_id", "statement_id"],
        set_={"value": statement.excluded.value},
        where=col(AssessmentAnswer.value) != statement.excluded.value,
    )


def _upsert_note(insert_for_dialect: Any) -> Any:
    """A dimension's note: the comment and the trend each only where given (`gives_...`)."""
    statement = insert_for_dialect(DimensionComment)
    comment, trend = col(DimensionComment.comment), col(DimensionComment.trend)
    gives_comment = bindparam("gives_comment", type_=Boolean)
    gives_trend = bindparam("gives_trend", type_=Boolean)
    return statement.on_conflict_do_update(
        index_elements=["org_id", "participant_id", "dimension_id"],
        set_={
            "comment": case((gives_comment, statement.excluded.comment), else_=comment),
            "trend": case((gives_trend, statement.excluded.trend), else_=trend),
        },
        where=or_(
            and_(gives_comment, comment != statement.excluded.comment),
            and_(gives_trend, trend.is_distinct_from(statement.excluded.trend)),
        ),
    )


_DIALECT_INSERTS = (("postgresql", pg_insert), ("sqlite", sqlite_insert))
_UPSERT_ANSWER = {dialect: _upsert_answer(insert) for dialect, insert in _DIALECT_INSERTS}
_UPSERT_NOTE = {dialect: _upsert_note(insert) for dialect, insert in _DIALECT_INSERTS}
# (named unlike any column: Core reads a parameter named as a column of an UPDATE's table
# as a value to SET)
_CLEAR_ANSWER: Any = delete(AssessmentAnswer).where(
    col(AssessmentAnswer.participant_id) == bindparam("participant"),
    col(AssessmentAnswer.statement_id) == bindparam("statement"),
)
_NOW = bindparam("now", type_=DateTime)
_PARTICIPANT_TIMES: Any = (
    update(RoundParticipant)
    .where(col(RoundParticipant.id) == bindparam("participant"))
    .values(
        started_at=func.coalesce(col(RoundParticipant.started_at), _NOW),
        updated_at=_NOW,
        submitted_at=func.coalesce(
            col(RoundParticipant.submitted_at), bindparam("submitted", type_=DateTime)
        ),
    )
    .execution_options(synchronize_session=False)
)
# The round's status under a shared lock, and the participant's answers after the writes.
_STATUS_AND_ANSWERED: Any = (
    select(  # type: ignore[call-overload]
        col(AssessmentRound.status),
        select(func.count())
        .select_from(AssessmentAnswer)
        .where(col(AssessmentAnswer.participant_id) == bindparam("participant"))
        .scalar_subquery(),
    )
    .where(col(AssessmentRound.id) == bindparam("round"))
    .with_for_update(read=True)
)


class _VersionRef(NamedTuple):
    """What a save needs of its model version (the key of its kept shape, its trend flag)."""

    id: int
    org_id: int
    locked: bool
    asks_trend: bool
    created_at: datetime


class _Questionnaire(NamedTuple):
    round_id: int
    team_id: int
    submitted_at: datetime | None
    round_status: str
    title: str
    version: _VersionRef
    team_name: str | None


def _my_questionnaire(session: Session, ctx: TenantContext, participant_id: int) -> _Questionnaire:
    """One's questionnaire with its round, model version and team, in one read."""
    found = tenant_rows(session, _QUESTIONNAIRE, {"participant_id": participant_id})
    # Someone else's questionnaire is "not found", like a missing one.
    if not found or found[0][0] != ctx.user_id:
        raise NotFound("That questionnaire")
    (_user, round_id, team_id, submitted_at, status, title, *version, team_name) = found[0]
    return _Questionnaire(
        round_id, team_id, submitted_at, status, title, _VersionRef(*version), team_name
    )


def _still_open(session: Session, round_id: int, participant_id: int, *, submitting: bool) -> int:
    """The participant's answers, counted after this call's writes; refuse answers written
    while the round closed: close_round counts the answers once (RoundDimensionTotal).
    Read after the writes: on PostgreSQL the shared lock waits for a closing transaction
    and sees its outcome (or holds the close until this commits); on SQLite these writes
    hold the database, so the status read is the latest."""
    ((status, answered),) = tenant_rows(
        session, _STATUS_AND_ANSWERED, {"round": round_id, "participant": participant_id}
    )
    if submitting and not answered:
        raise ValidationFailed("Rate at least one statement before you submit.")
    if status != ROUND_OPEN:
        raise Conflict(_CLOSED)
    return int(answered)


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


def _version_shape(session: Session, version: _VersionRef) -> _Shape:
    """The statements (statement id -> dimension id) and rating scale of `version`."""
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

    Checked in full before anything is written; then, as Core statements scoped by the
    tenancy mechanism (`tenant_rows`): the answers (an upsert on the participant and
    statement), the notes, the participant's times, and the round's status with the
    progress, read after those writes (`_still_open`).
    """
    mine = _my_questionnaire(session, ctx, participant_id)
    if mine.round_status != ROUND_OPEN:
        raise Conflict(_CLOSED)
    statement_dims, low, high = _version_shape(session, mine.version)
    kept, cleared = _checked_values(values, statement_dims, low, high)
    notes = _checked_notes(comments, trends, set(statement_dims.values()), mine.version.asks_trend)
    row_keys = {
        "org_id": tenant_org_id(session),
        "participant_id": participant_id,
        "round_id": mine.round_id,
        "team_id": mine.team_id,
    }
    connection = session.connection()
    dialect = connection.dialect.name
    if kept:
        rows = [
            {**row_keys, "statement_id": s, "dimension_id": statement_dims[s], "value": v}
            for s, v in kept.items()
        ]
        connection.execute(tenant_scoped(session, _UPSERT_ANSWER[dialect]), rows)
    if cleared:
        connection.execute(
            tenant_scoped(session, _CLEAR_ANSWER),
            [{"participant": participant_id, "statement": s} for s in cleared],
        )
    if notes:
        rows = [{**row_keys, "dimension_id": d, **note} for d, note in notes.items()]
        connection.execute(tenant_scoped(session, _UPSERT_NOTE[dialect]), rows)
    now = utcnow()
    first_submit = submit and mine.submitted_at is None
    connection.execute(
        tenant_scoped(session, _PARTICIPANT_TIMES),
        {"participant": participant_id, "now": now, "submitted": now if first_submit else None},
    )
    answered = _still_open(session, mine.round_id, participant_id, submitting=submit)
    if first_submit:
        audit.record(
            session=session, ctx=ctx, action="assessment.answers_submitted", target=mine.title
        )
    # The progress from what this call read and wrote: the questionnaire's statements and the
    # answers kept (each answer is of one of them), counted after the writes.
    return MyAssignment(
        participant_id=participant_id,
        round_id=mine.round_id,
        round_title=mine.title,
        team_id=mine.team_id,
        team_name=mine.team_name or "",
        answered=answered,
        total=len(statement_dims),
        submitted=submit or mine.submitted_at is not None,
        round_open=True,
    )


def _checked_values(
    values: dict[int, int | None], statement_dims: dict[int, int], low: int, high: int
) -> tuple[dict[int, int], list[int]]:
    """(statement id -> rating to keep, statement ids to clear), each on the questionnaire
    and its scale."""
    kept: dict[int, int] = {}
    cleared: list[int] = []
    for statement_id, value in values.items():
        if statement_id not in statement_dims:
            raise ValidationFailed("That statement is not part of this questionnaire.")
        if value is None:
            cleared.append(statement_id)
            continue
        if not low <= int(value) <= high:
            raise ValidationFailed(f"Choose a rating from {low} to {high}.", field="value")
        kept[statement_id] = int(value)
    return kept, cleared


def _checked_notes(
    comments: dict[int, str] | None,
    trends: dict[int, int | None] | None,
    dimension_ids: set[int],
    asks_trend: bool,
) -> dict[int, dict[str, Any]]:
    """dimension id -> the upsert's values of its note (what was given, and which of the
    comment and the trend it gives)."""
    comments, trends = comments or {}, trends or {}
    if trends and not asks_trend:
        raise ValidationFailed("This questionnaire does not ask for trends.")
    touched = set(comments) | set(trends)
    if touched - dimension_ids:
        raise ValidationFailed("That dimension is not part of this questionnaire.")
    notes = {}
    for dimension_id in touched:
        text = (comments.get(dimension_id) or "").strip()
        if len(text) > 2000:
            raise ValidationFailed("A comment is limited to 2,000 characters.", field="comment")
        trend = trends.get(dimension_id)
        if trend not in (None, -1, 0, 1):
            raise ValidationFailed("Choose better, the same or worse.", field="trend")
        notes[dimension_id] = {
            "comment": text,
            "trend": trend,
            "gives_comment": dimension_id in comments,
            "gives_trend": dimension_id in trends,
        }
    return notes
