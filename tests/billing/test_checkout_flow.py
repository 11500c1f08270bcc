"""Upgrade end to end against the local Stripe peer, without a browser:
Checkout Session -> hosted page -> Pay -> webhooks over HTTP -> the plan is Team, trialing."""

from __future__ import annotations

from datetime import timedelta

import httpx
import pytest
from sqlmodel import select

from pmo_saas.billing import services
from pmo_saas.billing.models import BillingSubscription
from pmo_saas.db import tenant_session
from pmo_saas.identity import services as identity
from pmo_saas.kernel.clock import utcnow
from pmo_saas.kernel.context import TenantContext
from tests import factories
from tests.billing.conftest import wait_for
from tests.billing.stripe_events import SECRET_KEY
from tests.factories import PASSWORD


def overview(ctx: TenantContext) -> services.BillingOverview:
    with tenant_session(ctx) as session:
        return services.billing_overview(session=session, ctx=ctx)


def upgrade(ctx: TenantContext) -> None:
    with tenant_session(ctx) as session:
        checkout_url = services.start_checkout(session=session, ctx=ctx, plan="team")
    page = httpx.get(checkout_url)
    assert page.status_code == 200 and "14-day free trial" in page.text
    assert '<button type="submit">Pay</button>' in page.text
    paid = httpx.post(checkout_url + "/pay", data={"card": "4242424242424242"})
    assert paid.status_code == 303
    assert paid.headers["location"].endswith(f"/o/{ctx.org_slug}/billing?checkout=success")


@pytest.mark.usefixtures("peer_billing")
def test_upgrade_through_hosted_checkout_gives_team_trialing(org_a: TenantContext) -> None:
    assert overview(org_a).plan == "free"
    upgrade(org_a)
    page = wait_for(lambda: (p := overview(org_a)).status == "trialing" and p)
    assert isinstance(page, services.BillingOverview)
    assert (page.plan, page.plan_label, page.seats_billed, page.seats_used) == (
        "team",
        "Team",
        1,
        1,
    )
    assert page.trial_ends_on == f"{utcnow() + timedelta(days=14):%Y-%m-%d}"
    assert page.next_invoice_amount == "9.00 EUR" and page.can_manage_billing
    assert not page.can_upgrade

    with tenant_session(org_a) as session:
        portal_url = services.open_billing_portal(session=session, ctx=org_a)
    portal = httpx.get(portal_url)
    assert portal.status_code == 200 and "/billing" in portal.text


@pytest.mark.usefixtures("peer_billing")
def test_seats_follow_membership_and_payment_failure_reaches_the_banner(
    org_a: TenantContext, peer_billing: str
) -> None:
    upgrade(org_a)
    wait_for(lambda: overview(org_a).status == "trialing")
    token = factories.invite(org_a, "new@example.com")  # read from the mail SMTP delivered
    identity.accept_invitation(token=token, name="New Person", password=PASSWORD)
    # accept_invitation calls seats_changed: Stripe's quantity follows, and its webhook the mirror.
    wait_for(lambda: overview(org_a).seats_billed == 2)
    with tenant_session(org_a) as session:
        subscription_id = session.exec(select(BillingSubscription.stripe_subscription_id)).one()
    at_stripe = httpx.get(
        f"{peer_billing}/v1/subscriptions/{subscription_id}", auth=(SECRET_KEY, "")
    ).json()
    assert (at_stripe["quantity"], at_stripe["status"]) == (2, "trialing")

    # Removing a member: remove_member calls seats_changed the same way (the count goes down).
    with tenant_session(org_a) as session:
        newcomer = next(
            m
            for m in identity.list_members(session=session, ctx=org_a)
            if m.email == "new@example.com"
        )
        identity.remove_member(session=session, ctx=org_a, membership_id=newcomer.membership_id)
    wait_for(lambda: overview(org_a).seats_billed == 1)

    httpx.post(
        f"{peer_billing}/_peer/subscriptions/{subscription_id}/fail_payment"
    ).raise_for_status()
    page = wait_for(lambda: (p := overview(org_a)).past_due and p)
    assert isinstance(page, services.BillingOverview)
    assert page.status == "past_due" and not page.read_only
    with tenant_session(org_a) as session:
        assert "Payment failed" in services.billing_banner(session=session, ctx=org_a)


@pytest.mark.usefixtures("peer_billing")
def test_reconcile_seats_catches_up_missed_membership_changes(org_a: TenantContext) -> None:
    from tests.billing.people import add_people

    upgrade(org_a)
    wait_for(lambda: overview(org_a).status == "trialing")
    add_people(org_a, 2)  # joined without telling billing (Stripe was down, say)
    assert services.reconcile_seats() == [(org_a.org_id, 3)]
    wait_for(lambda: overview(org_a).seats_billed == 3)
    assert services.reconcile_seats() == []
