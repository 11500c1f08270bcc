"""Plan limits, enforced by the server: each Free limit refused with a clear message."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlalchemy import func
from sqlmodel import Session, select

from pmo_saas.billing import entitlements
from pmo_saas.billing.entitlements import Feature, Plan
from pmo_saas.billing.models import BillingSubscription
from pmo_saas.db import system_session, tenant_session
from pmo_saas.identity import services as identity
from pmo_saas.identity.models import Team
from pmo_saas.kernel.context import TenantContext
from pmo_saas.kernel.errors import LimitReached
from tests.billing.people import add_people
from tests.factories import make_team


def subscribe(ctx: TenantContext, *, plan: str = "team", status: str = "active") -> None:
    with tenant_session(ctx) as session:
        session.add(
            BillingSubscription(
                org_id=ctx.org_id,
                stripe_subscription_id=f"sub_{ctx.org_id}",
                plan=plan,
                status=status,
            )
        )


@pytest.fixture
def teams_count_as_open_surveys() -> Iterator[None]:
    """Stands in for the surveys domain: its registered counter counts real rows."""

    def count_teams(session: Session) -> int:
        return int(session.exec(select(func.count()).select_from(Team)).one())

    saved = dict(entitlements._counters)
    entitlements.register_usage_counter("open_surveys", count_teams)
    entitlements.register_usage_counter("open_assessment_rounds", count_teams)
    yield
    entitlements._counters.clear()
    entitlements._counters.update(saved)


def test_billing_off_allows_everything(
    org_a: TenantContext, teams_count_as_open_surveys: None
) -> None:
    add_people(org_a, 12)
    make_team(org_a, "One")
    make_team(org_a, "Two")
    with tenant_session(org_a) as session:
        assert (
            entitlements.entitlements(session=session, org_id=org_a.org_id).plan == Plan.ENTERPRISE
        )
        entitlements.check_can_add_member(session=session, ctx=org_a)
        entitlements.check_can_open_survey(session=session, ctx=org_a)
        entitlements.check_can_open_assessment_round(session=session, ctx=org_a)
        entitlements.check_feature(session=session, ctx=org_a, feature=Feature.SSO)
        entitlements.check_writable(session=session, ctx=org_a)
        entitlements.seats_changed(session=session, org_id=org_a.org_id)


@pytest.mark.usefixtures("billing_on")
def test_free_plan_member_limit_counts_pending_invitations(org_a: TenantContext) -> None:
    add_people(org_a, 7)  # 8 members with the owner
    with tenant_session(org_a) as session:
        identity.invite_member(session=session, ctx=org_a, email="nine@example.com", role="member")
        identity.invite_member(session=session, ctx=org_a, email="ten@example.com", role="member")
    with tenant_session(org_a) as session, pytest.raises(LimitReached) as refused:
        identity.invite_member(
            session=session, ctx=org_a, email="eleven@example.com", role="member"
        )
    assert refused.value.limit == "members"
    message = str(refused.value)
    assert (
        "up to 10 members" in message and "upgrade to the Team plan on the Billing page" in message
    )


@pytest.mark.usefixtures("billing_on", "teams_count_as_open_surveys")
def test_free_plan_allows_one_open_survey_and_one_open_round(org_a: TenantContext) -> None:
    with tenant_session(org_a) as session:
        entitlements.check_can_open_survey(session=session, ctx=org_a)
        entitlements.check_can_open_assessment_round(session=session, ctx=org_a)
    make_team(org_a, "Counted as the open one")
    with tenant_session(org_a) as session:
        with pytest.raises(LimitReached, match=r"1 open survey at a time.*Billing page") as survey:
            entitlements.check_can_open_survey(session=session, ctx=org_a)
        with pytest.raises(LimitReached, match=r"1 open assessment round at a time") as rounds:
            entitlements.check_can_open_assessment_round(session=session, ctx=org_a)
    assert (survey.value.limit, rounds.value.limit) == ("open_surveys", "open_assessment_rounds")


@pytest.mark.usefixtures("billing_on")
def test_enterprise_features_need_the_enterprise_plan(
    org_a: TenantContext, org_b: TenantContext
) -> None:
    subscribe(org_a, plan="team")
    subscribe(org_b, plan="enterprise", status="trialing")
    with tenant_session(org_a) as session:
        for feature in Feature:
            with pytest.raises(LimitReached, match="Enterprise plan"):
                entitlements.check_feature(session=session, ctx=org_a, feature=feature)
    with tenant_session(org_b) as session:
        for feature in Feature:
            entitlements.check_feature(session=session, ctx=org_b, feature=feature)


@pytest.mark.usefixtures("billing_on", "teams_count_as_open_surveys")
def test_team_plan_lifts_the_limits_for_its_organisation_only(
    org_a: TenantContext, org_b: TenantContext
) -> None:
    subscribe(org_a)
    for ctx in (org_a, org_b):
        add_people(ctx, 10)
        make_team(ctx, "Open")
    with tenant_session(org_a) as session:
        entitlements.check_can_add_member(session=session, ctx=org_a)
        entitlements.check_can_open_survey(session=session, ctx=org_a)
    with tenant_session(org_b) as session:
        with pytest.raises(LimitReached):
            entitlements.check_can_add_member(session=session, ctx=org_b)
        with pytest.raises(LimitReached):
            entitlements.check_can_open_survey(session=session, ctx=org_b)


@pytest.mark.usefixtures("billing_on")
def test_incomplete_or_unknown_subscriptions_grant_nothing(org_a: TenantContext) -> None:
    subscribe(org_a, status="incomplete")
    with system_session() as session:
        assert entitlements.entitlements(session=session, org_id=org_a.org_id).plan == Plan.FREE


@pytest.mark.usefixtures("billing_on")
def test_unreachable_stripe_never_blocks_a_member_from_joining(org_a: TenantContext) -> None:
    from pmo_saas.identity.models import Membership
    from tests import factories
    from tests.factories import PASSWORD

    subscribe(org_a)  # Stripe itself is unreachable in this test (nothing listens on port 9)
    token = factories.invite(org_a, "late@example.com")  # read from the mail SMTP delivered
    identity.accept_invitation(token=token, name="Late", password=PASSWORD)
    with system_session() as session:
        members = session.exec(select(Membership).where(Membership.org_id == org_a.org_id)).all()
        row = session.exec(select(BillingSubscription)).one()
    assert len(members) == 2
    assert row.seats == 1  # unchanged until Stripe confirms through a webhook
