"""Real OpenID Connect peers on loopback and the real HTTP app, once per test session.

- two oidc-provider-mock processes (two issuers: one per organisation),
- the strict peer (peers/strict_idp.py): PKCE required, registered clients, tamper switches,
- the app's Starlette routes (`build_api()`) served by uvicorn in a thread.
Every process is started here and stopped here, by its own pid.
"""

from __future__ import annotations

import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
import uvicorn

from pmo_saas.api import build_api

PEERS = Path(__file__).parent / "peers"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _wait_for(url: str, proc: subprocess.Popen[bytes] | None = None, seconds: float = 20) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if proc is not None and proc.poll() is not None:
            raise RuntimeError(f"peer exited early ({proc.returncode}) before serving {url}")
        try:
            if httpx.get(url, timeout=1).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.1)
    raise RuntimeError(f"peer did not answer at {url}")


def _start(args: list[str], port: int) -> Iterator[str]:
    proc = subprocess.Popen(
        [sys.executable, *args],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    issuer = f"http://127.0.0.1:{port}"
    try:
        _wait_for(f"{issuer}/.well-known/openid-configuration", proc)
        yield issuer
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=5)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


@pytest.fixture(scope="session")
def idp1() -> Iterator[str]:
    port = free_port()
    yield from _start(
        ["-W", "ignore", "-m", "oidc_provider_mock", "-H", "127.0.0.1", "-p", str(port)], port
    )


@pytest.fixture(scope="session")
def idp2() -> Iterator[str]:
    port = free_port()
    yield from _start(
        ["-W", "ignore", "-m", "oidc_provider_mock", "-H", "127.0.0.1", "-p", str(port)], port
    )


@pytest.fixture(scope="session")
def strict_idp_session() -> Iterator[str]:
    port = free_port()
    yield from _start(["-W", "ignore", str(PEERS / "strict_idp.py"), str(port)], port)


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
    _wait_for(f"{url}/healthz")
    yield url
    server.should_exit = True
    thread.join(timeout=10)
