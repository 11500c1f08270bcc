"""The local Stripe peer (tests/billing/peers/stripe_peer.py), shared by every test that needs it.

One peer process per test process, on a free loopback port, started on first use and stopped
by its pid at exit. `tests/billing/conftest.py` and the browser journeys both use it:

- `app_env()`: the PMO_STRIPE_* settings that switch billing on against the peer (the e2e
  conftest merges them into the app server's environment before starting it);
- `register_webhook(app_url)`: the peer delivers its events to `<app_url>/stripe/webhook`;
- `send_event(app_url, event)`: sign and POST an event the peer cannot produce;
- `grant_plan(ctx, plan)`: a live subscription row, for journeys that need a paid plan.
"""

from __future__ import annotations

import atexit
import contextlib
import json
import os
import secrets
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx
import stripe

ROOT = Path(__file__).resolve().parents[2]
SECRET_KEY = "sk_test_pmo_billing_0123456789"
WEBHOOK_SECRET = "whsec_test_pmo_billing_0123456789"
PRICE_TEAM = "price_team_test"
PRICE_ENTERPRISE = "price_enterprise_test"
PRICES = ((PRICE_TEAM, "Team", 900), (PRICE_ENTERPRISE, "Enterprise", 2400))
WEBHOOK_PATH = "/stripe/webhook"
WEBHOOK_ID = "app"

_peer: dict[str, Any] = {}


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _stop(process: subprocess.Popen[bytes]) -> None:
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGTERM)
    try:
        process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=5)


def peer_url() -> str:
    """The peer's base URL (http://127.0.0.1:PORT), starting it on first call."""
    if "url" in _peer:
        return str(_peer["url"])
    port = free_port()
    log = tempfile.NamedTemporaryFile(prefix="stripe_peer_", suffix=".log", delete=False)  # noqa: SIM115
    process = subprocess.Popen(
        [sys.executable, "-m", "tests.billing.peers.stripe_peer", "--port", str(port)],
        cwd=ROOT,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    log.close()
    atexit.register(_stop, process)
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 15
    while True:
        try:
            httpx.get(f"{base}/v1/customers", auth=(SECRET_KEY, ""), timeout=1)
            break
        except httpx.TransportError:
            if time.monotonic() > deadline or process.poll() is not None:
                raise RuntimeError(f"the Stripe peer did not start (log: {log.name})") from None
            time.sleep(0.1)
    for price_id, name, amount in PRICES:
        httpx.post(
            f"{base}/v1/prices",
            auth=(SECRET_KEY, ""),
            data={
                "id": price_id,
                "unit_amount": str(amount),
                "currency": "eur",
                "recurring[interval]": "month",
                "product_data[name]": name,
                "nickname": name,
            },
        ).raise_for_status()
    _peer.update(url=base, process=process, log=log.name)
    return base


def billing_env(api_base: str) -> dict[str, str]:
    return {
        "PMO_STRIPE_SECRET_KEY": SECRET_KEY,
        "PMO_STRIPE_WEBHOOK_SECRET": WEBHOOK_SECRET,
        "PMO_STRIPE_PRICE_TEAM": PRICE_TEAM,
        "PMO_STRIPE_PRICE_ENTERPRISE": PRICE_ENTERPRISE,
        "PMO_STRIPE_API_BASE": api_base,
    }


def app_env() -> dict[str, str]:
    """Settings that switch billing on in an app server, talking to the (started) peer."""
    return billing_env(peer_url())


def register_webhook(app_url: str) -> None:
    """The peer delivers its events to the app's webhook endpoint (replacing any earlier one)."""
    httpx.post(
        f"{peer_url()}/_config/webhooks/{WEBHOOK_ID}",
        data={"url": app_url.rstrip("/") + WEBHOOK_PATH, "secret": WEBHOOK_SECRET},
    ).raise_for_status()


def event(event_type: str, obj: dict[str, Any], *, created: int | None = None) -> dict[str, Any]:
    return {
        "id": "evt_" + secrets.token_hex(8),
        "object": "event",
        "type": event_type,
        "created": created or int(time.time()),
        "data": {"object": obj},
    }


def signed(evt: dict[str, Any]) -> tuple[bytes, dict[str, str]]:
    """The body and headers Stripe would send for `evt`."""
    payload = json.dumps(evt).encode()
    header = stripe.WebhookSignature.generate_signature_header(
        payload.decode(), WEBHOOK_SECRET, int(time.time())
    )
    return payload, {"Stripe-Signature": header, "Content-Type": "application/json"}


def send_event(app_url: str, evt: dict[str, Any]) -> httpx.Response:
    """Sign `evt` and POST it to the app's webhook endpoint, as Stripe would."""
    payload, headers = signed(evt)
    return httpx.post(app_url.rstrip("/") + WEBHOOK_PATH, content=payload, headers=headers)


def grant_plan(org_id: int, plan: str = "enterprise") -> None:
    """A live subscription row for an organisation (journeys that need a paid plan's features)."""
    from pmo_saas.billing.models import BillingSubscription
    from pmo_saas.db import system_session

    with system_session() as session:
        session.add(
            BillingSubscription(
                org_id=org_id,
                stripe_subscription_id="sub_granted_" + secrets.token_hex(6),
                plan=plan,
                price_id=PRICE_ENTERPRISE if plan == "enterprise" else PRICE_TEAM,
                status="active",
            )
        )
