"""The surveys' notifications (collaboration's `notify`, imported plainly: surveys ->
collaboration, never back), sent in the transaction that closes a survey: its creator hears
it closed, and the people asked in each team hear their team's results are published, for
the teams the anonymity rules show (never a group hidden by the threshold or to stop a
subtraction: `visible_team_ids` is the results pages' own rule). As with every notification,
the one who acts is not told: a creator closing their own survey hears nothing of it; closed
by another coach or on its end date (the due_events job), they do.
"""

from __future__ import annotations

from sqlmodel import Session, col, select

from pmo_saas.collaboration.models import RESULTS_PUBLISHED, SURVEY_CLOSED
from pmo_saas.collaboration.services.notifications import notify
from pmo_saas.kernel.anonymity import protect
from pmo_saas.kernel.context import TenantContext
from pmo_saas.surveys.models import Survey, SurveyInvitation, SurveyTeam

# The objects of conversation and notification (surveys/comment_targets.py).
RESULTS_TARGET = "survey_results"
TEAM_RESULTS_TARGET = "survey_team_results"


def visible_team_ids(session: Session, survey: Survey) -> frozenset[int]:
    """The surveyed teams whose figures the results show (the number threshold)."""
    counts = dict(
        session.exec(
            select(SurveyTeam.id, SurveyTeam.responses).where(SurveyTeam.survey_id == survey.id)
        ).all()
    )
    return protect(
        {k: v for k, v in counts.items() if k is not None}, survey.min_group_size
    ).visible


def notify_survey_closed(session: Session, ctx: TenantContext, survey: Survey) -> int:
    assert survey.id is not None
    told = notify(
        session=session,
        ctx=ctx,
        kind=SURVEY_CLOSED,
        recipient_ids=[survey.created_by_id],
        title=f"Your survey “{survey.title}” has closed: its results are ready",
        target_kind=RESULTS_TARGET,
        target_id=survey.id,
        event_key=f"survey:{survey.id}",
    )
    teams = sorted(visible_team_ids(session, survey))
    if not teams:
        return told
    asked = session.exec(
        select(SurveyInvitation.survey_team_id, SurveyInvitation.user_id).where(
            SurveyInvitation.survey_id == survey.id,
            col(SurveyInvitation.survey_team_id).in_(teams),
        )
    ).all()
    by_team: dict[int, set[int]] = {}
    for team_id, user_id in asked:
        by_team.setdefault(team_id, set()).add(user_id)
    for team_id in teams:
        told += notify(
            session=session,
            ctx=ctx,
            kind=RESULTS_PUBLISHED,
            recipient_ids=by_team.get(team_id, set()),
            title=f"Your team's results of “{survey.title}” are published",
            target_kind=TEAM_RESULTS_TARGET,
            target_id=team_id,
            event_key=f"survey_team:{team_id}",
        )
    return told
