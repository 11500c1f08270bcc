"""OpenID Connect providers on loopback, started as processes of their own.

Shared by the HTTP-level SSO tests (tests/identity/sso) and the browser journey (tests/e2e):
each conftest keeps a thin session fixture that calls `oidc_provider_mock()` or
`strict_idp()` and yields the issuer URL. Every process is stopped by its own pid.
"""

from __future__ import annotations

import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx

STRICT_IDP_SCRIPT = Path(__file__).resolve().parent.parent / "identity/sso/peers/strict_idp.py"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_for(url: str, proc: subprocess.Popen[bytes] | None = None, seconds: float = 20) -> None:
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


def serve(args: list[str], port: int) -> Iterator[str]:
    """Run `python <args>` until the generator is closed; yields http://127.0.0.1:<port>."""
    proc = subprocess.Popen(
        [sys.executable, *args],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    issuer = f"http://127.0.0.1:{port}"
    try:
        wait_for(f"{issuer}/.well-known/openid-configuration", proc)
        yield issuer
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=5)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def oidc_provider_mock() -> Iterator[str]:
    """One oidc-provider-mock process: one issuer (the issuer comes from the host and port)."""
    port = free_port()
    yield from serve(
        ["-W", "ignore", "-m", "oidc_provider_mock", "-H", "127.0.0.1", "-p", str(port)], port
    )


def strict_idp() -> Iterator[str]:
    """The strict Authlib peer: PKCE required, registered clients, tamper switches."""
    port = free_port()
    yield from serve(["-W", "ignore", str(STRICT_IDP_SCRIPT), str(port)], port)


def set_user(issuer: str, sub: str, claims: dict[str, object]) -> None:
    """Claims oidc-provider-mock will state for `sub`."""
    httpx.put(f"{issuer}/users/{sub}", json=claims).raise_for_status()
