"""Stripe events built by hand (for what no peer produces), signed like Stripe signs them."""

from __future__ import annotations

import json
import secrets
import time
from typing import Any

import stripe
from starlette.testclient import TestClient

from tests.peers.stripe import (  # noqa: F401  (re-exported for the billing tests)
    PRICE_ENTERPRISE,
    PRICE_TEAM,
    SECRET_KEY,
    WEBHOOK_PATH,
    WEBHOOK_SECRET,
)


def subscription(
    sub_id: str,
    customer: str,
    *,
    status: str = "active",
    quantity: int = 1,
    price: str = PRICE_TEAM,
    unit_amount: int = 900,
    trial_end: int | None = None,
    period_end: int | None = None,
    org_id: int | None = None,
) -> dict[str, Any]:
    """A subscription as the current Stripe API sends it (period end on the item)."""
    period_end = period_end or int(time.time()) + 30 * 86400
    return {
        "id": sub_id,
        "object": "subscription",
        "customer": customer,
        "status": status,
        "cancel_at_period_end": False,
        "trial_end": trial_end,
        "metadata": {"org_id": str(org_id)} if org_id else {},
        "items": {
            "object": "list",
            "data": [
                {
                    "id": "si_" + secrets.token_hex(6),
                    "quantity": quantity,
                    "current_period_end": period_end,
                    "price": {
                        "id": price,
                        "object": "price",
                        "unit_amount": unit_amount,
                        "currency": "eur",
                    },
                }
            ],
        },
    }


def invoice(customer: str, sub_id: str, *, amount: int = 900, paid: bool = True) -> dict[str, Any]:
    return {
        "id": "in_" + secrets.token_hex(6),
        "object": "invoice",
        "customer": customer,
        "subscription": sub_id,
        "number": "PMO-" + secrets.token_hex(2).upper(),
        "amount_due": amount,
        "amount_paid": amount if paid else 0,
        "currency": "eur",
        "created": int(time.time()),
        "hosted_invoice_url": "https://invoice.example/" + secrets.token_hex(4),
    }


def event(
    event_type: str, obj: dict[str, Any], *, created: int | None = None, event_id: str = ""
) -> dict[str, Any]:
    return {
        "id": event_id or "evt_" + secrets.token_hex(8),
        "object": "event",
        "type": event_type,
        "created": created or int(time.time()),
        "data": {"object": obj},
    }


def signature(payload: bytes, *, secret: str = WEBHOOK_SECRET, timestamp: int | None = None) -> str:
    return stripe.WebhookSignature.generate_signature_header(
        payload.decode(), secret, timestamp or int(time.time())
    )


def post(client: TestClient, evt: dict[str, Any], **signing: Any) -> Any:
    payload = json.dumps(evt).encode()
    return client.post(
        WEBHOOK_PATH,
        content=payload,
        headers={
            "Stripe-Signature": signature(payload, **signing),
            "Content-Type": "application/json",
        },
    )
