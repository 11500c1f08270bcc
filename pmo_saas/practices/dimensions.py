"""The seam to the assessments domain: the dimensions a practice can help, and the raw answers
of a round counted per team (the arrow points practices -> assessments, never back)."""

from __future__ import annotations

from collections import defaultdict

from sqlalchemy import func
from sqlmodel import Session, col, select

from pmo_saas.assessments.aggregation import Stats, stats_from_counts
from pmo_saas.assessments.builtin import AGILE_MATURITY
from pmo_saas.assessments.models import (
    KIND_MATURITY,
    ROUND_CLOSED,
    AssessmentAnswer,
    AssessmentDimension,
    AssessmentModel,
    AssessmentModelVersion,
    AssessmentRound,
)
from pmo_saas.kernel.context import TenantContext

__all__ = ["Stats", "dimension_names", "latest_maturity_round", "merged", "team_value_counts"]


def dimension_names(*, session: Session, ctx: TenantContext) -> dict[str, str]:
    """Every dimension key of the built-in maturity model and of the organisation's maturity
    models -> its name (the organisation's newest version's name wins)."""
    names = {d.key: d.name for d in AGILE_MATURITY.dimensions}
    rows = session.exec(
        select(AssessmentDimension.key, AssessmentDimension.name)
        .join(
            AssessmentModelVersion,
            col(AssessmentModelVersion.id) == AssessmentDimension.version_id,
        )
        .join(AssessmentModel, col(AssessmentModel.id) == AssessmentModelVersion.model_id)
        .where(AssessmentModel.kind == KIND_MATURITY)
        .order_by(col(AssessmentModelVersion.id), col(AssessmentDimension.position))
    ).all()
    names.update(dict(rows))  # a later version's name wins
    return names


def latest_maturity_round(session: Session) -> AssessmentRound | None:
    """The most recently closed round of a maturity model."""
    return session.exec(
        select(AssessmentRound)
        .join(
            AssessmentModelVersion,
            col(AssessmentModelVersion.id) == AssessmentRound.model_version_id,
        )
        .join(AssessmentModel, col(AssessmentModel.id) == AssessmentModelVersion.model_id)
        .where(AssessmentRound.status == ROUND_CLOSED, AssessmentModel.kind == KIND_MATURITY)
        .order_by(col(AssessmentRound.closed_at).desc(), col(AssessmentRound.id).desc())
    ).first()


def team_value_counts(session: Session, round_id: int) -> dict[int, dict[int, int]]:
    """team -> {answer value: how many raw answers had it} in one round, counted by the DB."""
    counts: dict[int, dict[int, int]] = defaultdict(dict)
    for team, value, n in session.exec(
        select(AssessmentAnswer.team_id, AssessmentAnswer.value, func.count())
        .where(AssessmentAnswer.round_id == round_id)
        .group_by(col(AssessmentAnswer.team_id), col(AssessmentAnswer.value))
    ).all():
        counts[team][value] = int(n)
    return counts


def merged(counts: dict[int, dict[int, int]], teams: set[int]) -> Stats:
    """The figures of every raw answer of `teams` together (never a mean of team means)."""
    total: dict[int, int] = defaultdict(int)
    for team in teams:
        for value, n in counts.get(team, {}).items():
            total[value] += n
    return stats_from_counts(total)
