"""Demo data: two closed rounds of a Westrum survey with enough answers to show results."""

from __future__ import annotations

import random
from datetime import timedelta

from sqlmodel import Session, col, select

from pmo_saas.identity.models import Team
from pmo_saas.kernel.clock import utcnow
from pmo_saas.kernel.context import TenantContext
from pmo_saas.surveys import instruments as ins
from pmo_saas.surveys import services
from pmo_saas.surveys.models import Survey, SurveyInvitation, SurveyTeam

COMMENTS = [
    "Retros lead to real changes now.",
    "We still find out about incidents from customers first.",
    "Pairing with the platform team helped a lot.",
    "Too many meetings on Mondays.",
    "I feel safe to say when I am stuck.",
    "Priorities change mid-sprint too often.",
    "New ideas get a fair hearing.",
    "Hand-offs to operations are slow.",
    "Good support from our coach.",
    "Cross-team demos are useful.",
]


def seed_demo_surveys(
    *, session: Session, ctx: TenantContext, team_member_ids: dict[int, list[int]]
) -> None:
    """Two closed rounds of "How we work together" (Westrum) for the given teams.

    Answers are generated (no mail is sent); round two is a little better than round one.
    Every team gets at least 6 responses so its results show; a larger team gets comments.
    """
    team_ids = sorted(
        t
        for t in session.exec(select(Team.id).where(col(Team.id).in_(list(team_member_ids))))
        if t is not None
    )
    if not team_ids:
        return
    rng = random.Random(8)
    first_id = services.launch_survey(
        session=session,
        ctx=ctx,
        title="How we work together",
        instrument=ins.WESTRUM,
        team_ids=team_ids,
        days_open=14,
        notify=False,
    )
    second_id = None
    for round_index, survey_id in enumerate([first_id, None]):
        if survey_id is None:
            survey_id = services.rerun_survey(
                session=session, ctx=ctx, survey_id=first_id, notify=False
            )
            second_id = survey_id
        _answer(session, survey_id, team_member_ids, rng, lift=round_index * 0.6)
        services.close_survey(session=session, ctx=ctx, survey_id=survey_id)
    # Date the rounds a quarter apart, as a real series would be.
    now = utcnow()
    for survey_id, weeks_ago in ((first_id, 14), (second_id, 1)):
        survey = session.get(Survey, survey_id)
        assert survey is not None
        survey.created_at = now - timedelta(weeks=weeks_ago + 2)
        survey.closes_at = now - timedelta(weeks=weeks_ago)
        survey.closed_at = survey.closes_at
        session.add(survey)


def _answer(
    session: Session,
    survey_id: int,
    team_member_ids: dict[int, list[int]],
    rng: random.Random,
    *,
    lift: float,
) -> None:
    questions = services._questions(session, survey_id)
    for team in session.exec(select(SurveyTeam).where(SurveyTeam.survey_id == survey_id)).all():
        assert team.id is not None and team.team_id is not None
        members = team_member_ids.get(team.team_id, [])
        count = max(len(members), 6)
        base = 3.8 + rng.random() * 1.5 + lift
        for n in range(count):
            rows: list[tuple[int, str, float | None, str | None]] = []
            for q in questions:
                assert q.id is not None
                if q.kind == ins.TEXT:
                    if count >= 8 and n % 2 == 0:
                        rows.append((q.id, "", None, rng.choice(COMMENTS)))
                    continue
                value = min(7, max(1, round(rng.gauss(base, 1.1))))
                rows.append((q.id, "", float(value), None))
            services._store_response(session, survey_id, team.id, rows)
        for invitation in session.exec(
            select(SurveyInvitation).where(SurveyInvitation.survey_team_id == team.id)
        ).all():
            invitation.answered = True
            session.add(invitation)
