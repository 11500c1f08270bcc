"""Demo data: two past, closed rounds of the built-in agile maturity model.

The second round shows a modest improvement over the first, and the lowest dimension of each
team's latest round is marked as a focus, so results, change and coaching plans have
something to show.
"""

from __future__ import annotations

import random
from datetime import timedelta

from sqlmodel import Session, col, select

from pmo_saas.assessments.models import (
    ROUND_CLOSED,
    AssessmentAnswer,
    AssessmentModel,
    AssessmentRound,
    DimensionComment,
    FocusDimension,
    RoundParticipant,
    RoundTeam,
)
from pmo_saas.assessments.services import catalog, results, rounds
from pmo_saas.kernel.clock import utcnow
from pmo_saas.kernel.context import TenantContext
from pmo_saas.kernel.roles import Role

ROUNDS = (
    ("Agile maturity baseline", 120, 0.0, "Baseline before the transformation programme."),
    ("Agile maturity follow-up", 30, 0.6, "Second look after three months of coaching."),
)
COMMENTS = (
    "We talk about this a lot but rarely follow through.",
    "Better than last quarter.",
    "Depends a lot on who is in the room.",
)


def seed_demo_assessments(
    *,
    session: Session,
    ctx: TenantContext,
    team_ids: list[int],
    respondent_user_ids: dict[int, list[int]],
) -> None:
    """Create two closed past rounds for `team_ids`, answered by `respondent_user_ids[team]`.

    Deterministic (seeded), idempotent per organisation: does nothing when the demo rounds
    already exist.
    """
    catalog.ensure_builtin_models(session=session, ctx=ctx)
    model = session.exec(
        select(AssessmentModel).where(AssessmentModel.builtin_key == "agile_maturity")
    ).one()
    assert model.id is not None
    if session.exec(
        select(AssessmentRound.id).where(col(AssessmentRound.title).in_([r[0] for r in ROUNDS]))
    ).first():
        return
    version = catalog._latest_version(session, model.id)
    version.locked = True
    session.add(version)
    assert version.id is not None
    detail = catalog._version_detail(session, version)
    rng = random.Random(ctx.org_id * 7919 + 17)
    team_level = {team_id: rng.uniform(1.8, 3.2) for team_id in team_ids}
    dim_bias = {d.id: rng.uniform(-0.7, 0.7) for d in detail.dimensions}
    now = utcnow()
    for title, days_ago, gain, notes in ROUNDS:
        opened = now - timedelta(days=days_ago)
        rnd = AssessmentRound(
            title=title,
            model_version_id=version.id,
            status=ROUND_CLOSED,
            notes=notes,
            created_by_id=ctx.user_id,
            opened_at=opened,
            closed_at=opened + timedelta(days=10),
        )
        session.add(rnd)
        session.flush()
        assert rnd.id is not None
        for team_id in team_ids:
            session.add(RoundTeam(round_id=rnd.id, team_id=team_id))
            for user_id in respondent_user_ids.get(team_id, []):
                part = RoundParticipant(
                    round_id=rnd.id,
                    team_id=team_id,
                    user_id=user_id,
                    started_at=opened + timedelta(days=1),
                    updated_at=opened + timedelta(days=2),
                    submitted_at=opened + timedelta(days=2),
                )
                session.add(part)
                session.flush()
                assert part.id is not None
                for dim in detail.dimensions:
                    centre = team_level[team_id] + dim_bias[dim.id] + gain
                    for statement in dim.statements:
                        value = round(centre + rng.gauss(0, 0.8))
                        session.add(
                            AssessmentAnswer(
                                participant_id=part.id,
                                statement_id=statement.id,
                                round_id=rnd.id,
                                team_id=team_id,
                                dimension_id=dim.id,
                                value=min(5, max(1, value)),
                            )
                        )
                    if rng.random() < 0.15:
                        session.add(
                            DimensionComment(
                                participant_id=part.id,
                                round_id=rnd.id,
                                team_id=team_id,
                                dimension_id=dim.id,
                                comment=rng.choice(COMMENTS),
                            )
                        )
        session.flush()
        # Written closed: the totals close_round would write are written here.
        rounds.record_round_totals(session=session, ctx=ctx, round_id=rnd.id)
        if gain:
            for team_id in team_ids:
                scores = [
                    s
                    for s in results.team_dimension_scores(
                        session=session, ctx=_as_coach(ctx), round_id=rnd.id, team_id=team_id
                    )
                    if s.mean is not None
                ]
                if scores:
                    lowest = min(scores, key=lambda s: s.mean or 0)
                    session.add(
                        FocusDimension(
                            round_id=rnd.id,
                            team_id=team_id,
                            dimension_id=lowest.dimension_id,
                            note="Lowest score in the follow-up; agreed with the team.",
                            marked_by_id=ctx.user_id,
                        )
                    )
    session.flush()


def _as_coach(ctx: TenantContext) -> TenantContext:
    if ctx.has(Role.COACH):
        return ctx
    return TenantContext(org_id=ctx.org_id, user_id=ctx.user_id, role=Role.COACH)
