"""Outbound SSO fetches (discovery, keys, token, userinfo, redirects) never reach private,
loopback, link-local, multicast or reserved addresses unless the operator allows them.

No test here sends anything to a non-loopback address: the check refuses before connecting.
The loopback discovery server below serves documents that point elsewhere.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

from pmo_saas.identity import oidc_gateway, sso
from pmo_saas.identity.oidc_gateway import IdentityProviderError, check_outbound_url
from pmo_saas.kernel.context import TenantContext
from pmo_saas.settings import get_settings

BLOCKED = [
    "https://127.0.0.1/",
    "http://localhost:8080/",
    "https://10.1.2.3/",
    "https://172.16.0.9/",
    "https://192.168.1.1/",
    "http://169.254.169.254/latest/meta-data/",
    "https://[::1]/",
    "https://[fe80::1]/",
    "https://[fd00::1]/",
    "https://[::ffff:127.0.0.1]/",
    "https://224.0.0.1/",
    "https://240.0.0.1/",
    "https://0.0.0.0/",
    "https://100.64.0.1/",
]


@pytest.fixture
def no_private(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(get_settings(), "sso_allowed_networks", "")
    monkeypatch.setattr(get_settings(), "sso_allow_private_networks", False)


@pytest.mark.parametrize("url", BLOCKED)
def test_private_and_reserved_addresses_are_refused(url: str, no_private: None) -> None:
    with pytest.raises(IdentityProviderError, match="which single sign-on may not reach"):
        check_outbound_url(url)


@pytest.mark.parametrize("url", ["file:///etc/passwd", "gopher://x.example/", "ftp://a/", "//x"])
def test_other_schemes_are_refused(url: str, no_private: None) -> None:
    with pytest.raises(IdentityProviderError, match="only fetches http"):
        check_outbound_url(url)


def test_loopback_only_when_the_operator_allows_it(monkeypatch: pytest.MonkeyPatch) -> None:
    settings = get_settings()
    monkeypatch.setattr(settings, "sso_allowed_networks", "127.0.0.0/8, ::1/128")
    check_outbound_url("http://127.0.0.1:9/")
    check_outbound_url("http://localhost:9/")
    check_outbound_url("https://[::1]/")
    for still_refused in ("https://10.1.2.3/", "http://169.254.169.254/"):
        with pytest.raises(IdentityProviderError):
            check_outbound_url(still_refused)
    monkeypatch.setattr(settings, "sso_allowed_networks", "")
    monkeypatch.setattr(settings, "sso_allow_private_networks", True)
    check_outbound_url("https://10.1.2.3/")  # allowed by the setting (nothing is fetched)


class _Peer:
    """A loopback HTTP server: /.well-known/openid-configuration serves `document`, `/hop`
    redirects to `redirect_to`, `/jwks` serves an empty key set."""

    def __init__(self) -> None:
        self.document: dict[str, Any] = {}
        self.redirect_to = ""
        self.paths: list[str] = []
        peer = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: object) -> None:
                pass

            def do_GET(self) -> None:
                peer.paths.append(self.path)
                if self.path.startswith("/hop"):
                    self.send_response(302)
                    self.send_header("Location", peer.redirect_to)
                    self.end_headers()
                    return
                body = json.dumps(
                    peer.document if "openid-configuration" in self.path else {"keys": []}
                ).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"

    def discovery(self, **overrides: str) -> None:
        self.document = {
            "issuer": self.url,
            "authorization_endpoint": f"{self.url}/authorize",
            "token_endpoint": f"{self.url}/token",
            "jwks_uri": f"{self.url}/jwks",
            **overrides,
        }


@pytest.fixture
def peer() -> Iterator[_Peer]:
    found = _Peer()
    thread = threading.Thread(target=found.server.serve_forever, daemon=True)
    thread.start()
    yield found
    found.server.shutdown()
    found.server.server_close()


def test_test_connection_refuses_a_private_issuer_with_a_clear_message(
    org_a: TenantContext, no_private: None, peer: _Peer
) -> None:
    for issuer in ("https://10.1.2.3", "https://169.254.169.254/latest", "https://[::1]:8443"):
        result = sso.check_sso_connection(ctx=org_a, issuer_url=issuer)
        assert not result.ok and "which single sign-on may not reach" in result.message
    peer.discovery()
    refused = sso.check_sso_connection(ctx=org_a, issuer_url=peer.url)
    assert not refused.ok and "resolves to 127.0.0.1" in refused.message
    assert peer.paths == []  # never contacted


def test_loopback_idp_works_when_loopback_is_allowed(org_a: TenantContext, peer: _Peer) -> None:
    peer.discovery()  # the SSO tests' fixture allows 127.0.0.0/8 and ::1 only
    result = sso.check_sso_connection(ctx=org_a, issuer_url=peer.url)
    assert result.issuer == peer.url and "0 signing keys" in result.message


@pytest.mark.parametrize("key", ["jwks_uri", "token_endpoint", "userinfo_endpoint"])
def test_discovery_pointing_an_endpoint_at_a_private_address_is_refused(
    org_a: TenantContext, peer: _Peer, key: str
) -> None:
    peer.discovery(**{key: "http://169.254.169.254/latest/meta-data/iam"})
    result = sso.check_sso_connection(ctx=org_a, issuer_url=peer.url)
    assert not result.ok
    assert "169.254.169.254" in result.message and "may not reach" in result.message
    assert all("jwks" not in path for path in peer.paths)


def test_discovery_with_a_non_http_endpoint_is_refused(org_a: TenantContext, peer: _Peer) -> None:
    peer.discovery(jwks_uri="file:///etc/passwd")
    assert "only fetches http" in sso.check_sso_connection(ctx=org_a, issuer_url=peer.url).message
    peer.discovery(authorization_endpoint="javascript:alert(1)")
    result = sso.check_sso_connection(ctx=org_a, issuer_url=peer.url)
    assert "authorization_endpoint is not an http(s) URL" in result.message


def test_a_redirect_to_a_private_address_is_refused(peer: _Peer) -> None:
    peer.discovery(jwks_uri=f"{peer.url}/hop")
    peer.redirect_to = "http://169.254.169.254/latest/meta-data/"
    metadata = oidc_gateway.discover(peer.url)
    with pytest.raises(IdentityProviderError, match=r"169\.254\.169\.254"):
        oidc_gateway.fetch_key_count(metadata)
    peer.redirect_to = f"{peer.url}/jwks"  # a redirect within allowed addresses is followed
    assert oidc_gateway.fetch_key_count(metadata) == 0
