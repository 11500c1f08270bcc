"""Survey results as objects of conversation and notification (collaboration/targets.py).

- `survey_results`: a closed survey's results, seen as the results page is (coaches, admins
  and owners: services/results.survey_results).
- `survey_team_results`: one surveyed team's results, seen by coaches and by the people asked
  in that team (the "my team" page), and by nobody while the anonymity rules hide the group:
  a hidden group's conversation never appears, not even to a coach.
"""

from __future__ import annotations

from sqlmodel import Session, select

from pmo_saas.collaboration.targets import register_target
from pmo_saas.kernel.context import TenantContext
from pmo_saas.kernel.roles import Role
from pmo_saas.surveys.models import Survey, SurveyInvitation, SurveyTeam
from pmo_saas.surveys.services.common import CLOSED, _status
from pmo_saas.surveys.services.notices import (
    RESULTS_TARGET,
    TEAM_RESULTS_TARGET,
    visible_team_ids,
)

_INT_MAX = 2**31 - 1


def _closed(session: Session, survey_id: int) -> Survey | None:
    survey = session.get(Survey, survey_id) if 0 < survey_id <= _INT_MAX else None
    return survey if survey is not None and _status(survey) == CLOSED else None


def _can_see_results(session: Session, ctx: TenantContext, survey_id: int) -> bool:
    return ctx.has(Role.COACH) and _closed(session, survey_id) is not None


def _can_see_team(session: Session, ctx: TenantContext, survey_team_id: int) -> bool:
    team = session.get(SurveyTeam, survey_team_id) if 0 < survey_team_id <= _INT_MAX else None
    survey = _closed(session, team.survey_id) if team is not None else None
    if team is None or survey is None or survey_team_id not in visible_team_ids(session, survey):
        return False
    if ctx.has(Role.COACH):
        return True
    if ctx.user_id is None or ctx.role == Role.VIEWER:
        return False
    asked = session.exec(
        select(SurveyInvitation.id).where(
            SurveyInvitation.survey_team_id == survey_team_id,
            SurveyInvitation.user_id == ctx.user_id,
        )
    ).first()
    return asked is not None


def _results(session: Session, survey_id: int) -> tuple[str, str]:
    survey = session.get(Survey, survey_id)
    assert survey is not None
    return survey.title, f"/surveys/results/{survey_id}"


def _team(session: Session, survey_team_id: int) -> tuple[str, str]:
    team = session.get(SurveyTeam, survey_team_id)
    assert team is not None
    survey = session.get(Survey, team.survey_id)
    title = survey.title if survey is not None else ""
    return f"{title}: {team.team_name}", f"/surveys/team/{team.survey_id}"


register_target(RESULTS_TARGET, label="survey results", can_see=_can_see_results, describe=_results)
register_target(
    TEAM_RESULTS_TARGET, label="team survey results", can_see=_can_see_team, describe=_team
)
