"""Helpers every assessments service module shares: look-ups inside the organisation, the
coach check, a round's summary, a model version's dimensions and scale.
"""

from __future__ import annotations

from datetime import datetime
from typing import TypeVar

from sqlalchemy import func
from sqlmodel import Session, col, select

from pmo_saas.assessments.models import (
    AssessmentDimension,
    AssessmentLevel,
    AssessmentModel,
    AssessmentModelVersion,
    AssessmentRound,
    RoundTeam,
)
from pmo_saas.assessments.schemas import (
    RoundSummary,
)
from pmo_saas.db import get_in_org
from pmo_saas.identity.models import Team
from pmo_saas.kernel.clock import as_utc
from pmo_saas.kernel.context import TenantContext
from pmo_saas.kernel.errors import NotFound
from pmo_saas.kernel.roles import Role

T = TypeVar("T")


COACH_ONLY = "Only coaches can do that."


def _get(session: Session, cls: type[T], row_id: int, what: str) -> T:
    return get_in_org(session, cls, row_id, what)


def _require_coach(ctx: TenantContext) -> None:
    ctx.require(Role.COACH, COACH_ONLY)


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
