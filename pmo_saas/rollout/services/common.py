"""What the rollout services share: look-ups inside the organisation, who may do what, the
criteria's wording and the wave rows every page shows."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from datetime import date

from sqlmodel import Session, col, select

from pmo_saas.db import get_in_org
from pmo_saas.identity.models import Team
from pmo_saas.kernel.context import TenantContext
from pmo_saas.kernel.roles import Role
from pmo_saas.practices import dimensions
from pmo_saas.rollout.models import (
    CRITERION_KINDS,
    MATURITY,
    RolloutWave,
    WaveCriterion,
    WaveTeam,
)
from pmo_saas.rollout.schemas import CriterionRow, WaveRow
from pmo_saas.surveys import instruments as ins

MANAGE_ONLY = "Only coaches and admins can plan roll-out waves."
READ_PROGRESS = "Only coaches and admins can see the teams' progress against the criteria."
# Instruments whose figures a criterion can read (a numeric headline or question means).
CULTURE_INSTRUMENTS = (ins.WESTRUM, ins.ENPS, ins.HEALTH)


def require_manage(ctx: TenantContext, message: str = MANAGE_ONLY) -> None:
    ctx.require(Role.COACH, message)


def get_wave(session: Session, wave_id: int) -> RolloutWave:
    return get_in_org(session, RolloutWave, wave_id, "That wave")


def day(value: date | None) -> str:
    return value.isoformat() if value else ""


def question_prompts(instrument: str) -> dict[str, str]:
    """The numeric questions of a built-in instrument: key -> prompt."""
    return {
        q.key: q.prompt for q in ins.instrument_questions(instrument) if q.kind in ins.NUMERIC_KINDS
    }


def criterion_text(c: WaveCriterion, dimension_names: dict[str, str]) -> str:
    if c.metric == MATURITY:
        what = f"in {dimension_names.get(c.key, c.key)}" if c.key else "over every dimension"
        figure = f"maturity {c.operator} {c.threshold:.2f} {what}"
    else:
        label = ins.INSTRUMENT_LABELS.get(c.instrument, c.instrument)
        if c.key:
            prompt = question_prompts(c.instrument).get(c.key, c.key)
            figure = f"{label}, “{prompt}” {c.operator} {c.threshold:.2f}"
        else:
            figure = f"{label} score {c.operator} {c.threshold:.2f}"
    return f"{CRITERION_KINDS.get(c.kind, c.kind)}: {figure}"


def criterion_row(c: WaveCriterion, names: dict[str, str]) -> CriterionRow:
    assert c.id is not None
    return CriterionRow(
        id=c.id,
        wave_id=c.wave_id,
        kind=c.kind,
        metric=c.metric,
        key=c.key,
        instrument=c.instrument,
        operator=c.operator,
        threshold=c.threshold,
        text=criterion_text(c, names),
    )


def wave_rows(session: Session, ctx: TenantContext, waves: Sequence[RolloutWave]) -> list[WaveRow]:
    ids = [w.id for w in waves if w.id is not None]
    teams: dict[int, list[tuple[int, str]]] = defaultdict(list)
    criteria: dict[int, list[WaveCriterion]] = defaultdict(list)
    if ids:
        for wid, tid, name in session.exec(
            select(WaveTeam.wave_id, Team.id, Team.name)
            .join(Team, col(Team.id) == WaveTeam.team_id)
            .where(col(WaveTeam.wave_id).in_(ids))
            .order_by(col(Team.name))
        ).all():
            teams[wid].append((tid or 0, name))
        for c in session.exec(
            select(WaveCriterion)
            .where(col(WaveCriterion.wave_id).in_(ids))
            .order_by(col(WaveCriterion.kind), col(WaveCriterion.id))
        ).all():
            criteria[c.wave_id].append(c)
    names = dimensions.dimension_names(session=session, ctx=ctx) if criteria else {}
    rows = []
    for w in waves:
        assert w.id is not None
        rows.append(
            WaveRow(
                id=w.id,
                title=w.title,
                position=w.position,
                is_pilot=w.is_pilot,
                starts_on=day(w.starts_on),
                ends_on=day(w.ends_on),
                notes=w.notes,
                team_ids=[t for t, _ in teams[w.id]],
                team_names=[n for _, n in teams[w.id]],
                criteria=[criterion_row(c, names) for c in criteria[w.id]],
            )
        )
    return rows


def ordered_waves(session: Session) -> list[RolloutWave]:
    return list(
        session.exec(
            select(RolloutWave).order_by(col(RolloutWave.position), col(RolloutWave.id))
        ).all()
    )


def pilot_team_ids(session: Session) -> set[int]:
    return set(
        session.exec(
            select(WaveTeam.team_id)
            .join(RolloutWave, col(RolloutWave.id) == WaveTeam.wave_id)
            .where(col(RolloutWave.is_pilot).is_(True))
        ).all()
    )
