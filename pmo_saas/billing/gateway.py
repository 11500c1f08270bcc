"""The one module that talks to Stripe (and the only one that imports its SDK).

Everything returned is plain data (str, dict), never a StripeObject, so the rest of the app
does not depend on the SDK's types.
"""

from __future__ import annotations

import json
import logging
from typing import Any

import stripe

from pmo_saas.kernel.errors import DomainError
from pmo_saas.settings import get_settings

log = logging.getLogger("pmo_saas.billing.gateway")

WEBHOOK_TOLERANCE_SECONDS = 300


class GatewayError(DomainError):
    """Stripe could not be reached or refused the request; the message is fit for people."""


class InvalidSignature(Exception):
    """A webhook whose Stripe-Signature does not verify (forged, altered or too old)."""


def _client() -> stripe.StripeClient:
    settings = get_settings()
    key = settings.stripe_secret_key.get_secret_value()
    if not key:
        raise GatewayError("Billing is not configured on this server.")
    if settings.stripe_api_base:
        return stripe.StripeClient(
            key,
            base_addresses={"api": settings.stripe_api_base.rstrip("/")},
            max_network_retries=1,
        )
    return stripe.StripeClient(key, max_network_retries=2)


def _call(what: str, fn: Any, *args: Any, **kwargs: Any) -> Any:
    try:
        return fn(*args, **kwargs)
    except stripe.StripeError as error:
        log.warning("stripe %s failed: %s", what, error)
        raise GatewayError(
            "The payment provider could not be reached or refused the request. "
            "Try again in a minute."
        ) from error


def create_customer(*, org_id: int, name: str, email: str) -> str:
    customer = _call(
        "customer",
        _client().v1.customers.create,
        {"name": name, "email": email, "metadata": {"org_id": str(org_id)}},
        {"idempotency_key": f"pmo-customer-org-{org_id}"},
    )
    return str(customer.id)


def create_checkout_session(
    *,
    org_id: int,
    customer_id: str,
    price_id: str,
    plan: str,
    quantity: int,
    trial_days: int,
    success_url: str,
    cancel_url: str,
) -> str:
    """A hosted Checkout page for a subscription; returns its URL."""
    metadata = {"org_id": str(org_id), "plan": plan}
    subscription_data: dict[str, Any] = {"metadata": metadata}
    if trial_days > 0:
        subscription_data["trial_period_days"] = trial_days
    checkout = _call(
        "checkout session",
        _client().v1.checkout.sessions.create,
        {
            "mode": "subscription",
            "customer": customer_id,
            "client_reference_id": str(org_id),
            "line_items": [{"price": price_id, "quantity": max(quantity, 1)}],
            "subscription_data": subscription_data,
            "metadata": metadata,
            "success_url": success_url,
            "cancel_url": cancel_url,
        },
    )
    return str(checkout.url)


def create_portal_session(*, customer_id: str, return_url: str) -> str:
    portal = _call(
        "portal session",
        _client().v1.billing_portal.sessions.create,
        {"customer": customer_id, "return_url": return_url},
    )
    return str(portal.url)


def set_subscription_quantity(*, subscription_id: str, quantity: int) -> None:
    client = _client()
    subscription = _call("subscription", client.v1.subscriptions.retrieve, subscription_id)
    item_id = subscription.to_dict()["items"]["data"][0]["id"]
    _call(
        "subscription quantity",
        client.v1.subscriptions.update,
        subscription_id,
        {
            "items": [{"id": item_id, "quantity": max(quantity, 1)}],
        },
    )


def verify_webhook(payload: bytes, signature_header: str) -> dict[str, Any]:
    """The event as plain data, once its signature verifies within the tolerance."""
    secret = get_settings().stripe_webhook_secret.get_secret_value()
    if not secret:
        raise InvalidSignature("no webhook secret configured")
    try:
        stripe.WebhookSignature.verify_header(
            payload, signature_header, secret, tolerance=WEBHOOK_TOLERANCE_SECONDS
        )
    except stripe.SignatureVerificationError as error:
        raise InvalidSignature(str(error)) from None
    try:
        event = json.loads(payload)
    except ValueError:
        raise InvalidSignature("the body is not JSON") from None
    if not isinstance(event, dict):
        raise InvalidSignature("the body is not an event")
    return event
