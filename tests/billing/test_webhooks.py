"""The Stripe webhook route: signatures, idempotency, ordering, and what each event does."""

from __future__ import annotations

import json
import time

import pytest
from sqlalchemy import func
from sqlmodel import select
from starlette.testclient import TestClient

from pmo_saas.billing import entitlements, services
from pmo_saas.billing.models import (
    BillingCustomer,
    BillingInvoice,
    BillingSubscription,
    StripeEvent,
)
from pmo_saas.db import system_session, tenant_session
from pmo_saas.identity.models import OutboxMessage
from pmo_saas.kernel.context import TenantContext
from pmo_saas.kernel.roles import Role
from tests.billing import stripe_events as se

pytestmark = pytest.mark.usefixtures("billing_on")


def link_customer(ctx: TenantContext, customer: str = "") -> str:
    customer = customer or f"cus_org{ctx.org_id}"
    with tenant_session(ctx) as session:
        session.add(BillingCustomer(org_id=ctx.org_id, stripe_customer_id=customer))
    return customer


def count(model: type) -> int:
    with system_session() as session:
        return int(session.exec(select(func.count()).select_from(model)).one())


def overview(ctx: TenantContext) -> services.BillingOverview:
    with tenant_session(ctx) as session:
        return services.billing_overview(session=session, ctx=ctx)


def test_forged_signature_is_refused_and_changes_nothing(
    client: TestClient, org_a: TenantContext
) -> None:
    customer = link_customer(org_a)
    evt = se.event("customer.subscription.created", se.subscription("sub_1", customer))
    forged = se.post(client, evt, secret="whsec_not_the_endpoint_secret")
    payload = json.dumps(evt).encode()
    good_header = se.signature(payload)
    altered = client.post(
        se.WEBHOOK_PATH,
        content=payload.replace(b'"active"', b'"trialing"'),
        headers={"Stripe-Signature": good_header},
    )
    missing = client.post(se.WEBHOOK_PATH, content=payload)
    assert [forged.status_code, altered.status_code, missing.status_code] == [400, 400, 400]
    assert count(StripeEvent) == 0
    assert count(BillingSubscription) == 0
    assert overview(org_a).plan == "free"


def test_timestamp_older_than_tolerance_is_refused(
    client: TestClient, org_a: TenantContext
) -> None:
    customer = link_customer(org_a)
    evt = se.event("customer.subscription.created", se.subscription("sub_1", customer))
    stale = se.post(client, evt, timestamp=int(time.time()) - 301)
    assert stale.status_code == 400
    assert count(StripeEvent) == 0
    fresh = se.post(client, evt, timestamp=int(time.time()) - 200)
    assert fresh.status_code == 200
    assert overview(org_a).plan == "team"


def test_same_event_twice_is_applied_once(client: TestClient, org_a: TenantContext) -> None:
    customer = link_customer(org_a)
    se.post(client, se.event("customer.subscription.created", se.subscription("sub_1", customer)))
    failed = se.event(
        "invoice.payment_failed", se.invoice(customer, "sub_1", paid=False), event_id="evt_once"
    )
    first = se.post(client, failed)
    second = se.post(client, failed)
    assert first.json()["outcome"] == "applied"
    assert second.status_code == 200 and second.json()["outcome"] == "duplicate"
    with system_session() as session:
        assert (
            len(session.exec(select(StripeEvent).where(StripeEvent.event_id == "evt_once")).all())
            == 1
        )
        mails = session.exec(
            select(OutboxMessage).where(OutboxMessage.subject.startswith("Payment failed"))  # type: ignore[union-attr]
        ).all()
    assert len(mails) == 1  # the owner is told once
    assert count(BillingInvoice) == 1


def test_updated_before_created_ends_in_the_newer_state(
    client: TestClient, org_a: TenantContext
) -> None:
    customer = link_customer(org_a)
    now = int(time.time())
    trial_end = now + 14 * 86400
    created = se.event(
        "customer.subscription.created",
        se.subscription("sub_1", customer, status="trialing", quantity=1, trial_end=trial_end),
        created=now - 60,
    )
    updated = se.event(
        "customer.subscription.updated",
        se.subscription("sub_1", customer, status="active", quantity=4),
        created=now - 30,
    )
    assert se.post(client, updated).json()["outcome"] == "applied"
    assert se.post(client, created).json()["outcome"].startswith("stale")
    page = overview(org_a)
    assert (page.plan, page.status, page.seats_billed, page.trial_ends_on) == (
        "team",
        "active",
        4,
        "",
    )


def test_same_second_deleted_wins_over_updated(client: TestClient, org_a: TenantContext) -> None:
    customer = link_customer(org_a)
    now = int(time.time())
    deleted = se.event(
        "customer.subscription.deleted",
        se.subscription("sub_1", customer, status="canceled"),
        created=now,
    )
    updated = se.event(
        "customer.subscription.updated", se.subscription("sub_1", customer), created=now
    )
    se.post(client, deleted)
    se.post(client, updated)
    assert overview(org_a).plan == "free"


def test_payment_failed_shows_the_past_due_banner_then_read_only(
    client: TestClient, org_a: TenantContext
) -> None:
    from datetime import timedelta

    from pmo_saas.kernel import clock
    from pmo_saas.kernel.errors import ReadOnly

    customer = link_customer(org_a)
    se.post(client, se.event("customer.subscription.created", se.subscription("sub_1", customer)))
    se.post(client, se.event("invoice.payment_failed", se.invoice(customer, "sub_1", paid=False)))
    page = overview(org_a)
    assert page.past_due and not page.read_only and page.plan == "team"
    with tenant_session(org_a) as session:
        banner = services.billing_banner(session=session, ctx=org_a)
        entitlements.check_writable(session=session, ctx=org_a)  # still writable
    assert "Payment failed" in banner and page.read_only_from in banner

    clock.freeze(clock.utcnow() + timedelta(days=8))
    with tenant_session(org_a) as session, pytest.raises(ReadOnly, match="read-only"):
        entitlements.check_writable(session=session, ctx=org_a)
    assert overview(org_a).read_only

    se.post(client, se.event("invoice.paid", se.invoice(customer, "sub_1")))
    page = overview(org_a)
    assert not page.past_due and page.status == "active"
    assert [row.status for row in page.invoices] == ["paid", "payment failed"] or len(
        page.invoices
    ) == 2


def test_deleted_subscription_returns_to_free_limits_and_keeps_data(
    client: TestClient, org_a: TenantContext
) -> None:
    from pmo_saas.identity import services as identity
    from pmo_saas.kernel.errors import LimitReached
    from tests.billing.people import add_people
    from tests.factories import make_team

    customer = link_customer(org_a)
    se.post(
        client,
        se.event("customer.subscription.created", se.subscription("sub_1", customer, quantity=12)),
    )
    people = [
        TenantContext(org_id=org_a.org_id, user_id=uid, role=Role.MEMBER)
        for uid in add_people(org_a, 11)  # 12 members: over the Free limit
    ]
    make_team(org_a, "Platform", members=people[:3])
    se.post(
        client,
        se.event(
            "customer.subscription.deleted", se.subscription("sub_1", customer, status="canceled")
        ),
    )
    page = overview(org_a)
    assert page.plan == "free" and page.can_upgrade and "data is kept" in page.message
    with tenant_session(org_a) as session:
        assert len(identity.list_members(session=session, ctx=org_a)) == 12
        assert identity.list_teams(session=session, ctx=org_a)[0].member_count == 3
        with pytest.raises(LimitReached, match="up to 10 members"):
            entitlements.check_can_add_member(session=session, ctx=org_a)
    # A late "updated" for the ended subscription does not revive it.
    se.post(client, se.event("customer.subscription.updated", se.subscription("sub_1", customer)))
    assert overview(org_a).plan == "free"


def test_checkout_completed_links_the_customer_by_our_metadata(
    client: TestClient, org_a: TenantContext
) -> None:
    checkout = {
        "id": "cs_test_1",
        "object": "checkout.session",
        "customer": "cus_new",
        "client_reference_id": str(org_a.org_id),
        "metadata": {"org_id": str(org_a.org_id), "plan": "team"},
        "subscription": "sub_9",
    }
    assert (
        se.post(client, se.event("checkout.session.completed", checkout)).json()["outcome"]
        == "customer linked"
    )
    se.post(client, se.event("customer.subscription.created", se.subscription("sub_9", "cus_new")))
    assert overview(org_a).plan == "team"


def test_events_of_one_organisation_never_touch_another(
    client: TestClient, org_a: TenantContext, org_b: TenantContext
) -> None:
    link_customer(org_a, "cus_a")
    link_customer(org_b, "cus_b")
    se.post(
        client,
        se.event(
            "customer.subscription.created",
            se.subscription("sub_a", "cus_a", price=se.PRICE_ENTERPRISE),
        ),
    )
    assert overview(org_a).plan == "enterprise"
    assert overview(org_b).plan == "free"
    # An event naming org B's id in its metadata but org A's customer stays with org A.
    se.post(
        client,
        se.event(
            "customer.subscription.updated",
            se.subscription("sub_a", "cus_a", quantity=3, org_id=org_b.org_id),
        ),
    )
    assert overview(org_b).plan == "free" and overview(org_a).seats_billed == 3


def test_unknown_customer_is_recorded_and_ignored(client: TestClient, org_a: TenantContext) -> None:
    response = se.post(
        client, se.event("customer.subscription.created", se.subscription("sub_x", "cus_nobody"))
    )
    assert response.status_code == 200 and response.json()["outcome"].startswith("ignored")
    assert count(BillingSubscription) == 0 and count(StripeEvent) == 1


def test_trial_will_end_tells_owners(client: TestClient, org_a: TenantContext) -> None:
    customer = link_customer(org_a)
    trial_end = int(time.time()) + 3 * 86400
    sub = se.subscription("sub_1", customer, status="trialing", trial_end=trial_end)
    se.post(client, se.event("customer.subscription.trial_will_end", sub))
    with system_session() as session:
        subjects = session.exec(select(OutboxMessage.subject)).all()
    assert "Your pmo_saas trial ends soon" in subjects
    assert overview(org_a).status == "trialing"


def test_invoice_in_the_current_api_shape_finds_its_subscription(
    client: TestClient, org_a: TenantContext
) -> None:
    customer = link_customer(org_a)
    se.post(client, se.event("customer.subscription.created", se.subscription("sub_1", customer)))
    failed = se.invoice(customer, "", paid=False)
    del failed["subscription"]
    failed["parent"] = {
        "type": "subscription_details",
        "subscription_details": {"subscription": "sub_1", "metadata": {}},
    }
    assert (
        se.post(client, se.event("invoice.payment_failed", failed)).json()["outcome"] == "applied"
    )
    assert overview(org_a).past_due
