"""The billing page's data and actions: roles, tenancy, billing off, and no secrets."""

from __future__ import annotations

import json
import os

import pytest

from pmo_saas.billing import services
from pmo_saas.billing.models import BillingCustomer, BillingSubscription
from pmo_saas.db import tenant_session
from pmo_saas.kernel.context import TenantContext
from pmo_saas.kernel.errors import Conflict, Forbidden, ValidationFailed
from pmo_saas.kernel.roles import Role
from pmo_saas.settings import get_settings
from tests.billing.people import add_people
from tests.billing.stripe_events import SECRET_KEY, WEBHOOK_SECRET
from tests.factories import make_member


def overview(ctx: TenantContext) -> services.BillingOverview:
    with tenant_session(ctx) as session:
        return services.billing_overview(session=session, ctx=ctx)


def test_billing_off_says_so_and_allows_everything(org_a: TenantContext) -> None:
    page = overview(org_a)
    assert not page.billing_enabled
    assert "Billing is off" in page.message and "every feature is available" in page.message
    assert not page.can_upgrade and not page.can_manage_billing
    with tenant_session(org_a) as session, pytest.raises(Conflict, match="Billing is off"):
        services.start_checkout(session=session, ctx=org_a)


@pytest.mark.usefixtures("billing_on")
def test_overview_of_a_free_organisation(org_a: TenantContext) -> None:
    add_people(org_a, 1)
    page = overview(org_a)
    assert (page.plan_label, page.seats_used, page.can_upgrade) == ("Free", 2, True)
    assert (page.limits[0].name, page.limits[0].used, page.limits[0].allowed) == (
        "Members (with pending invitations)",
        2,
        "10",
    )


@pytest.mark.usefixtures("billing_on")
def test_only_owners_and_admins_see_or_change_billing(org_a: TenantContext) -> None:
    admin = make_member(org_a, Role.ADMIN)
    assert overview(admin).billing_enabled
    for role in (Role.COACH, Role.MEMBER, Role.VIEWER):
        person = make_member(org_a, role)
        with tenant_session(person) as session:
            with pytest.raises(Forbidden):
                services.billing_overview(session=session, ctx=person)
            with pytest.raises(Forbidden):
                services.start_checkout(session=session, ctx=person)
            with pytest.raises(Forbidden):
                services.open_billing_portal(session=session, ctx=person)


@pytest.mark.usefixtures("billing_on")
def test_another_organisation_sees_none_of_this_ones_billing(
    org_a: TenantContext, org_b: TenantContext
) -> None:
    with tenant_session(org_a) as session:
        session.add(BillingCustomer(org_id=org_a.org_id, stripe_customer_id="cus_a"))
        session.add(
            BillingSubscription(
                org_id=org_a.org_id, stripe_subscription_id="sub_a", status="active", seats=5
            )
        )
    assert overview(org_a).plan == "team" and overview(org_a).can_manage_billing
    page_b = overview(org_b)
    assert page_b.plan == "free" and page_b.seats_billed == 0 and not page_b.can_manage_billing
    with tenant_session(org_b) as session, pytest.raises(Conflict, match="no billing account"):
        services.open_billing_portal(session=session, ctx=org_b)


@pytest.mark.usefixtures("billing_on")
def test_checkout_refuses_a_second_plan_and_unknown_plans(org_a: TenantContext) -> None:
    with tenant_session(org_a) as session, pytest.raises(ValidationFailed):
        services.start_checkout(session=session, ctx=org_a, plan="free")
    with tenant_session(org_a) as session, pytest.raises(ValidationFailed):
        services.start_checkout(session=session, ctx=org_a, plan="platinum")
    with tenant_session(org_a) as session:
        session.add(
            BillingSubscription(
                org_id=org_a.org_id, stripe_subscription_id="sub_a", status="trialing"
            )
        )
    with (
        tenant_session(org_a) as session,
        pytest.raises(Conflict, match="already has the Team plan"),
    ):
        services.start_checkout(session=session, ctx=org_a)


@pytest.mark.usefixtures("billing_on")
def test_secrets_never_reach_the_page_data(org_a: TenantContext) -> None:
    with tenant_session(org_a) as session:
        session.add(BillingCustomer(org_id=org_a.org_id, stripe_customer_id="cus_a"))
        session.add(
            BillingSubscription(
                org_id=org_a.org_id, stripe_subscription_id="sub_a", status="past_due"
            )
        )
        banner = services.billing_banner(session=session, ctx=org_a)
    dumped = json.dumps(overview(org_a).model_dump()) + banner
    assert overview(org_a).past_due
    assert SECRET_KEY not in dumped and WEBHOOK_SECRET not in dumped
    settings = get_settings()
    assert SECRET_KEY not in repr(settings) and WEBHOOK_SECRET not in str(settings.model_dump())


def test_configuration_problems_name_what_is_missing(billing_on: None) -> None:
    assert services.configuration_problems() == []
    os.environ["PMO_STRIPE_WEBHOOK_SECRET"] = ""
    get_settings.cache_clear()
    assert any("WEBHOOK_SECRET" in p for p in services.configuration_problems())


def test_webhook_is_refused_when_billing_is_off(org_a: TenantContext) -> None:
    from starlette.testclient import TestClient

    from pmo_saas.api import build_api
    from tests.billing import stripe_events as se

    with TestClient(build_api()) as client:
        evt = se.event("customer.subscription.created", se.subscription("sub_1", "cus_1"))
        assert se.post(client, evt).status_code == 400
    assert overview(org_a).billing_enabled is False
