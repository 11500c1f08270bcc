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

import csv
import io
import re
from collections import defaultdict
from datetime import datetime
from typing import Any, TypeVar

from sqlalchemy import delete, func
from sqlmodel import Session, col, select

from pmo_saas.assessments import aggregation, builtin
from pmo_saas.assessments.models import (
    KIND_HEALTH_CHECK,
    KIND_MATURITY,
    ROUND_CLOSED,
    ROUND_OPEN,
    AssessmentAnswer,
    AssessmentDimension,
    AssessmentLevel,
    AssessmentModel,
    AssessmentModelVersion,
    AssessmentRound,
    AssessmentStatement,
    DimensionComment,
    FocusDimension,
    RoundParticipant,
    RoundTeam,
)
from pmo_saas.assessments.schemas import (
    DimensionInput,
    DimensionRow,
    DimensionScore,
    DimensionStats,
    FocusDimensionRow,
    HeatMap,
    HeatMapCell,
    LevelInput,
    LevelRow,
    ModelRow,
    ModelVersionDetail,
    MyAnswers,
    MyAssignment,
    RoundSummary,
    StatementRow,
    TeamProgress,
    TeamResult,
)
from pmo_saas.billing import entitlements
from pmo_saas.db import get_in_org
from pmo_saas.identity import audit
from pmo_saas.identity.models import Team, TeamMember
from pmo_saas.kernel.clock import as_utc, utcnow
from pmo_saas.kernel.context import TenantContext
from pmo_saas.kernel.errors import Conflict, NotFound, ValidationFailed
from pmo_saas.kernel.roles import Role

T = TypeVar("T")

COACH_ONLY = "Only coaches can do that."
MAX_DIMENSIONS = 12
MAX_STATEMENTS = 12
MAX_LEVELS = 10


# ---------------------------------------------------------------- helpers


def _get(session: Session, cls: type[T], row_id: int, what: str) -> T:
    return get_in_org(session, cls, row_id, what)


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


# ---------------------------------------------------------------- models: validation


def _clean(raw: str, *, what: str, max_length: int, required: bool = True) -> str:
    text = " ".join((raw or "").split())
    if required and not text:
        raise ValidationFailed(f"Enter a {what}.", field=what)
    if len(text) > max_length:
        raise ValidationFailed(f"The {what} is longer than {max_length} characters.", field=what)
    return text


def _key_from(name: str, taken: set[str]) -> str:
    base = re.sub(r"[^a-z0-9]+", "_", name.lower()).strip("_")[:50] or "dimension"
    key, n = base, 1
    while key in taken:
        n += 1
        key = f"{base}_{n}"
    return key


def _clean_levels(levels: list[LevelInput]) -> list[LevelInput]:
    if not 2 <= len(levels) <= MAX_LEVELS:
        raise ValidationFailed(f"A scale needs between 2 and {MAX_LEVELS} levels.", field="levels")
    ordered = sorted(levels, key=lambda level: level.value)
    if [level.value for level in ordered] != list(range(1, len(ordered) + 1)):
        raise ValidationFailed(
            "Scale levels are numbered 1, 2, 3 ... without gaps.", field="levels"
        )
    return [
        LevelInput(
            value=level.value,
            label=_clean(level.label, what="level name", max_length=60),
            description=(level.description or "").strip()[:2000],
        )
        for level in ordered
    ]


def _clean_dimensions(dimensions: list[DimensionInput]) -> list[DimensionInput]:
    if not 1 <= len(dimensions) <= MAX_DIMENSIONS:
        raise ValidationFailed(
            f"A model needs between 1 and {MAX_DIMENSIONS} dimensions.", field="dimensions"
        )
    cleaned, names = [], set()
    for dim in dimensions:
        name = _clean(dim.name, what="dimension name", max_length=120)
        if name.lower() in names:
            raise ValidationFailed(f"Two dimensions are called {name}.", field="dimensions")
        names.add(name.lower())
        statements = [s.strip() for s in dim.statements if s and s.strip()]
        if not 1 <= len(statements) <= MAX_STATEMENTS:
            raise ValidationFailed(
                f"{name} needs between 1 and {MAX_STATEMENTS} statements.", field="statements"
            )
        if any(len(s) > 500 for s in statements):
            raise ValidationFailed(
                f"A statement of {name} is longer than 500 characters.", field="statements"
            )
        cleaned.append(
            DimensionInput(
                key=(dim.key or "").strip()[:60],
                name=name,
                description=(dim.description or "").strip()[:2000],
                statements=statements,
            )
        )
    return cleaned


def _write_content(
    session: Session,
    org_id: int,
    version_id: int,
    levels: list[LevelInput],
    dimensions: list[DimensionInput],
) -> None:
    for level in levels:
        session.add(
            AssessmentLevel(
                org_id=org_id,
                version_id=version_id,
                value=level.value,
                label=level.label,
                description=level.description,
            )
        )
    taken: set[str] = set()
    for position, dim in enumerate(dimensions):
        key = dim.key if dim.key and dim.key not in taken else _key_from(dim.name, taken)
        taken.add(key)
        row = AssessmentDimension(
            org_id=org_id,
            version_id=version_id,
            key=key,
            position=position,
            name=dim.name,
            description=dim.description,
        )
        session.add(row)
        session.flush()
        assert row.id is not None
        for spot, text in enumerate(dim.statements):
            session.add(
                AssessmentStatement(org_id=org_id, dimension_id=row.id, position=spot, text=text)
            )
    session.flush()


def _model(session: Session, model_id: int) -> AssessmentModel:
    return _get(session, AssessmentModel, model_id, "That assessment model")


def _latest_version(session: Session, model_id: int) -> AssessmentModelVersion:
    version = session.exec(
        select(AssessmentModelVersion)
        .where(AssessmentModelVersion.model_id == model_id)
        .order_by(col(AssessmentModelVersion.number).desc())
    ).first()
    if version is None:
        raise NotFound("That assessment model")
    return version


def _name_taken(session: Session, name: str, *, except_id: int | None = None) -> bool:
    query = select(AssessmentModel.id).where(func.lower(AssessmentModel.name) == name.lower())
    if except_id is not None:
        query = query.where(col(AssessmentModel.id) != except_id)
    return session.exec(query).first() is not None


def _new_model(
    session: Session,
    ctx: TenantContext,
    *,
    name: str,
    description: str,
    kind: str,
    asks_trend: bool,
    levels: list[LevelInput],
    dimensions: list[DimensionInput],
    builtin_key: str | None = None,
    copied_from_id: int | None = None,
) -> AssessmentModel:
    model = AssessmentModel(
        org_id=ctx.org_id,
        name=name,
        description=description,
        kind=kind,
        builtin_key=builtin_key,
        copied_from_id=copied_from_id,
        created_by_id=ctx.user_id,
    )
    session.add(model)
    session.flush()
    assert model.id is not None
    version = AssessmentModelVersion(
        org_id=ctx.org_id, model_id=model.id, number=1, asks_trend=asks_trend
    )
    session.add(version)
    session.flush()
    assert version.id is not None
    _write_content(session, ctx.org_id, version.id, levels, dimensions)
    return model


# ---------------------------------------------------------------- models: services


def ensure_builtin_models(*, session: Session, ctx: TenantContext) -> None:
    """Give the organisation its copy of each built-in model it does not have yet."""
    have = set(
        session.exec(
            select(AssessmentModel.builtin_key).where(col(AssessmentModel.builtin_key).is_not(None))
        ).all()
    )
    for spec in builtin.BUILTIN_MODELS:
        if spec.key in have:
            continue
        name = spec.name if not _name_taken(session, spec.name) else f"{spec.name} (built-in)"
        _new_model(
            session,
            ctx,
            name=name,
            description=spec.description,
            kind=spec.kind,
            asks_trend=spec.asks_trend,
            levels=[LevelInput(value=v, label=lb, description=d) for v, lb, d in spec.levels],
            dimensions=[
                DimensionInput(
                    key=d.key, name=d.name, description=d.description, statements=list(d.statements)
                )
                for d in spec.dimensions
            ],
            builtin_key=spec.key,
        )


def list_models(*, session: Session, ctx: TenantContext) -> list[ModelRow]:
    """The organisation's models (built-in first), with their latest version's size."""
    _require_coach(ctx)
    ensure_builtin_models(session=session, ctx=ctx)
    models = session.exec(
        select(AssessmentModel)
        .where(col(AssessmentModel.archived_at).is_(None))
        .order_by(col(AssessmentModel.builtin_key).is_(None), col(AssessmentModel.name))
    ).all()
    rows = []
    for model in models:
        assert model.id is not None
        version = _latest_version(session, model.id)
        dims, statements = session.exec(
            select(
                func.count(func.distinct(AssessmentDimension.id)),
                func.count(col(AssessmentStatement.id)),
            )
            .select_from(AssessmentDimension)
            .join(
                AssessmentStatement, col(AssessmentStatement.dimension_id) == AssessmentDimension.id
            )
            .where(AssessmentDimension.version_id == version.id)
        ).one()
        rows.append(
            ModelRow(
                id=model.id,
                name=model.name,
                kind=model.kind,
                builtin=model.builtin_key is not None,
                latest_version=version.number,
                dimension_count=int(dims),
                statement_count=int(statements),
            )
        )
    return rows


def _version_detail(session: Session, version: AssessmentModelVersion) -> ModelVersionDetail:
    model = _model(session, version.model_id)
    assert version.id is not None and model.id is not None
    levels = session.exec(
        select(AssessmentLevel)
        .where(AssessmentLevel.version_id == version.id)
        .order_by(col(AssessmentLevel.value))
    ).all()
    dims = _dimensions(session, version.id)
    statements: dict[int, list[StatementRow]] = defaultdict(list)
    if dims:
        for st in session.exec(
            select(AssessmentStatement)
            .where(col(AssessmentStatement.dimension_id).in_([d.id for d in dims]))
            .order_by(col(AssessmentStatement.position), col(AssessmentStatement.id))
        ).all():
            assert st.id is not None
            statements[st.dimension_id].append(StatementRow(id=st.id, text=st.text))
    return ModelVersionDetail(
        model_id=model.id,
        version_id=version.id,
        number=version.number,
        name=model.name,
        description=model.description,
        kind=model.kind,
        builtin_key=model.builtin_key,
        locked=version.locked,
        asks_trend=version.asks_trend,
        levels=[
            LevelRow(value=lv.value, label=lv.label, description=lv.description) for lv in levels
        ],
        dimensions=[
            DimensionRow(
                id=d.id or 0,
                key=d.key,
                name=d.name,
                description=d.description,
                statements=statements.get(d.id or 0, []),
            )
            for d in dims
        ],
    )


def latest_model_version(
    *, session: Session, ctx: TenantContext, model_id: int
) -> ModelVersionDetail:
    """A model as the editor shows it: its newest version."""
    _require_coach(ctx)
    return _version_detail(session, _latest_version(session, _model(session, model_id).id or 0))


def model_version(*, session: Session, ctx: TenantContext, version_id: int) -> ModelVersionDetail:
    """One exact version: coaches, or a participant of a round that uses it."""
    version = _get(session, AssessmentModelVersion, version_id, "That model version")
    if not ctx.has(Role.COACH):
        asked = session.exec(
            select(RoundParticipant.id)
            .join(AssessmentRound, col(AssessmentRound.id) == RoundParticipant.round_id)
            .where(
                AssessmentRound.model_version_id == version_id,
                RoundParticipant.user_id == ctx.user_id,
            )
        ).first()
        if asked is None:
            raise NotFound("That model version")
    return _version_detail(session, version)


def create_model(
    *,
    session: Session,
    ctx: TenantContext,
    name: str,
    description: str = "",
    kind: str = KIND_MATURITY,
    levels: list[LevelInput],
    dimensions: list[DimensionInput],
) -> int:
    """Build a model from scratch. Returns its id."""
    _require_coach(ctx)
    _write(session, ctx)
    name = _clean(name, what="model name", max_length=120)
    if kind not in (KIND_MATURITY, KIND_HEALTH_CHECK):
        raise ValidationFailed("Choose a maturity model or a health check.", field="kind")
    if _name_taken(session, name):
        raise Conflict(f"A model called {name} already exists.")
    model = _new_model(
        session,
        ctx,
        name=name,
        description=(description or "").strip()[:4000],
        kind=kind,
        asks_trend=kind == KIND_HEALTH_CHECK,
        levels=_clean_levels(levels),
        dimensions=_clean_dimensions(dimensions),
    )
    assert model.id is not None
    audit.record(session=session, ctx=ctx, action="assessment.model_created", target=name)
    return model.id


def copy_model(*, session: Session, ctx: TenantContext, model_id: int, name: str) -> int:
    """Copy a model's newest version into a new model to adapt. Returns the copy's id."""
    _require_coach(ctx)
    _write(session, ctx)
    source = _model(session, model_id)
    name = _clean(name, what="model name", max_length=120)
    if _name_taken(session, name):
        raise Conflict(f"A model called {name} already exists.")
    detail = _version_detail(session, _latest_version(session, model_id))
    model = _new_model(
        session,
        ctx,
        name=name,
        description=source.description,
        kind=source.kind,
        asks_trend=detail.asks_trend,
        levels=[LevelInput(**lv.model_dump()) for lv in detail.levels],
        dimensions=[
            DimensionInput(
                key=d.key,
                name=d.name,
                description=d.description,
                statements=[s.text for s in d.statements],
            )
            for d in detail.dimensions
        ],
        copied_from_id=model_id,
    )
    assert model.id is not None
    audit.record(
        session=session,
        ctx=ctx,
        action="assessment.model_copied",
        target=name,
        detail=f"from {source.name}",
    )
    return model.id


def update_model(
    *,
    session: Session,
    ctx: TenantContext,
    model_id: int,
    name: str,
    description: str = "",
    levels: list[LevelInput],
    dimensions: list[DimensionInput],
) -> int:
    """Save the editor's content. Returns the id of the version that now holds it.

    When a round has used the newest version, the content goes into a new version (number
    + 1) and the used one stays untouched, so past results keep the model they were answered
    against. A dimension keeps its `key` when the editor passes it back unchanged.
    The built-in models cannot be changed: copy one to adapt it.
    """
    _require_coach(ctx)
    _write(session, ctx)
    model = _model(session, model_id)
    if model.builtin_key is not None:
        raise ValidationFailed("The built-in models cannot be changed; copy one to adapt it.")
    name = _clean(name, what="model name", max_length=120)
    if _name_taken(session, name, except_id=model_id):
        raise Conflict(f"A model called {name} already exists.")
    clean_levels, clean_dims = _clean_levels(levels), _clean_dimensions(dimensions)
    model.name = name
    model.description = (description or "").strip()[:4000]
    session.add(model)
    version = _latest_version(session, model_id)
    if version.locked:
        version = AssessmentModelVersion(
            org_id=ctx.org_id,
            model_id=model_id,
            number=version.number + 1,
            asks_trend=version.asks_trend,
        )
        session.add(version)
        session.flush()
    else:
        old_dims = [d.id for d in _dimensions(session, version.id or 0)]
        if old_dims:
            session.execute(
                delete(AssessmentStatement).where(
                    col(AssessmentStatement.dimension_id).in_(old_dims)
                )
            )
        session.execute(
            delete(AssessmentDimension).where(col(AssessmentDimension.version_id) == version.id)
        )
        session.execute(
            delete(AssessmentLevel).where(col(AssessmentLevel.version_id) == version.id)
        )
        session.expire_all()
    assert version.id is not None
    _write_content(session, ctx.org_id, version.id, clean_levels, clean_dims)
    audit.record(
        session=session,
        ctx=ctx,
        action="assessment.model_updated",
        target=name,
        detail=f"version {version.number}",
    )
    return version.id


def archive_model(*, session: Session, ctx: TenantContext, model_id: int) -> None:
    """Hide a model from new rounds; its past rounds and results stay."""
    _require_coach(ctx)
    _write(session, ctx)
    model = _model(session, model_id)
    model.archived_at = utcnow()
    session.add(model)
    audit.record(session=session, ctx=ctx, action="assessment.model_archived", target=model.name)


# ---------------------------------------------------------------- rounds


def start_round(
    *,
    session: Session,
    ctx: TenantContext,
    model_id: int,
    team_ids: list[int],
    title: str = "",
) -> int:
    """Open a round of a model's newest version for one or more teams. Returns its id.

    Every current member of each team becomes a participant; the version used is locked.
    """
    _require_coach(ctx)
    _write(session, ctx)
    entitlements.check_can_open_assessment_round(session=session, ctx=ctx)
    model = _model(session, model_id)
    if model.archived_at is not None:
        raise ValidationFailed("That model is archived; choose another.", field="model")
    unique_teams = list(dict.fromkeys(team_ids))
    if not unique_teams:
        raise ValidationFailed("Choose at least one team.", field="teams")
    teams = [_get(session, Team, team_id, "That team") for team_id in unique_teams]
    members: dict[int, list[int]] = {}
    for team in teams:
        assert team.id is not None
        members[team.id] = list(
            session.exec(select(TeamMember.user_id).where(TeamMember.team_id == team.id)).all()
        )
        if not members[team.id]:
            raise ValidationFailed(
                f"{team.name} has no members yet; add members before starting a round.",
                field="teams",
            )
    version = _latest_version(session, model_id)
    version.locked = True
    session.add(version)
    now = utcnow()
    title = _clean(title or f"{model.name} {now:%B %Y}", what="round title", max_length=160)
    rnd = AssessmentRound(
        org_id=ctx.org_id,
        title=title,
        model_version_id=version.id or 0,
        created_by_id=ctx.user_id,
        opened_at=now,
    )
    session.add(rnd)
    session.flush()
    assert rnd.id is not None
    for team in teams:
        assert team.id is not None
        session.add(RoundTeam(org_id=ctx.org_id, round_id=rnd.id, team_id=team.id))
        for user_id in members[team.id]:
            session.add(
                RoundParticipant(
                    org_id=ctx.org_id, round_id=rnd.id, team_id=team.id, user_id=user_id
                )
            )
    session.flush()
    audit.record(
        session=session,
        ctx=ctx,
        action="assessment.round_started",
        target=title,
        detail=f"{model.name} v{version.number}; teams: {', '.join(t.name for t in teams)}",
    )
    return rnd.id


def list_rounds(*, session: Session, ctx: TenantContext) -> list[RoundSummary]:
    """Every round of the organisation, newest first (coaches)."""
    _require_coach(ctx)
    rounds = session.exec(
        select(AssessmentRound).order_by(
            col(AssessmentRound.opened_at).desc(), col(AssessmentRound.id).desc()
        )
    ).all()
    return [_round_summary(session, rnd) for rnd in rounds]


def get_round(*, session: Session, ctx: TenantContext, round_id: int) -> RoundSummary:
    """A round's summary: coaches, or someone asked to answer it."""
    rnd = _round(session, round_id)
    if not ctx.has(Role.COACH):
        asked = session.exec(
            select(RoundParticipant.id).where(
                RoundParticipant.round_id == round_id, RoundParticipant.user_id == ctx.user_id
            )
        ).first()
        if asked is None:
            raise NotFound("That assessment round")
    return _round_summary(session, rnd)


def round_progress(*, session: Session, ctx: TenantContext, round_id: int) -> list[TeamProgress]:
    """Per team: how many were asked, have started, have submitted. Teams by name."""
    _require_coach(ctx)
    _round(session, round_id)
    counts = {
        t: (int(a), int(s), int(d))
        for t, a, s, d in session.exec(
            select(
                RoundParticipant.team_id,
                func.count(col(RoundParticipant.id)),
                func.count(col(RoundParticipant.started_at)),
                func.count(col(RoundParticipant.submitted_at)),
            )
            .where(RoundParticipant.round_id == round_id)
            .group_by(col(RoundParticipant.team_id))
        ).all()
    }
    teams = session.exec(
        select(Team.id, Team.name)
        .join(RoundTeam, col(RoundTeam.team_id) == Team.id)
        .where(RoundTeam.round_id == round_id)
        .order_by(col(Team.name))
    ).all()
    progress = []
    for team_id, name in teams:
        invited, started, submitted = counts.get(team_id or 0, (0, 0, 0))
        progress.append(
            TeamProgress(
                team_id=team_id or 0,
                team_name=name,
                invited=invited,
                started=started,
                submitted=submitted,
            )
        )
    return progress


def close_round(*, session: Session, ctx: TenantContext, round_id: int) -> None:
    """Stop collecting answers; results are final from now on."""
    _require_coach(ctx)
    _write(session, ctx)
    rnd = _round(session, round_id)
    if rnd.status != ROUND_OPEN:
        raise Conflict("This round is already closed.")
    rnd.status = ROUND_CLOSED
    rnd.closed_at = utcnow()
    session.add(rnd)
    audit.record(session=session, ctx=ctx, action="assessment.round_closed", target=rnd.title)


def round_notes(*, session: Session, ctx: TenantContext, round_id: int) -> str:
    _require_coach(ctx)
    return _round(session, round_id).notes


def set_round_notes(*, session: Session, ctx: TenantContext, round_id: int, notes: str) -> None:
    """The facilitator's notes for a round (coaches only)."""
    _require_coach(ctx)
    _write(session, ctx)
    rnd = _round(session, round_id)
    notes = (notes or "").strip()
    if len(notes) > 20_000:
        raise ValidationFailed("Notes are limited to 20,000 characters.", field="notes")
    rnd.notes = notes
    session.add(rnd)
    audit.record(session=session, ctx=ctx, action="assessment.notes_updated", target=rnd.title)


# ---------------------------------------------------------------- answering


def _my_participant(session: Session, ctx: TenantContext, participant_id: int) -> RoundParticipant:
    row = session.get(RoundParticipant, participant_id)
    # Someone else's questionnaire is "not found", like a missing one.
    if row is None or row.user_id != ctx.user_id:
        raise NotFound("That questionnaire")
    return row


def _statement_dimensions(session: Session, version_id: int) -> dict[int, int]:
    """statement id -> dimension id for one version."""
    rows = session.exec(
        select(AssessmentStatement.id, AssessmentStatement.dimension_id)
        .join(AssessmentDimension, col(AssessmentDimension.id) == AssessmentStatement.dimension_id)
        .where(AssessmentDimension.version_id == version_id)
    ).all()
    return {s or 0: d for s, d in rows}


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
        for a in session.exec(
            select(AssessmentAnswer).where(AssessmentAnswer.participant_id == participant_id)
        ).all()
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
    _write(session, ctx)
    part = _my_participant(session, ctx, participant_id)
    rnd = _round(session, part.round_id)
    if rnd.status != ROUND_OPEN:
        raise Conflict("This round is closed; answers can no longer change.")
    version = _get(session, AssessmentModelVersion, rnd.model_version_id, "That model version")
    statement_dims = _statement_dimensions(session, version.id or 0)
    low, high = _scale(session, version.id or 0)
    existing = {
        a.statement_id: a
        for a in session.exec(
            select(AssessmentAnswer).where(AssessmentAnswer.participant_id == participant_id)
        ).all()
    }
    for statement_id, value in values.items():
        if statement_id not in statement_dims:
            raise ValidationFailed("That statement is not part of this questionnaire.")
        answer = existing.get(statement_id)
        if value is None:
            if answer is not None:
                session.delete(answer)
            continue
        if not low <= int(value) <= high:
            raise ValidationFailed(f"Choose a rating from {low} to {high}.", field="value")
        if answer is None:
            session.add(
                AssessmentAnswer(
                    org_id=ctx.org_id,
                    participant_id=participant_id,
                    statement_id=statement_id,
                    round_id=part.round_id,
                    team_id=part.team_id,
                    dimension_id=statement_dims[statement_id],
                    value=int(value),
                )
            )
        else:
            answer.value = int(value)
            session.add(answer)
    _save_dimension_notes(session, part, set(statement_dims.values()), version, comments, trends)
    now = utcnow()
    part.started_at = part.started_at or now
    part.updated_at = now
    session.flush()
    if submit:
        answered = session.exec(
            select(func.count(col(AssessmentAnswer.id))).where(
                AssessmentAnswer.participant_id == participant_id
            )
        ).one()
        if not answered:
            raise ValidationFailed("Rate at least one statement before you submit.")
        if part.submitted_at is None:
            part.submitted_at = now
            audit.record(
                session=session, ctx=ctx, action="assessment.answers_submitted", target=rnd.title
            )
    session.add(part)
    session.flush()
    return next(a for a in my_assignments(session=session, ctx=ctx) if a.participant_id == part.id)


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
            org_id=part.org_id,
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


# ---------------------------------------------------------------- results


def _value_counts(
    session: Session, round_id: int, team_id: int | None = None
) -> dict[tuple[int, int], dict[int, int]]:
    """(team, dimension) -> {value: number of answers}, counted by the database."""
    query = select(
        AssessmentAnswer.team_id,
        AssessmentAnswer.dimension_id,
        AssessmentAnswer.value,
        func.count(),
    ).where(AssessmentAnswer.round_id == round_id)
    if team_id is not None:
        query = query.where(AssessmentAnswer.team_id == team_id)
    counts: dict[tuple[int, int], dict[int, int]] = defaultdict(dict)
    for team, dim, value, n in session.exec(
        query.group_by(
            col(AssessmentAnswer.team_id),
            col(AssessmentAnswer.dimension_id),
            col(AssessmentAnswer.value),
        )
    ).all():
        counts[(team, dim)][value] = int(n)
    return counts


def _respondent_counts(session: Session, round_id: int, team_id: int) -> dict[int, int]:
    """dimension -> people who answered at least one of its statements."""
    return {
        d: int(n)
        for d, n in session.exec(
            select(
                AssessmentAnswer.dimension_id,
                func.count(func.distinct(AssessmentAnswer.participant_id)),
            )
            .where(AssessmentAnswer.round_id == round_id, AssessmentAnswer.team_id == team_id)
            .group_by(col(AssessmentAnswer.dimension_id))
        ).all()
    }


def team_result(*, session: Session, ctx: TenantContext, round_id: int, team_id: int) -> TeamResult:
    """One team's aggregates in one round, with the change since its previous round.

    Per dimension: mean and median of all answers; min, max, standard deviation and the
    distribution only when at least three people answered that dimension; comments (without
    names) under the same rule; health checks add colour and trend.
    """
    _require_coach(ctx)
    rnd = _round(session, round_id)
    team = _require_round_team(session, round_id, team_id)
    version = _get(session, AssessmentModelVersion, rnd.model_version_id, "That model version")
    model = _model(session, version.model_id)
    low, high = _scale(session, version.id or 0)
    counts = _value_counts(session, round_id, team_id)
    respondents = _respondent_counts(session, round_id, team_id)
    team_respondents = session.exec(
        select(func.count(func.distinct(AssessmentAnswer.participant_id))).where(
            AssessmentAnswer.round_id == round_id, AssessmentAnswer.team_id == team_id
        )
    ).one()
    previous = latest_closed_round_for_team(
        session=session, ctx=ctx, team_id=team_id, before_round_id=round_id, model_id=model.id
    )
    previous_means: dict[str, float] = {}
    if previous is not None:
        previous_means = {
            s.dimension_key: s.mean
            for s in team_dimension_scores(
                session=session, ctx=ctx, round_id=previous.id, team_id=team_id
            )
            if s.mean is not None
        }
    focus = set(
        session.exec(
            select(FocusDimension.dimension_id).where(
                FocusDimension.round_id == round_id, FocusDimension.team_id == team_id
            )
        ).all()
    )
    notes: dict[int, list[DimensionComment]] = defaultdict(list)
    for c in session.exec(
        select(DimensionComment).where(
            DimensionComment.round_id == round_id, DimensionComment.team_id == team_id
        )
    ).all():
        notes[c.dimension_id].append(c)
    dimensions = []
    for dim in _dimensions(session, version.id or 0):
        assert dim.id is not None
        dim_counts = counts.get((team_id, dim.id), {})
        stats = aggregation.stats_from_counts(dim_counts)
        people = respondents.get(dim.id, 0)
        visible = aggregation.spread_visible(people)
        trend_values = [c.trend for c in notes[dim.id] if c.trend is not None]
        up, same, down = (trend_values.count(v) for v in (1, 0, -1))
        previous_mean = previous_means.get(dim.key)
        dimensions.append(
            DimensionStats(
                dimension_id=dim.id,
                dimension_key=dim.key,
                name=dim.name,
                respondents=people,
                answers=stats.answers,
                mean=stats.mean,
                median=stats.median,
                minimum=stats.minimum if visible else None,
                maximum=stats.maximum if visible else None,
                stddev=stats.stddev if visible else None,
                distribution=aggregation.distribution(dim_counts, low, high) if visible else [],
                spread_hidden=not visible,
                previous_mean=previous_mean,
                change=(
                    stats.mean - previous_mean
                    if stats.mean is not None and previous_mean is not None
                    else None
                ),
                trend_up=up,
                trend_same=same,
                trend_down=down,
                is_focus=dim.id in focus,
                comments=sorted(c.comment for c in notes[dim.id] if c.comment) if visible else [],
                colour=(
                    aggregation.health_colour(stats.mean, high)
                    if model.kind == KIND_HEALTH_CHECK
                    else ""
                ),
                trend=aggregation.trend_word(up, same, down),
            )
        )
    return TeamResult(
        round_id=round_id,
        team_id=team_id,
        team_name=team.name,
        respondents=int(team_respondents),
        previous_round_id=previous.id if previous else None,
        scale_min=low,
        scale_max=high,
        dimensions=dimensions,
    )


def radar_series(result: TeamResult) -> list[dict[str, Any]]:
    """Rows for a radar chart: one per dimension with this round's and the previous mean."""
    return [
        {
            "dimension": d.name,
            "current": round(d.mean, 2) if d.mean is not None else 0,
            "previous": round(d.previous_mean, 2) if d.previous_mean is not None else 0,
        }
        for d in result.dimensions
    ]


def heat_map(
    *, session: Session, ctx: TenantContext, round_id: int, rank_by_dimension_id: int | None = None
) -> HeatMap:
    """Teams x dimensions of one round, each cell the mean of the raw answers.

    One grouped query over the answers (the database does the averaging; no average of
    averages). Teams come in alphabetical order: they are not ranked against each other
    unless the coach asks for it with `rank_by_dimension_id` (highest mean first).
    """
    _require_coach(ctx)
    rnd = _round(session, round_id)
    cells = [
        HeatMapCell(team_id=t, dimension_id=d, mean=float(m), answers=int(n))
        for t, d, m, n in session.exec(
            select(
                AssessmentAnswer.team_id,
                AssessmentAnswer.dimension_id,
                func.avg(AssessmentAnswer.value),
                func.count(),
            )
            .where(AssessmentAnswer.round_id == round_id)
            .group_by(col(AssessmentAnswer.team_id), col(AssessmentAnswer.dimension_id))
        ).all()
    ]
    teams = session.exec(
        select(Team.id, Team.name)
        .join(RoundTeam, col(RoundTeam.team_id) == Team.id)
        .where(RoundTeam.round_id == round_id)
        .order_by(col(Team.name))
    ).all()
    dims = _dimensions(session, rnd.model_version_id)
    team_rows = [(t or 0, n) for t, n in teams]
    if rank_by_dimension_id is not None:
        means = {c.team_id: c.mean for c in cells if c.dimension_id == rank_by_dimension_id}
        team_rows.sort(key=lambda row: -means.get(row[0], float("-inf")))
    return HeatMap(
        round_id=round_id,
        teams=team_rows,
        dimensions=[(d.id or 0, d.name) for d in dims],
        cells=cells,
    )


def _fmt(value: float | int | None) -> str:
    if value is None:
        return ""
    return f"{value:.2f}" if isinstance(value, float) else str(value)


def export_round_csv(*, session: Session, ctx: TenantContext, round_id: int) -> str:
    """The round's aggregates as CSV: one line per team and dimension (no individual answers)."""
    _require_coach(ctx)
    summary = get_round(session=session, ctx=ctx, round_id=round_id)
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(
        [
            "round",
            "team",
            "dimension",
            "respondents",
            "answers",
            "mean",
            "median",
            "min",
            "max",
            "stddev",
            "distribution",
            "previous_mean",
            "change",
            "focus",
        ]
    )
    results = [
        team_result(session=session, ctx=ctx, round_id=round_id, team_id=t)
        for t in summary.team_ids
    ]
    for result in sorted(results, key=lambda r: r.team_name.lower()):
        for d in result.dimensions:
            writer.writerow(
                [
                    summary.title,
                    result.team_name,
                    d.name,
                    d.respondents,
                    d.answers,
                    _fmt(d.mean),
                    _fmt(d.median),
                    _fmt(d.minimum),
                    _fmt(d.maximum),
                    _fmt(d.stddev),
                    " ".join(str(n) for n in d.distribution),
                    _fmt(d.previous_mean),
                    _fmt(d.change),
                    "yes" if d.is_focus else "",
                ]
            )
    audit.record(session=session, ctx=ctx, action="assessment.exported", target=summary.title)
    return out.getvalue()


# ---------------------------------------------------------------- focus dimensions


def mark_focus_dimension(
    *,
    session: Session,
    ctx: TenantContext,
    round_id: int,
    team_id: int,
    dimension_id: int,
    note: str = "",
) -> int:
    """Mark a dimension of a closed round's result as a focus for the team. Returns its id."""
    _require_coach(ctx)
    _write(session, ctx)
    rnd = _round(session, round_id)
    team = _require_round_team(session, round_id, team_id)
    if rnd.status != ROUND_CLOSED:
        raise Conflict("Close the round before choosing focus dimensions from its result.")
    dim = session.get(AssessmentDimension, dimension_id)
    if dim is None or dim.version_id != rnd.model_version_id:
        raise NotFound("That dimension")
    note = (note or "").strip()[:2000]
    mark = session.exec(
        select(FocusDimension).where(
            FocusDimension.round_id == round_id,
            FocusDimension.team_id == team_id,
            FocusDimension.dimension_id == dimension_id,
        )
    ).first()
    if mark is None:
        mark = FocusDimension(
            org_id=ctx.org_id,
            round_id=round_id,
            team_id=team_id,
            dimension_id=dimension_id,
            marked_by_id=ctx.user_id,
        )
    mark.note = note
    session.add(mark)
    session.flush()
    assert mark.id is not None
    audit.record(
        session=session,
        ctx=ctx,
        action="assessment.focus_marked",
        target=f"{team.name}: {dim.name}",
        detail=rnd.title,
    )
    return mark.id


def unmark_focus_dimension(
    *, session: Session, ctx: TenantContext, round_id: int, team_id: int, dimension_id: int
) -> None:
    _require_coach(ctx)
    _write(session, ctx)
    _round(session, round_id)
    team = _require_round_team(session, round_id, team_id)
    mark = session.exec(
        select(FocusDimension).where(
            FocusDimension.round_id == round_id,
            FocusDimension.team_id == team_id,
            FocusDimension.dimension_id == dimension_id,
        )
    ).first()
    if mark is None:
        raise NotFound("That focus dimension")
    dim = session.get(AssessmentDimension, dimension_id)
    session.delete(mark)
    audit.record(
        session=session,
        ctx=ctx,
        action="assessment.focus_unmarked",
        target=f"{team.name}: {dim.name if dim else dimension_id}",
    )
