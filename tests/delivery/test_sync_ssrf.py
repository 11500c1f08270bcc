"""Sync's outbound requests under attack: a name resolving to a public and a private address at
once, DNS rebinding (public when checked, loopback when connecting), a peer redirecting to
another host, cloud metadata addresses, and the test-only loopback allowance in production.

The resolver is the one thing faked here (`socket.getaddrinfo`, for names under `.test` only):
the system resolver cannot be pointed at a test server, and rebinding is a resolver that
changes its answer. Every connection is real: the Jira-like peer, or a bare listening socket
that counts who reached it.
"""

from __future__ import annotations

import socket
import threading
from collections.abc import Iterator
from contextlib import contextmanager

import httpx
import pytest
from pydantic import ValidationError

from pmo_saas.delivery.sync.outbound import Client, SyncFailed, check_url, clean_base_url
from pmo_saas.kernel.errors import ValidationFailed
from pmo_saas.settings import Settings, get_settings
from tests.delivery.sync_helpers import connect_jira, new_initiative, sync
from tests.peers.jira_peer import jira_peer

PUBLIC = "93.184.216.34"
SECRET = "k" * 40


class Resolver:
    """Answers for names under `.test` from a script (the last answer repeats); counts asks."""

    def __init__(self, *answers: list[str]) -> None:
        self.answers, self.asked = list(answers), 0
        self._real = socket.getaddrinfo

    def __call__(self, host, port, *args, **kwargs):
        if not str(host).endswith(".test"):
            return self._real(host, port, *args, **kwargs)
        answer = self.answers[min(self.asked, len(self.answers) - 1)]
        self.asked += 1
        family = {4: socket.AF_INET, 6: socket.AF_INET6}
        return [
            (
                family[6 if ":" in ip else 4],
                socket.SOCK_STREAM,
                socket.IPPROTO_TCP,
                "",
                (ip, int(port or 0), 0, 0) if ":" in ip else (ip, int(port or 0)),
            )
            for ip in answer
        ]


@contextmanager
def settings(monkeypatch: pytest.MonkeyPatch, **values: str) -> Iterator[None]:
    for name, value in values.items():
        monkeypatch.setenv(f"PMO_DELIVERY_SYNC_{name.upper()}", value)
    get_settings.cache_clear()
    try:
        yield
    finally:
        for name in values:
            monkeypatch.delenv(f"PMO_DELIVERY_SYNC_{name.upper()}")
        get_settings.cache_clear()


@contextmanager
def listener() -> Iterator[tuple[int, list[str]]]:
    """A loopback port that records every connection made to it (an internal service)."""
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(8)
    server.settimeout(0.2)
    reached: list[str] = []
    stop = threading.Event()

    def accept() -> None:
        while not stop.is_set():
            try:
                conn, address = server.accept()
            except OSError:
                continue
            reached.append(address[0])
            conn.close()

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    try:
        yield server.getsockname()[1], reached
    finally:
        stop.set()
        thread.join(timeout=2)
        server.close()


# ---------------------------------------------------------------- what a name resolves to


@pytest.mark.parametrize(
    "answer",
    [
        [PUBLIC, "10.0.0.5"],
        ["10.0.0.5", PUBLIC],
        [PUBLIC, "127.0.0.1"],
        [PUBLIC, "169.254.169.254"],
        [PUBLIC, "::1"],
        [PUBLIC, "::ffff:127.0.0.1"],
        [PUBLIC, "fe80::1"],
        [PUBLIC, "224.0.0.1"],
        [PUBLIC, "0.0.0.0"],  # noqa: S104 (the unspecified address, as an answer)
        [PUBLIC, "2002:7f00:1::"],  # 6to4 around 127.0.0.1
    ],
)
def test_a_name_with_any_private_address_is_refused(monkeypatch, answer):
    monkeypatch.setattr(socket, "getaddrinfo", Resolver(answer))
    with pytest.raises(ValidationFailed, match="may not reach"):
        clean_base_url("https://jira.mixed.test")


def test_a_name_with_only_public_addresses_passes(monkeypatch):
    monkeypatch.setattr(socket, "getaddrinfo", Resolver([PUBLIC, "2606:2800:220:1::"]))
    assert [str(a) for a in check_url("https://jira.fine.test")] == [PUBLIC, "2606:2800:220:1::"]


def test_cloud_metadata_is_refused_even_where_private_networks_are_allowed(monkeypatch):
    with settings(monkeypatch, allowed_networks="169.254.0.0/16,fd00::/8"):
        for url in ("http://169.254.169.254/latest", "http://[fd00:ec2::254]/"):
            with pytest.raises(ValidationFailed, match="metadata"):
                check_url(url)
    with (
        settings(monkeypatch, allow_private_networks="true"),
        pytest.raises(ValidationFailed, match="metadata"),
    ):
        check_url("http://169.254.169.254/latest")


# ---------------------------------------------------------------- DNS rebinding


def test_dns_rebinding_cannot_switch_a_checked_public_name_to_loopback(monkeypatch):
    """Public when checked, loopback on every later lookup: the connection goes to the checked
    (public) address or nowhere, and the loopback service is never reached."""
    with listener() as (port, reached), settings(monkeypatch, timeout_seconds="1"):
        resolver = Resolver([PUBLIC], ["127.0.0.1"])
        monkeypatch.setattr(socket, "getaddrinfo", resolver)
        client = Client(
            name="Jira", base_url=f"https://jira.rebind.test:{port}", auth=None, headers={}
        )
        with client:
            for _ in range(2):
                with pytest.raises(SyncFailed, match=r"Could not reach|did not answer"):
                    client.get("/rest/api/3/myself")
        assert reached == []
        assert resolver.asked == 1


def test_one_client_resolves_once_and_connects_to_that_address(monkeypatch):
    """The pinned address is used for every request, though the name now says elsewhere."""
    peer = jira_peer()
    peer.reset()
    peer.clear_log()
    port = int(peer.base.rsplit(":", 1)[1])
    with settings(monkeypatch, allowed_networks="127.0.0.1/32", timeout_seconds="1"):
        resolver = Resolver(["127.0.0.1"], ["10.255.255.1"])
        monkeypatch.setattr(socket, "getaddrinfo", resolver)
        with Client(
            name="Jira",
            base_url=f"http://jira.pinned.test:{port}",
            auth=httpx.BasicAuth(peer.email, peer.token),
            headers={},
        ) as client:
            first = client.get("/rest/api/3/myself")
            second = client.get(f"/rest/api/3/project/{peer.project}")
    assert (first.status_code, second.status_code) == (200, 200)
    assert resolver.asked == 1
    assert [r["path"] for r in peer.log()] == ["/rest/api/3/myself", "/rest/api/3/project/PROJ"]


def test_a_name_rebound_to_private_between_two_syncs_is_refused(org_a, monkeypatch):
    """Each sync resolves afresh and checks again: a later private answer stops it cleanly."""
    peer = jira_peer()
    peer.reset()
    peer.add("Basket", "2026-11-02T09:00:00+00:00")
    port = int(peer.base.rsplit(":", 1)[1])
    with settings(monkeypatch, allowed_networks="127.0.0.1/32", timeout_seconds="1"):
        resolver = Resolver(["127.0.0.1"])
        monkeypatch.setattr(socket, "getaddrinfo", resolver)
        iid = new_initiative(org_a)
        peer_at_name = type(peer)(f"http://jira.later.test:{port}")
        cid = connect_jira(org_a, peer_at_name, iid)
        assert sync(org_a, cid).status == "ok"
        resolver.answers = [["10.1.2.3"]]
        peer.clear_log()
        failed = sync(org_a, cid)
    assert failed.status == "failed" and "10.1.2.3" in failed.error
    assert peer.log() == []


# ---------------------------------------------------------------- redirects


@pytest.fixture
def jira(monkeypatch: pytest.MonkeyPatch):
    peer = jira_peer()
    peer.reset()
    with settings(monkeypatch, allow_private_networks="true", timeout_seconds="2"):
        yield peer


def _client(peer) -> Client:
    return Client(
        name="Jira", base_url=peer.base, auth=httpx.BasicAuth(peer.email, peer.token), headers={}
    )


def test_a_redirect_to_another_host_is_refused_and_not_followed(jira):
    port = jira.base.rsplit(":", 1)[1]
    for elsewhere in (
        f"http://localhost:{port}/rest/api/3/myself",  # the same machine by another name
        f"http://127.0.0.2:{port}/rest/api/3/myself",
        "http://169.254.169.254/latest/meta-data/",
        f"https://127.0.0.1:{port}/rest/api/3/myself",  # another scheme
    ):
        jira.fail(status=302, location=elsewhere)
        jira.clear_log()
        with _client(jira) as client, pytest.raises(SyncFailed, match="redirected"):
            client.get("/rest/api/3/myself")
        assert len(jira.log()) == 1  # the redirect itself, nothing after it


def test_a_redirect_within_the_same_address_is_followed_a_few_times_only(jira):
    jira.fail(status=301, location=f"{jira.base}/rest/api/3/myself")
    with _client(jira) as client:
        assert client.get("/rest/api/3/myself").json()["emailAddress"] == jira.email
    jira.fail(status=302, location="/rest/api/3/myself", times=10)
    with _client(jira) as client, pytest.raises(SyncFailed, match="too many redirects"):
        client.get("/rest/api/3/myself")
    jira.fail(times=0)


# ---------------------------------------------------------------- production


@pytest.mark.parametrize(
    "values",
    [
        {"delivery_sync_allow_private_networks": True},
        {"delivery_sync_allowed_networks": "127.0.0.0/8"},
        {"delivery_sync_allowed_networks": "10.0.0.0/8,::1/128"},
        {"delivery_sync_allowed_networks": "169.254.0.0/16"},
        {"delivery_sync_allowed_networks": "0.0.0.0/0"},
    ],
)
def test_production_refuses_the_loopback_allowance_tests_use(values):
    with pytest.raises(ValidationError, match="PMO_DELIVERY_SYNC"):
        Settings(environment="production", secret_key=SECRET, _env_file=None, **values)


def test_production_may_allow_a_private_network_for_a_self_hosted_server():
    allowed = Settings(
        environment="production",
        secret_key=SECRET,
        _env_file=None,
        delivery_sync_allowed_networks="10.20.0.0/16",
    )
    assert allowed.delivery_sync_allowed_networks == "10.20.0.0/16"
    for environment in ("test", "development"):
        assert Settings(
            environment=environment, _env_file=None, delivery_sync_allow_private_networks=True
        ).delivery_sync_allow_private_networks
