"""Real OpenID Connect peers on loopback and the real HTTP app, once per test session.

- two oidc-provider-mock processes (two issuers: one per organisation),
- the strict peer (peers/strict_idp.py): PKCE required, registered clients, tamper switches
  (both started by tests/peers/oidc.py, shared with the browser journey),
- the loopback DNS server (tests/peers/dns.py) for domain proofs,
- the app's Starlette routes (`build_api()`) served by uvicorn in a thread.
Every process is started here and stopped here, by its own pid.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator

import httpx
import pytest
import uvicorn

from pmo_saas.api import build_api
from pmo_saas.settings import get_settings
from tests.peers import dns, oidc
from tests.peers.oidc import free_port, wait_for

LOOPBACK_NETWORKS = "127.0.0.0/8,::1/128"


@pytest.fixture(autouse=True)
def allow_loopback_idps(monkeypatch: pytest.MonkeyPatch) -> None:
    """These tests' identity providers run on loopback: allowed explicitly, and only that
    (every other private, link-local or reserved address stays refused)."""
    monkeypatch.setattr(get_settings(), "sso_allow_private_networks", False)
    monkeypatch.setattr(get_settings(), "sso_allowed_networks", LOOPBACK_NETWORKS)


@pytest.fixture
def dns_peer(monkeypatch: pytest.MonkeyPatch) -> str:
    """The loopback DNS server (tests/peers/dns.py, one per session) as the app's resolver."""
    address = dns.resolver()
    monkeypatch.setattr(get_settings(), "dns_resolver", address)
    return address


@pytest.fixture(scope="session")
def idp1() -> Iterator[str]:
    yield from oidc.oidc_provider_mock()


@pytest.fixture(scope="session")
def idp2() -> Iterator[str]:
    yield from oidc.oidc_provider_mock()


@pytest.fixture(scope="session")
def strict_idp_session() -> Iterator[str]:
    yield from oidc.strict_idp()


@pytest.fixture
def strict_idp(strict_idp_session: str) -> Iterator[str]:
    """The strict peer, with its tamper switches reset around each test."""
    httpx.put(f"{strict_idp_session}/_peer/tamper", json={}).raise_for_status()
    yield strict_idp_session
    httpx.put(f"{strict_idp_session}/_peer/tamper", json={}).raise_for_status()


@pytest.fixture(scope="session")
def app_url(engine: object) -> Iterator[str]:
    """build_api() served over real HTTP by uvicorn in a thread of this process."""
    port = free_port()
    server = uvicorn.Server(
        uvicorn.Config(
            build_api(), host="127.0.0.1", port=port, log_level="warning", lifespan="off"
        )
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    url = f"http://127.0.0.1:{port}"
    wait_for(f"{url}/healthz")
    yield url
    server.should_exit = True
    thread.join(timeout=10)
