"""Billing in a real browser, against the local Stripe peer (tests/peers/stripe.py).

The app server runs with billing on (the e2e conftest merges `stripe.app_env()` into its
environment). The owner upgrades: the billing page -> the peer's hosted Checkout page -> Pay ->
back in the app, the page follows the webhook until the plan shows Team, trialing; Manage
billing opens the peer's portal and comes back. Then a signed `invoice.payment_failed` event
(which the peer cannot produce for a trial) puts a past-due banner in front of every member.
No Stripe secret reaches the browser.
"""

from __future__ import annotations

import re
import secrets
import time

from playwright.sync_api import Browser, Page, WebSocket, expect
from sqlmodel import select

from pmo_saas.billing.models import BillingSubscription
from pmo_saas.db import system_session
from pmo_saas.identity.models import User
from pmo_saas.kernel.roles import Role
from tests import factories
from tests.peers import stripe


class FrameRecorder:
    """Everything the server sends the browser over the websocket."""

    def __init__(self, page: Page) -> None:
        self.received: list[str] = []
        page.on("websocket", self._attach)

    def _attach(self, ws: WebSocket) -> None:
        ws.on("framereceived", lambda payload: self.received.append(str(payload)))


def _email(user_id: int | None) -> str:
    with system_session() as session:
        user = session.get(User, user_id)
        assert user is not None
        return user.email


def _sign_in(page: Page, base_url: str, email: str, path: str) -> None:
    page.goto(f"{base_url}{path}")
    page.wait_for_url(re.compile(r"^[^?]*/signin.*"))
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(factories.PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(re.compile(rf"^[^?]*{re.escape(path)}/?$"))


def _payment_failed(subscription: BillingSubscription) -> dict[str, object]:
    return stripe.event(
        "invoice.payment_failed",
        {
            "id": "in_" + secrets.token_hex(6),
            "object": "invoice",
            "customer": subscription.stripe_customer_id,
            "subscription": subscription.stripe_subscription_id,
            "number": "PMO-0001",
            "status": "open",
            "amount_due": 900,
            "amount_paid": 0,
            "currency": "eur",
            "created": int(time.time()),
        },
    )


def test_owner_upgrades_through_hosted_checkout_then_payment_failure_shows_banner(
    page: Page, browser: Browser, base_url: str
) -> None:
    stripe.register_webhook(base_url)
    owner = factories.make_org("Billing Journey")
    member = factories.make_member(owner, Role.MEMBER, name="Mia Member")
    slug = owner.org_slug
    billing = f"/o/{slug}/billing"
    frames = FrameRecorder(page)

    _sign_in(page, base_url, _email(owner.user_id), billing)
    plan = page.get_by_role("region", name="Plan")
    expect(plan).to_contain_text("Free")
    expect(page.get_by_role("region", name="Limits")).to_contain_text("Open surveys")
    expect(page.get_by_role("region", name="Invoices")).to_contain_text("No invoices yet")

    # Upgrade: a full-page navigation to the peer's hosted Checkout page.
    page.get_by_role("button", name="Upgrade to Team").click()
    page.wait_for_url(re.compile(re.escape(stripe.peer_url()) + r"/checkout/cs_test_\w+$"))
    expect(page.get_by_role("heading", name="Subscribe")).to_be_visible()
    expect(page.get_by_text("14-day free trial")).to_be_visible()
    expect(page.get_by_text("2 seat(s) of Team")).to_be_visible()
    page.get_by_role("button", name="Pay").click()

    # Back in the app: the page follows the webhook until the plan is Team, trialing.
    page.wait_for_url(re.compile(rf"^[^?]*{re.escape(billing)}\?checkout=success$"))
    expect(page.get_by_role("status")).to_contain_text(
        "Your Team subscription is set up", timeout=20_000
    )
    expect(plan).to_contain_text("Team")
    expect(plan).to_contain_text("Trial")
    expect(plan).to_contain_text(re.compile(r"Seats billed\s*2"))
    expect(page.get_by_role("button", name="Upgrade to Team")).to_have_count(0)
    expect(page.get_by_role("button", name="Manage billing")).to_be_visible()
    expect(page.get_by_role("region", name="Limits")).to_contain_text("Unlimited")

    # Manage billing: the peer's hosted portal, and back to this page.
    page.get_by_role("button", name="Manage billing").click()
    page.wait_for_url(re.compile(re.escape(stripe.peer_url()) + r"/billing_portal/bps_\w+$"))
    expect(page.get_by_role("heading", name="Billing portal")).to_be_visible()
    page.get_by_role("link", name="Return").click()
    page.wait_for_url(re.compile(rf"^[^?]*{re.escape(billing)}$"))
    expect(plan).to_contain_text("Trial")

    # A payment fails (signed like Stripe signs it): every member sees the banner.
    with system_session() as session:
        subscription = session.exec(
            select(BillingSubscription).where(BillingSubscription.org_id == owner.org_id)
        ).one()
    delivered = stripe.send_event(base_url, _payment_failed(subscription))
    assert delivered.status_code == 200 and delivered.json()["outcome"] == "applied"

    member_context = browser.new_context()
    member_page = member_context.new_page()
    _sign_in(member_page, base_url, _email(member.user_id), f"/o/{slug}")
    banner = member_page.get_by_role("region", name="Billing notice")
    expect(banner).to_contain_text("Payment failed")
    expect(banner).to_contain_text("becomes read-only on")
    member_page.goto(f"{base_url}{billing}")
    expect(member_page.get_by_role("alert")).to_contain_text(
        "Only owners and admins can manage billing"
    )
    member_context.close()

    page.reload()
    expect(page.get_by_role("region", name="Billing notice")).to_contain_text("Payment failed")
    expect(plan).to_contain_text("Payment overdue")
    expect(page.get_by_role("region", name="Invoices")).to_contain_text("PMO-0001")

    received = "\n".join(frames.received)
    assert "trialing" in received
    assert stripe.SECRET_KEY not in received and stripe.WEBHOOK_SECRET not in received
