"""Whatever order Stripe delivers a subscription's events in, the mirror ends newest."""

from __future__ import annotations

import json
import secrets
import time

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlmodel import select

from pmo_saas.billing.models import BillingCustomer, BillingSubscription
from pmo_saas.billing.webhooks import process_webhook
from pmo_saas.db import system_session
from pmo_saas.identity import services as identity
from tests.billing import stripe_events as se
from tests.factories import PASSWORD, unique_email

STATES = [("trialing", 1), ("active", 3), ("active", 5), ("past_due", 5), ("active", 2)]


def _deliver(evt: dict) -> str:
    payload = json.dumps(evt).encode()
    return process_webhook(payload, se.signature(payload))


# Each example signs up its own organisation, so the per-test fixtures need no reset.
@settings(
    max_examples=12, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(order=st.permutations(range(len(STATES))), end_with_delete=st.booleans())
def test_any_delivery_order_gives_the_newest_state(
    billing_on: None, order: list[int], end_with_delete: bool
) -> None:
    user_id, slug = identity.sign_up(
        org_name="Ordering", name="Owner", email=unique_email(), password=PASSWORD
    )
    org_id = identity.workspace_context(user_id=user_id, slug=slug).org_id
    customer, sub_id = "cus_" + secrets.token_hex(4), "sub_" + secrets.token_hex(4)
    with system_session() as session:
        session.add(BillingCustomer(org_id=org_id, stripe_customer_id=customer))
    start = int(time.time()) - 1000
    events = [
        se.event(
            "customer.subscription.created" if i == 0 else "customer.subscription.updated",
            se.subscription(sub_id, customer, status=status, quantity=seats),
            created=start + 10 * i,
        )
        for i, (status, seats) in enumerate(STATES)
    ]
    if end_with_delete:
        events.append(
            se.event(
                "customer.subscription.deleted",
                se.subscription(sub_id, customer, status="canceled", quantity=2),
                created=start + 10 * len(STATES),
            )
        )
        order = [*order, len(STATES)]
        order.insert(0, order.pop())  # the deletion arrives first
    for index in order:
        _deliver(events[index])
    with system_session() as session:
        row = session.exec(
            select(BillingSubscription).where(BillingSubscription.stripe_subscription_id == sub_id)
        ).one()
    expected = ("canceled", 2) if end_with_delete else STATES[-1]
    assert (row.status, row.seats) == expected
