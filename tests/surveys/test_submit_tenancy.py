"""A submission writes only inside the organisation its token belongs to: its statements are
scoped by the tenancy mechanism (db.tenant_scoped), so even ids forged past the token's
look-up cannot count, claim or seal anything in another organisation's survey."""

from __future__ import annotations

import secrets

import pytest
from sqlalchemy import func, text
from sqlmodel import select

from pmo_saas.db import system_session, tenant_session
from pmo_saas.kernel.context import TenantContext
from pmo_saas.kernel.errors import Conflict
from pmo_saas.settings import get_settings
from pmo_saas.surveys import services
from pmo_saas.surveys.models import (
    SurveyInvitation,
    SurveyOpenKey,
    SurveySealedResponse,
    SurveyTeam,
)
from pmo_saas.surveys.services import responding
from tests.surveys.helpers import email_of, launch, links_from_outbox, team_with
from tests.surveys.helpers import westrum_answers as answers


def _surveyed(ctx: TenantContext, name: str) -> tuple[int, int, int, str]:
    """(survey id, surveyed team id, an invitation id, that person's token)."""
    team, members = team_with(ctx, name, 3)
    survey_id = launch(ctx, [team], title=f"{name} pulse")
    token = links_from_outbox(ctx)[email_of(members[0])][0]
    org_id, found_survey, survey_team_id, invitation_id = responding._resolve_token(token)
    assert (org_id, found_survey) == (ctx.org_id, survey_id) and invitation_id is not None
    return survey_id, survey_team_id, invitation_id, token


def _state(survey_id: int) -> tuple[object, ...]:
    """Everything a submission writes for a survey, read without an organisation."""
    with system_session() as session:
        return (
            session.exec(
                select(SurveyTeam.responses, SurveyTeam.open_responses).where(
                    SurveyTeam.survey_id == survey_id
                )
            ).all(),
            session.exec(
                select(SurveyInvitation.id, SurveyInvitation.answered)
                .where(SurveyInvitation.survey_id == survey_id)
                .order_by(SurveyInvitation.id)
            ).all(),
            session.exec(
                select(func.count())
                .select_from(SurveySealedResponse)
                .where(SurveySealedResponse.survey_id == survey_id)
            ).one(),
            session.exec(
                select(func.count())
                .select_from(SurveyOpenKey)
                .where(SurveyOpenKey.survey_id == survey_id)
            ).one(),
        )


def _forged_submit(ctx: TenantContext, survey_id: int, team_id: int, invitation_id: int) -> None:
    """`submit_response` after its look-up, in `ctx`'s organisation, with forged ids."""
    form_key = secrets.token_urlsafe(12)
    forged = responding._Submission(
        ctx.org_id,
        survey_id,
        team_id,
        invitation_id,
        "",
        responding._receipt_hash(survey_id, form_key),
    )
    with tenant_session(responding._respondent_ctx(ctx.org_id)) as session:
        responding.bump_after_commit(session)
        responding._submit(session, forged, answers(5))


def test_forged_ids_of_another_organisation_write_nothing_there(org_a, org_b):
    a_survey, a_team, a_invitation, _ = _surveyed(org_a, "Alpha")
    b_survey, b_team, b_invitation, b_token = _surveyed(org_b, "Beta")
    before_a, before_b = _state(a_survey), _state(b_survey)

    # B's team and survey: the team's lock finds no such team in A.
    with pytest.raises(responding.InvalidLink):
        _forged_submit(org_a, b_survey, b_team, b_invitation)
    # A's team, B's survey: the locked team's survey is not the one named.
    with pytest.raises(responding.InvalidLink):
        _forged_submit(org_a, b_survey, a_team, a_invitation)
    # A's team and survey, B's invitation: no participation of A's team to claim.
    with pytest.raises(Conflict, match="already been used"):
        _forged_submit(org_a, a_survey, a_team, b_invitation)

    assert _state(b_survey) == before_b
    assert _state(a_survey) == before_a  # each refusal rolled back what it had written
    # B's person still answers once, through B's own link.
    services.submit_response(token=b_token, answers=answers(6), form_key="b-form")
    responses, invitations, sealed, receipts = _state(b_survey)
    assert responses == [(1, 0)] and sealed == 1 and receipts == 1
    assert sorted(answered for _, answered in invitations) == [False, False, True]


def test_the_own_organisation_forged_nothing_submits_once(org_a):
    """The same path without forgery: one submission counted, claimed and sealed."""
    a_survey, a_team, a_invitation, _ = _surveyed(org_a, "Alpha")
    _forged_submit(org_a, a_survey, a_team, a_invitation)
    responses, invitations, sealed, receipts = _state(a_survey)
    assert responses == [(1, 0)] and sealed == 1 and receipts == 1
    assert [answered for i, answered in invitations if i == a_invitation] == [True]
    with pytest.raises(Conflict, match="already been used"):
        _forged_submit(org_a, a_survey, a_team, a_invitation)
    assert _state(a_survey) == (responses, invitations, sealed, receipts)


def test_a_submission_writes_as_the_tenant_of_its_token(org_a, org_b, monkeypatch):
    """The token's look-up takes the scope (db.find_tenant): the submission's writes run as
    the tenant role of the token's organisation, under row-level security on PostgreSQL."""
    _surveyed(org_a, "Alpha")
    b_survey, _, _, b_token = _surveyed(org_b, "Beta")
    seen: list[tuple[object, ...]] = []
    store = responding._store

    def watched(session, sub, sealed):
        if session.connection().dialect.name == "postgresql":
            scope = text("SELECT current_user, current_setting('app.org_id', true)")
            seen.append(tuple(session.connection().execute(scope).one()))
            teams = text("SELECT DISTINCT org_id FROM surveyteam")
            seen.append(tuple(session.connection().execute(teams).scalars()))
        return store(session, sub, sealed)

    monkeypatch.setattr(responding, "_store", watched)
    services.submit_response(token=b_token, answers=answers(4), form_key="b-form")
    assert _state(b_survey)[2] == 1
    if seen:
        assert seen == [(get_settings().db_tenant_role, str(org_b.org_id)), (org_b.org_id,)]
