"""Billing fixtures: billing switched on, the local Stripe peer, and the app served over HTTP."""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Callable, Iterator

import pytest
import uvicorn
from starlette.testclient import TestClient

from pmo_saas.api import build_api
from pmo_saas.settings import get_settings
from tests.peers import stripe

# Nothing listens at port 9: a test that reaches Stripe without the peer fails loudly.
BILLING_ENV = stripe.billing_env("http://127.0.0.1:9")


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
def stripe_peer() -> str:
    """The local Stripe peer, one per test process (tests/peers/stripe.py), with its prices."""
    return stripe.peer_url()


@pytest.fixture(scope="session")
def app_server() -> Iterator[str]:
    """The plain HTTP routes served for real, so the peer can deliver webhooks to them."""
    port = stripe.free_port()
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
    stripe.register_webhook(app_server)
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
