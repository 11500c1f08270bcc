# About 500 lines because validation and versioning of a model's content belong to one editor.
"""The assessment model catalogue (pages/overview.py lists it, pages/editor.py edits it):
built-in models, custom models, their versions, levels, dimensions and statements.

A model's content is versioned: editing a model used by a round writes a new version, so a
round keeps the exact questions its participants answered.
"""

from __future__ import annotations

import re
from collections import defaultdict

from sqlalchemy import delete, func
from sqlmodel import Session, col, select

from pmo_saas.assessments import builtin
from pmo_saas.assessments.models import (
    KIND_HEALTH_CHECK,
    KIND_MATURITY,
    AssessmentDimension,
    AssessmentLevel,
    AssessmentModel,
    AssessmentModelVersion,
    AssessmentRound,
    AssessmentStatement,
    RoundParticipant,
)
from pmo_saas.assessments.schemas import (
    DimensionInput,
    DimensionRow,
    LevelInput,
    LevelRow,
    ModelRow,
    ModelVersionDetail,
    StatementRow,
)
from pmo_saas.assessments.services.common import _dimensions, _get, _require_coach
from pmo_saas.db import writes_allowed_when_read_only
from pmo_saas.identity import audit
from pmo_saas.kernel.clock import utcnow
from pmo_saas.kernel.context import TenantContext
from pmo_saas.kernel.errors import Conflict, NotFound, ValidationFailed
from pmo_saas.kernel.roles import Role

MAX_DIMENSIONS = 12


MAX_STATEMENTS = 12


MAX_LEVELS = 10


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
    version_id: int,
    levels: list[LevelInput],
    dimensions: list[DimensionInput],
) -> None:
    for level in levels:
        session.add(
            AssessmentLevel(
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
            session.add(AssessmentStatement(dimension_id=row.id, position=spot, text=text))
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
    # Compared in Python: SQLite's lower() folds ASCII only ("Ölmodell" vs "ölmodell" would
    # pass and then hit the unique index). An organisation has few models.
    wanted = name.casefold()
    rows = session.exec(select(AssessmentModel.id, AssessmentModel.name)).all()
    return any(other.casefold() == wanted and model_id != except_id for model_id, other in rows)


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
    version = AssessmentModelVersion(model_id=model.id, number=1, asks_trend=asks_trend)
    session.add(version)
    session.flush()
    assert version.id is not None
    _write_content(session, version.id, levels, dimensions)
    return model


def ensure_builtin_models(*, session: Session, ctx: TenantContext) -> None:
    """Give the organisation its copy of each built-in model it does not have yet (also in a
    read-only workspace: the catalogue page reads them)."""
    have = set(
        session.exec(
            select(AssessmentModel.builtin_key).where(col(AssessmentModel.builtin_key).is_not(None))
        ).all()
    )
    missing = [spec for spec in builtin.BUILTIN_MODELS if spec.key not in have]
    if missing:
        with writes_allowed_when_read_only(session):
            _add_builtin_models(session, ctx, missing)


def _add_builtin_models(
    session: Session, ctx: TenantContext, missing: list[builtin.BuiltinModel]
) -> None:
    for spec in missing:
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
    _write_content(session, version.id, clean_levels, clean_dims)
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
    model = _model(session, model_id)
    model.archived_at = utcnow()
    session.add(model)
    audit.record(session=session, ctx=ctx, action="assessment.model_archived", target=model.name)
