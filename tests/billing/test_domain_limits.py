"""Free limits through the real surveys and assessments services (their own checks call ours).

Each domain registers its own counter with billing (entitlements.register_usage_counter).
"""

from __future__ import annotations

import pytest

from pmo_saas.assessments.services import rounds as assessment_rounds
from pmo_saas.billing.models import BillingSubscription
from pmo_saas.db import tenant_session
from pmo_saas.kernel.context import TenantContext
from pmo_saas.kernel.errors import LimitReached
from pmo_saas.surveys import services as surveys
from tests.assessments.helpers import person, small_model
from tests.factories import make_team

pytestmark = pytest.mark.usefixtures("billing_on")


def launch(ctx: TenantContext, team_id: int, title: str) -> int:
    with tenant_session(ctx) as session:
        return surveys.launch_survey(
            session=session,
            ctx=ctx,
            title=title,
            instrument="enps",
            team_ids=[team_id],
            notify=False,
        )


def start_round(ctx: TenantContext, model_id: int, team_id: int, title: str) -> int:
    with tenant_session(ctx) as session:
        return assessment_rounds.start_round(
            session=session, ctx=ctx, model_id=model_id, team_ids=[team_id], title=title
        )


def test_a_free_organisation_gets_one_open_survey(
    org_a: TenantContext, org_b: TenantContext
) -> None:
    team = make_team(org_a, "Core", members=[person(org_a)])
    launch(org_a, team, "First")
    with pytest.raises(LimitReached, match=r"Free plan allows 1 open survey at a time") as refused:
        launch(org_a, team, "Second")
    assert refused.value.limit == "open_surveys"
    # The other organisation's open survey does not count against it, and vice versa.
    launch(org_b, make_team(org_b, "Theirs", members=[person(org_b)]), "Theirs")
    with tenant_session(org_a) as session:
        session.add(
            BillingSubscription(
                org_id=org_a.org_id, stripe_subscription_id="sub_a", status="active"
            )
        )
    launch(org_a, team, "Second, on Team")


def test_a_free_organisation_gets_one_open_assessment_round(org_a: TenantContext) -> None:
    team = make_team(org_a, "Core", members=[person(org_a)])
    model_id = small_model(org_a)
    start_round(org_a, model_id, team, "Q1")
    with pytest.raises(LimitReached, match=r"1 open assessment round at a time") as refused:
        start_round(org_a, model_id, team, "Q2")
    assert refused.value.limit == "open_assessment_rounds"
