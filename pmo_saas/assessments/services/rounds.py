"""Assessment rounds (pages/overview.py starts them, pages/round_page.py follows them): start a
round of a model's newest version for teams, list, follow progress, close, facilitator notes.
"""

from __future__ import annotations

from sqlalchemy import func
from sqlmodel import Session, col, select

from pmo_saas.assessments.models import (
    ROUND_CLOSED,
    ROUND_OPEN,
    AssessmentAnswer,
    AssessmentRound,
    RoundDimensionTotal,
    RoundParticipant,
    RoundTeam,
)
from pmo_saas.assessments.schemas import (
    RoundSummary,
    TeamProgress,
)
from pmo_saas.assessments.services.catalog import _clean, _latest_version, _model
from pmo_saas.assessments.services.common import (
    _get,
    _require_coach,
    _round,
    _round_summary,
)
from pmo_saas.billing import entitlements
from pmo_saas.identity import audit
from pmo_saas.identity.models import Team, TeamMember
from pmo_saas.kernel.clock import utcnow
from pmo_saas.kernel.context import TenantContext
from pmo_saas.kernel.errors import Conflict, NotFound, ValidationFailed
from pmo_saas.kernel.roles import Role


def count_open_rounds(session: Session) -> int:
    """Open rounds in the session's organisation: what the Free plan's round limit counts."""
    return int(
        session.exec(
            select(func.count())
            .select_from(AssessmentRound)
            .where(AssessmentRound.status == ROUND_OPEN)
        ).one()
    )


entitlements.register_usage_counter("open_assessment_rounds", count_open_rounds)


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
        session.add(RoundTeam(round_id=rnd.id, team_id=team.id))
        for user_id in members[team.id]:
            session.add(RoundParticipant(round_id=rnd.id, team_id=team.id, user_id=user_id))
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
    rnd = _round(session, round_id)
    if rnd.status != ROUND_OPEN:
        raise Conflict("This round is already closed.")
    rnd.status = ROUND_CLOSED
    rnd.closed_at = utcnow()
    session.add(rnd)
    # Closed (and the round's row locked) before the answers are counted: a save_answers
    # still running either commits first and is counted, or sees the round closed.
    session.flush()
    record_round_totals(session=session, ctx=ctx, round_id=round_id)
    audit.record(session=session, ctx=ctx, action="assessment.round_closed", target=rnd.title)


def record_round_totals(*, session: Session, ctx: TenantContext, round_id: int) -> None:
    """Count and sum a closed round's answers per team and dimension (RoundDimensionTotal), in
    the transaction that closes it; the demo and the benches call it for rounds they write
    closed. Answers no longer change once the round is closed, so the rows stay exact."""
    totals = session.exec(
        select(
            AssessmentAnswer.team_id,
            AssessmentAnswer.dimension_id,
            func.count(),
            func.sum(AssessmentAnswer.value),
        )
        .where(AssessmentAnswer.round_id == round_id)
        .group_by(col(AssessmentAnswer.team_id), col(AssessmentAnswer.dimension_id))
    ).all()
    session.add_all(
        RoundDimensionTotal(
            round_id=round_id,
            team_id=team_id,
            dimension_id=dimension_id,
            answers=int(answers),
            total=int(total),
        )
        for team_id, dimension_id, answers, total in totals
    )
    session.flush()


def round_notes(*, session: Session, ctx: TenantContext, round_id: int) -> str:
    _require_coach(ctx)
    return _round(session, round_id).notes


def set_round_notes(*, session: Session, ctx: TenantContext, round_id: int, notes: str) -> None:
    """The facilitator's notes for a round (coaches only)."""
    _require_coach(ctx)
    rnd = _round(session, round_id)
    notes = (notes or "").strip()
    if len(notes) > 20_000:
        raise ValidationFailed("Notes are limited to 20,000 characters.", field="notes")
    rnd.notes = notes
    session.add(rnd)
    audit.record(session=session, ctx=ctx, action="assessment.notes_updated", target=rnd.title)
