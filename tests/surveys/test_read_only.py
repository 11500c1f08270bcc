"""A read-only workspace (invoice overdue past the grace period): surveys read, nothing
writes (the tenant session refuses it, db.py), respondents' answers included."""

from __future__ import annotations

import pytest
from sqlmodel import func, select

from pmo_saas.billing.entitlements import READ_ONLY_MESSAGE
from pmo_saas.db import tenant_session
from pmo_saas.kernel.context import TenantContext
from pmo_saas.kernel.errors import ReadOnly
from pmo_saas.portfolio.services import governance
from pmo_saas.surveys import services
from pmo_saas.surveys.models import Survey, SurveySealedResponse
from tests import factories
from tests.dashboard.helpers import initiative_ids, make_portfolio
from tests.surveys.helpers import email_of, launch, links_from_outbox, team_with, westrum_answers


def test_survey_and_governance_writes_are_refused(org_a: TenantContext, billing_on: None) -> None:
    team, members = team_with(org_a, "Alpha", 2)
    survey_id = launch(org_a, [team], title="Pulse")
    token = links_from_outbox(org_a)[email_of(members[0])][0]
    initiative = initiative_ids(org_a, make_portfolio(org_a, initiatives=1))[0]
    factories.lapse_subscription(org_a)
    writes = [
        lambda s: services.launch_survey(
            session=s, ctx=org_a, title="Second", instrument="enps", team_ids=[team], notify=False
        ),
        lambda s: services.send_reminders(session=s, ctx=org_a, survey_id=survey_id),
        lambda s: services.close_survey(session=s, ctx=org_a, survey_id=survey_id),
        lambda s: services.rerun_survey(session=s, ctx=org_a, survey_id=survey_id),
        lambda s: services.delete_survey(session=s, ctx=org_a, survey_id=survey_id),
        lambda s: governance.log_decision(
            session=s, ctx=org_a, initiative_id=initiative, title="Go", decided_on="2026-11-02"
        ),
        lambda s: governance.record_gate_review(
            session=s,
            ctx=org_a,
            initiative_id=initiative,
            decision="proceed",
            decided_on="2026-11-02",
            approvers="Ann",
        ),
    ]
    for write in writes:
        with tenant_session(org_a) as session, pytest.raises(ReadOnly) as refused:
            write(session)
        assert str(refused.value) == READ_ONLY_MESSAGE
    with pytest.raises(ReadOnly, match="read-only"):
        services.submit_response(token=token, answers=westrum_answers(6))
    with tenant_session(org_a) as session:
        assert session.exec(select(Survey.title, Survey.status)).all() == [("Pulse", "open")]
        assert session.exec(select(func.count()).select_from(SurveySealedResponse)).one() == 0
        assert services.survey_progress(session=session, ctx=org_a, survey_id=survey_id)
        assert governance.get_governance(session=session, ctx=org_a, initiative_id=initiative)
