"""Stripe webhook events: verified, recorded once, applied to the local mirror in one transaction.

Ordering: Stripe does not deliver events in order. Each subscription row keeps the
(created, rank) of the last event applied to it; an event that sorts before it is recorded
but changes nothing, so an older event never moves a subscription backwards. Within the
same second, deleted > updated/invoice > created.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from typing import Any

from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from pmo_saas.billing import gateway
from pmo_saas.billing.entitlements import Plan
from pmo_saas.billing.models import (
    BillingCustomer,
    BillingInvoice,
    BillingSubscription,
    StripeEvent,
)
from pmo_saas.db import system_session
from pmo_saas.identity.mail import send_mail
from pmo_saas.identity.models import Membership, Organization, User
from pmo_saas.kernel.clock import utcnow
from pmo_saas.kernel.roles import Role
from pmo_saas.settings import get_settings

log = logging.getLogger("pmo_saas.billing.webhooks")

HANDLED = {
    "checkout.session.completed",
    "customer.subscription.created",
    "customer.subscription.updated",
    "customer.subscription.deleted",
    "customer.subscription.trial_will_end",
    "invoice.paid",
    "invoice.payment_failed",
}
RANK = {
    "customer.subscription.created": 0,
    "customer.subscription.updated": 1,
    "customer.subscription.trial_will_end": 1,
    "invoice.paid": 1,
    "invoice.payment_failed": 1,
    "customer.subscription.deleted": 2,
}
OVERDUE = ("past_due", "unpaid")


def _ts(value: Any) -> datetime | None:
    return datetime.fromtimestamp(int(value), UTC) if value else None


def _id(value: Any) -> str:
    """Stripe sends either an id or the expanded object."""
    if isinstance(value, dict):
        return str(value.get("id") or "")
    return str(value or "")


def process_webhook(payload: bytes, signature_header: str) -> str:
    """Verify, record and apply one delivery; returns what happened (for the response and logs).

    Raises gateway.InvalidSignature for a forged, altered or stale delivery (nothing stored).
    """
    event = gateway.verify_webhook(payload, signature_header)
    event_id = str(event.get("id") or "")
    event_type = str(event.get("type") or "")
    if not event_id:
        raise gateway.InvalidSignature("the event has no id")
    try:
        with system_session() as session:
            if session.exec(select(StripeEvent.id).where(StripeEvent.event_id == event_id)).first():
                return "duplicate"
            record = StripeEvent(
                event_id=event_id, type=event_type[:64], created=int(event.get("created") or 0)
            )
            session.add(record)
            session.flush()
            org_id, outcome = _apply(session, event)
            record.org_id = org_id
            record.outcome = outcome[:255]
            session.add(record)
            return outcome
    except IntegrityError:
        # The same event delivered twice at once: the other delivery recorded it.
        return "duplicate"


def _apply(session: Session, event: dict[str, Any]) -> tuple[int | None, str]:
    event_type = str(event.get("type") or "")
    obj = (event.get("data") or {}).get("object") or {}
    if event_type not in HANDLED or not isinstance(obj, dict):
        return None, "ignored"
    created = int(event.get("created") or 0)
    if event_type == "checkout.session.completed":
        return _checkout_completed(session, obj)
    if event_type.startswith("customer.subscription."):
        org_id = _org_for(session, customer=_id(obj.get("customer")), metadata=obj.get("metadata"))
        if org_id is None:
            return None, "ignored: unknown customer"
        outcome = _apply_subscription(
            session,
            org_id,
            obj,
            created=created,
            rank=RANK[event_type],
            deleted=event_type.endswith(".deleted"),
        )
        if event_type.endswith(".trial_will_end") and outcome == "applied":
            trial_end = _ts(obj.get("trial_end"))
            _mail_admins(
                session,
                org_id,
                subject="Your pmo_saas trial ends soon",
                body=(
                    f"The trial ends on {trial_end:%Y-%m-%d}. "
                    if trial_end
                    else "The trial ends in a few days. "
                )
                + "To keep the plan, add a payment method under Billing > Manage billing.\n",
            )
        return org_id, outcome
    return _apply_invoice(session, obj, event_type=event_type, created=created)


def _org_for(session: Session, *, customer: str, metadata: Any, reference: str = "") -> int | None:
    """The organisation an object belongs to: its Stripe customer, else our own metadata."""
    if customer:
        org_id = session.exec(
            select(BillingCustomer.org_id).where(BillingCustomer.stripe_customer_id == customer)
        ).first()
        if org_id is not None:
            return org_id
    candidate = str((metadata or {}).get("org_id") or reference or "")
    if not candidate.isdigit() or session.get(Organization, int(candidate)) is None:
        return None
    org_id = int(candidate)
    if (
        customer
        and session.exec(select(BillingCustomer.id).where(BillingCustomer.org_id == org_id)).first()
        is None
    ):
        session.add(
            BillingCustomer(
                org_id=org_id,  # org_id by hand: a webhook's system session
                stripe_customer_id=customer,
            )
        )
        session.flush()
    return org_id


def _checkout_completed(session: Session, obj: dict[str, Any]) -> tuple[int | None, str]:
    org_id = _org_for(
        session,
        customer=_id(obj.get("customer")),
        metadata=obj.get("metadata"),
        reference=str(obj.get("client_reference_id") or ""),
    )
    if org_id is None:
        return None, "ignored: unknown customer"
    subscription = obj.get("subscription")
    if isinstance(subscription, dict):
        return org_id, _apply_subscription(
            session, org_id, subscription, created=0, rank=0, deleted=False
        )
    return org_id, "customer linked"


def _plan_for(price_id: str, metadata: Any) -> str:
    settings = get_settings()
    if price_id and price_id == settings.stripe_price_enterprise:
        return Plan.ENTERPRISE.value
    if price_id and price_id == settings.stripe_price_team:
        return Plan.TEAM.value
    named = str((metadata or {}).get("plan") or "")
    return named if named in (Plan.TEAM.value, Plan.ENTERPRISE.value) else Plan.TEAM.value


def _subscription_row(
    session: Session, org_id: int, subscription_id: str
) -> BillingSubscription | None:
    return session.exec(
        select(BillingSubscription)
        .where(
            BillingSubscription.org_id == org_id,
            BillingSubscription.stripe_subscription_id == subscription_id,
        )
        # Two deliveries for one subscription at once: the second waits, then compares order.
        .with_for_update()
    ).first()


def _is_older(row: BillingSubscription, created: int, rank: int) -> bool:
    return (created, rank) < (row.last_event_created, row.last_event_rank)


def _apply_subscription(
    session: Session,
    org_id: int,
    sub: dict[str, Any],
    *,
    created: int,
    rank: int,
    deleted: bool,
) -> str:
    subscription_id = _id(sub)
    if not subscription_id:
        return "ignored: no subscription id"
    row = _subscription_row(session, org_id, subscription_id)
    if row is None:
        row = BillingSubscription(
            org_id=org_id,  # org_id by hand: a webhook's system session
            stripe_subscription_id=subscription_id,
        )
    elif _is_older(row, created, rank):
        return "stale: a newer event was applied"
    elif row.status == "canceled" and not deleted:
        return "ignored: the subscription has ended"
    items = (sub.get("items") or {}).get("data") or [{}]
    item = items[0] if isinstance(items[0], dict) else {}
    price = item.get("price") or item.get("plan") or sub.get("plan") or {}
    if not isinstance(price, dict):
        price = {"id": str(price)}
    row.stripe_customer_id = _id(sub.get("customer"))
    row.price_id = str(price.get("id") or "")
    row.plan = _plan_for(row.price_id, sub.get("metadata"))
    row.unit_amount = int(price.get("unit_amount") or price.get("amount") or 0)
    row.currency = str(price.get("currency") or sub.get("currency") or "usd")[:8]
    row.seats = int(item.get("quantity") or sub.get("quantity") or 1)
    status = "canceled" if deleted else str(sub.get("status") or "incomplete")
    if status in OVERDUE and row.past_due_since is None:
        row.past_due_since = _ts(created) or utcnow()
    elif status not in OVERDUE:
        row.past_due_since = None
    row.status = status[:32]
    row.trial_end = _ts(sub.get("trial_end"))
    row.current_period_end = _ts(sub.get("current_period_end") or item.get("current_period_end"))
    row.cancel_at_period_end = bool(sub.get("cancel_at_period_end"))
    _mark(row, created, rank)
    session.add(row)
    return "applied"


def _mark(row: BillingSubscription, created: int, rank: int) -> None:
    if (created, rank) > (row.last_event_created, row.last_event_rank):
        row.last_event_created, row.last_event_rank = created, rank
    row.updated_at = utcnow()


def _apply_invoice(
    session: Session, obj: dict[str, Any], *, event_type: str, created: int
) -> tuple[int | None, str]:
    # Newer API versions moved the subscription under parent.subscription_details.
    details = (
        (obj.get("parent") or {}).get("subscription_details")
        or obj.get("subscription_details")
        or {}
    )
    subscription_id = _id(obj.get("subscription")) or _id(details.get("subscription"))
    org_id = _org_for(
        session,
        customer=_id(obj.get("customer")),
        metadata=details.get("metadata") or obj.get("metadata"),
    )
    if org_id is None:
        return None, "ignored: unknown customer"
    invoice_id = _id(obj)
    invoice = session.exec(
        select(BillingInvoice).where(
            BillingInvoice.org_id == org_id, BillingInvoice.stripe_invoice_id == invoice_id
        )
    ).first() or BillingInvoice(
        org_id=org_id,  # org_id by hand: a webhook's system session
        stripe_invoice_id=invoice_id,
    )
    invoice.stripe_subscription_id = subscription_id
    invoice.number = str(obj.get("number") or "")[:64]
    invoice.status = "paid" if event_type == "invoice.paid" else "payment failed"
    invoice.amount_due = int(obj.get("amount_due") or 0)
    invoice.amount_paid = int(obj.get("amount_paid") or 0)
    invoice.currency = str(obj.get("currency") or "usd")[:8]
    invoice.hosted_invoice_url = str(obj.get("hosted_invoice_url") or "")[:1000]
    invoice.issued_at = _ts(obj.get("created")) or utcnow()
    session.add(invoice)
    row = _subscription_row(session, org_id, subscription_id) if subscription_id else None
    if row is None or _is_older(row, created, RANK[event_type]) or row.status == "canceled":
        return org_id, "invoice recorded"
    if event_type == "invoice.paid" and row.status in OVERDUE:
        row.status, row.past_due_since = "active", None
    elif event_type == "invoice.payment_failed" and row.status in ("active", "trialing"):
        row.status = "past_due"
        row.past_due_since = _ts(created) or utcnow()
    _mark(row, created, RANK[event_type])
    session.add(row)
    if event_type == "invoice.payment_failed":
        grace = get_settings().billing_past_due_grace_days
        _mail_admins(
            session,
            org_id,
            subject="Payment failed for your pmo_saas subscription",
            body=(
                "We could not collect the latest invoice. Update the payment method under "
                f"Billing > Manage billing within {grace} days; after that the workspace "
                "becomes read-only until the invoice is paid. No data is deleted.\n"
            ),
        )
    return org_id, "applied"


def _mail_admins(session: Session, org_id: int, *, subject: str, body: str) -> None:
    emails = session.exec(
        select(User.email)
        .join(Membership, col(Membership.user_id) == User.id)
        .where(
            Membership.org_id == org_id,
            col(Membership.role).in_([Role.OWNER.value, Role.ADMIN.value]),
        )
    ).all()
    for email in emails:
        send_mail(session=session, to=email, subject=subject, body=body, org_id=org_id)
