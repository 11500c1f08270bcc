"""The roadmap (pages/roadmap.py, pages/wave.py): waves in order with their dates, the teams
in each (a team is in one wave at most) and structured entry and exit criteria."""

from __future__ import annotations

import math
from datetime import date

from sqlalchemy import func
from sqlmodel import Session, col, delete, select

from pmo_saas.db import get_in_org
from pmo_saas.identity import audit
from pmo_saas.identity.models import Team
from pmo_saas.identity.validation import clean_name, refuse_nul
from pmo_saas.kernel.context import TenantContext
from pmo_saas.kernel.errors import Conflict, NotFound, ValidationFailed
from pmo_saas.practices import dimensions
from pmo_saas.rollout.models import (
    CRITERION_KINDS,
    MATURITY,
    METRICS,
    OPERATORS,
    RolloutWave,
    WaveCriterion,
    WaveTeam,
)
from pmo_saas.rollout.schemas import Choice, WaveRow
from pmo_saas.rollout.services.common import (
    CULTURE_INSTRUMENTS,
    get_wave,
    ordered_waves,
    question_prompts,
    require_manage,
    wave_rows,
)
from pmo_saas.surveys import instruments as ins

MAX_NOTES = 5_000


def _day(raw: str | date | None, *, what: str) -> date | None:
    if raw is None or isinstance(raw, date):
        return raw
    text = raw.strip()
    if not text:
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise ValidationFailed(f"The {what} must be a date (YYYY-MM-DD).", field=what) from None


def list_waves(*, session: Session, ctx: TenantContext) -> list[WaveRow]:
    """The roadmap in order, each wave with its teams and criteria (everyone reads it)."""
    return wave_rows(session, ctx, ordered_waves(session))


def wave_detail(*, session: Session, ctx: TenantContext, wave_id: int) -> WaveRow:
    return wave_rows(session, ctx, [get_wave(session, wave_id)])[0]


def create_wave(
    *,
    session: Session,
    ctx: TenantContext,
    title: str,
    is_pilot: bool = False,
    starts_on: str | date | None = None,
    ends_on: str | date | None = None,
    notes: str = "",
) -> int:
    """A new wave at the end of the roadmap; returns its id."""
    require_manage(ctx)
    title, start, end, notes = _clean_wave(
        session, title=title, starts_on=starts_on, ends_on=ends_on, notes=notes
    )
    last = session.exec(select(func.max(RolloutWave.position))).one()
    wave = RolloutWave(
        title=title,
        position=(last or 0) + 1,
        is_pilot=bool(is_pilot),
        starts_on=start,
        ends_on=end,
        notes=notes,
    )
    session.add(wave)
    session.flush()
    audit.record(session=session, ctx=ctx, action="rollout.wave_created", target=title)
    assert wave.id is not None
    return wave.id


def _clean_wave(
    session: Session,
    *,
    title: str,
    starts_on: str | date | None,
    ends_on: str | date | None,
    notes: str,
    wave_id: int | None = None,
) -> tuple[str, date | None, date | None, str]:
    """The checks a wave passes when created and when edited (`wave_id`: the one edited,
    whose own title is no clash)."""
    title = clean_name(title, what="title", max_length=120)
    start, end = _day(starts_on, what="start date"), _day(ends_on, what="end date")
    if start and end and end < start:
        raise ValidationFailed("The wave ends before it starts.", field="end date")
    refuse_nul(notes or "", what="notes")
    if len(notes or "") > MAX_NOTES:
        raise ValidationFailed(f"The notes are longer than {MAX_NOTES} characters.")
    taken = session.exec(
        select(RolloutWave.id).where(
            func.lower(RolloutWave.title) == func.lower(title), col(RolloutWave.id) != wave_id
        )
    ).first()
    if taken is not None:
        raise Conflict(f"There is already a wave called “{title}”.")
    return title, start, end, (notes or "").strip()


def update_wave(
    *,
    session: Session,
    ctx: TenantContext,
    wave_id: int,
    title: str,
    is_pilot: bool = False,
    starts_on: str | date | None = None,
    ends_on: str | date | None = None,
    notes: str = "",
) -> None:
    """A wave's title, pilot flag, dates and notes, checked as when it was created."""
    require_manage(ctx)
    wave = get_wave(session, wave_id)
    before = wave.title
    wave.title, wave.starts_on, wave.ends_on, wave.notes = _clean_wave(
        session, title=title, starts_on=starts_on, ends_on=ends_on, notes=notes, wave_id=wave.id
    )
    wave.is_pilot = bool(is_pilot)
    session.add(wave)
    audit.record(
        session=session,
        ctx=ctx,
        action="rollout.wave_updated",
        target=wave.title,
        detail="" if before == wave.title else f"renamed from {before}",
    )


def move_wave(*, session: Session, ctx: TenantContext, wave_id: int, earlier: bool) -> None:
    """Swap a wave with the one before (or after) it on the roadmap; at either end, nothing
    to do is said plainly."""
    require_manage(ctx)
    wave = get_wave(session, wave_id)
    waves = ordered_waves(session)
    at = next(i for i, w in enumerate(waves) if w.id == wave.id)
    other = at - 1 if earlier else at + 1
    if not 0 <= other < len(waves):
        raise ValidationFailed(
            f"“{wave.title}” is already the {'first' if earlier else 'last'} wave."
        )
    waves[at], waves[other] = waves[other], waves[at]
    for position, w in enumerate(waves, start=1):  # also mends equal positions
        if w.position != position:
            w.position = position
            session.add(w)
    audit.record(
        session=session,
        ctx=ctx,
        action="rollout.wave_moved",
        target=wave.title,
        detail=f"now wave {other + 1} of {len(waves)}",
    )


def delete_wave(*, session: Session, ctx: TenantContext, wave_id: int) -> None:
    require_manage(ctx)
    wave = get_wave(session, wave_id)
    session.exec(delete(WaveTeam).where(col(WaveTeam.wave_id) == wave.id))
    session.exec(delete(WaveCriterion).where(col(WaveCriterion.wave_id) == wave.id))
    session.delete(wave)
    audit.record(session=session, ctx=ctx, action="rollout.wave_deleted", target=wave.title)


def add_wave_team(*, session: Session, ctx: TenantContext, wave_id: int, team_id: int) -> None:
    """Put a team in a wave; a team already in another wave is refused (move it explicitly)."""
    require_manage(ctx)
    wave = get_wave(session, wave_id)
    team = get_in_org(session, Team, team_id, "That team")
    current = session.exec(select(WaveTeam).where(WaveTeam.team_id == team.id)).first()
    if current is not None:
        if current.wave_id == wave.id:
            return
        other = session.get(RolloutWave, current.wave_id)
        raise Conflict(
            f"{team.name} is already in “{other.title if other else 'another wave'}”: "
            "take it out of that wave first."
        )
    session.add(WaveTeam(wave_id=wave.id or 0, team_id=team.id or 0))


def remove_wave_team(*, session: Session, ctx: TenantContext, wave_id: int, team_id: int) -> None:
    require_manage(ctx)
    wave = get_wave(session, wave_id)
    team = get_in_org(session, Team, team_id, "That team")
    row = session.exec(
        select(WaveTeam).where(WaveTeam.wave_id == wave.id, WaveTeam.team_id == team.id)
    ).first()
    if row is None:
        raise NotFound("That team in this wave")
    session.delete(row)


def add_criterion(
    *,
    session: Session,
    ctx: TenantContext,
    wave_id: int,
    kind: str,
    metric: str,
    key: str = "",
    instrument: str = "",
    operator: str = ">=",
    threshold: float | str = 0.0,
) -> int:
    """An entry or exit criterion: metric, what it reads, operator and threshold."""
    require_manage(ctx)
    wave = get_wave(session, wave_id)
    if kind not in CRITERION_KINDS:
        raise ValidationFailed("Choose entry or exit.", field="kind")
    if metric not in METRICS:
        raise ValidationFailed("Choose maturity or a culture-survey figure.", field="metric")
    if operator not in OPERATORS:
        raise ValidationFailed(f"Choose an operator: {', '.join(OPERATORS)}.", field="operator")
    try:
        value = float(threshold)
    except (TypeError, ValueError):
        raise ValidationFailed("The threshold must be a number.", field="threshold") from None
    if not math.isfinite(value) or abs(value) > 1000:
        raise ValidationFailed("The threshold must be a number up to 1000.", field="threshold")
    key = (key or "").strip()
    if metric == MATURITY:
        instrument = ""
        if key and key not in dimensions.dimension_names(session=session, ctx=ctx):
            raise ValidationFailed("Unknown assessment dimension.", field="key")
    else:
        if instrument not in CULTURE_INSTRUMENTS:
            raise ValidationFailed(
                "Choose the Westrum, eNPS or team health survey.", field="instrument"
            )
        if key and key not in question_prompts(instrument):
            raise ValidationFailed("That question is not in this survey.", field="key")
    criterion = WaveCriterion(
        wave_id=wave.id or 0,
        kind=kind,
        metric=metric,
        key=key,
        instrument=instrument,
        operator=operator,
        threshold=value,
    )
    session.add(criterion)
    session.flush()
    assert criterion.id is not None
    return criterion.id


def remove_criterion(*, session: Session, ctx: TenantContext, criterion_id: int) -> None:
    require_manage(ctx)
    session.delete(get_in_org(session, WaveCriterion, criterion_id, "That criterion"))


def criterion_choices(*, session: Session, ctx: TenantContext) -> dict[str, list[Choice]]:
    """What a criterion can read: maturity dimensions, culture instruments and questions."""
    names = dimensions.dimension_names(session=session, ctx=ctx)
    survey_keys = [
        Choice(value=f"{i}:{k}", label=f"{ins.INSTRUMENT_LABELS[i]}: {p}")
        for i in CULTURE_INSTRUMENTS
        for k, p in question_prompts(i).items()
    ]
    return {
        "dimensions": [Choice(value="", label="Every dimension")]
        + [Choice(value=k, label=n) for k, n in names.items()],
        "surveys": [
            Choice(value=f"{i}:", label=f"{ins.INSTRUMENT_LABELS[i]} score")
            for i in CULTURE_INSTRUMENTS
        ]
        + survey_keys,
        "teams": [
            Choice(value=str(t), label=n)
            for t, n in session.exec(select(Team.id, Team.name).order_by(col(Team.name))).all()
        ],
    }
