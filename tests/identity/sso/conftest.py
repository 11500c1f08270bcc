"""Real OpenID Connect peers on loopback and the real HTTP app, once per test session.

- two oidc-provider-mock processes (two issuers: one per organisation),
- the strict peer (peers/strict_idp.py): PKCE required, registered clients, tamper switches
  (both started by tests/peers/oidc.py, shared with the browser journey),
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
from tests.peers import oidc
from tests.peers.oidc import free_port, wait_for


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
