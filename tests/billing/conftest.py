"""Billing fixtures: billing switched on, the local Stripe peer, and the app served over HTTP."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import httpx
import pytest
import uvicorn
from starlette.testclient import TestClient

from pmo_saas.api import build_api
from pmo_saas.settings import get_settings
from tests.billing.stripe_events import PRICE_ENTERPRISE, PRICE_TEAM, SECRET_KEY, WEBHOOK_SECRET

ROOT = Path(__file__).resolve().parents[2]
BILLING_ENV = {
    "PMO_STRIPE_SECRET_KEY": SECRET_KEY,
    "PMO_STRIPE_WEBHOOK_SECRET": WEBHOOK_SECRET,
    "PMO_STRIPE_PRICE_TEAM": PRICE_TEAM,
    "PMO_STRIPE_PRICE_ENTERPRISE": PRICE_ENTERPRISE,
    # Nothing listens here: a test that reaches Stripe without the peer fails loudly.
    "PMO_STRIPE_API_BASE": "http://127.0.0.1:9",
}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
def billing_on() -> Iterator[None]:
    saved = {key: os.environ.get(key) for key in BILLING_ENV}
    os.environ.update(BILLING_ENV)
    get_settings.cache_clear()
    yield
    for key, value in saved.items():
        if value is None:
            os.environ.pop(key, None)
        else:
            os.environ[key] = value
    get_settings.cache_clear()


@pytest.fixture
def client() -> Iterator[TestClient]:
    with TestClient(build_api()) as test_client:
        yield test_client


@pytest.fixture(scope="session")
def stripe_peer(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """tests/billing/peers/stripe_peer.py in its own process group, stopped by its pid."""
    port = free_port()
    log = (tmp_path_factory.mktemp("peer") / "stripe_peer.log").open("w")
    process = subprocess.Popen(
        [sys.executable, "-m", "tests.billing.peers.stripe_peer", "--port", str(port)],
        cwd=ROOT,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 15
        while True:
            try:
                httpx.get(f"{base}/v1/customers", auth=(SECRET_KEY, ""), timeout=1)
                break
            except httpx.TransportError:
                if time.monotonic() > deadline or process.poll() is not None:
                    raise RuntimeError("the Stripe peer did not start") from None
                time.sleep(0.1)
        for price_id, name, amount in (
            (PRICE_TEAM, "Team", 900),
            (PRICE_ENTERPRISE, "Enterprise", 2400),
        ):
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
        yield base
    finally:
        os.killpg(process.pid, signal.SIGTERM)
        process.wait(timeout=10)
        log.close()


@pytest.fixture(scope="session")
def app_server() -> Iterator[str]:
    """The plain HTTP routes served for real, so the peer can deliver webhooks to them."""
    port = free_port()
    server = uvicorn.Server(
        uvicorn.Config(
            build_api(), host="127.0.0.1", port=port, log_level="warning", lifespan="off"
        )
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started:
        if time.monotonic() > deadline:
            raise RuntimeError("the app server did not start")
        time.sleep(0.05)
    yield f"http://127.0.0.1:{port}"
    server.should_exit = True
    thread.join(timeout=10)


@pytest.fixture
def peer_billing(billing_on: None, stripe_peer: str, app_server: str) -> str:
    """Billing on, talking to the peer, whose webhooks reach the app server."""
    os.environ["PMO_STRIPE_API_BASE"] = stripe_peer
    get_settings.cache_clear()
    httpx.post(
        f"{stripe_peer}/_config/webhooks/app",
        data={"url": f"{app_server}/stripe/webhook", "secret": WEBHOOK_SECRET},
    ).raise_for_status()
    return stripe_peer


def wait_for(condition: Callable[[], object], *, timeout: float = 10.0) -> object:
    """Webhooks arrive about a second after the peer raises them."""
    deadline = time.monotonic() + timeout
    while True:
        value = condition()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError("timed out waiting for a webhook to be applied")
        time.sleep(0.1)
