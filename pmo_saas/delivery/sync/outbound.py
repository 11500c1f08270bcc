"""The one way sync reaches Jira or GitHub: httpx with a short timeout; the host resolved once
per client and every address checked (https on public addresses, unless settings allow private
networks: the test peers on loopback; never cloud metadata), then connected to by address so a
second lookup cannot rebind it; redirects followed only on the same origin; every failure
turned into a `SyncFailed` whose message a coach reads.
Also the API tokens at rest: Fernet with a key derived from settings.secret_key.

Why httpx against the documented endpoints rather than `jira` / PyGithub: httpx is already a
dependency, the three endpoints each side needs are small, and one client lets us guard every
request (SSRF), set one timeout and read both error shapes in one place; those libraries bring
their own sessions, retries and pagination that would each need the same guards.
"""

from __future__ import annotations

import base64
import ipaddress
import socket
from collections.abc import Iterable
from functools import lru_cache
from typing import Any
from urllib.parse import urlsplit

import httpcore
import httpx
from cryptography.fernet import Fernet, InvalidToken
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from pmo_saas.kernel.addresses import is_public
from pmo_saas.kernel.errors import DomainError, ValidationFailed
from pmo_saas.settings import get_settings

USER_AGENT = "pmo_saas-delivery-sync"
MAX_REDIRECTS = 3


class SyncFailed(DomainError):
    """The other side could not be used; `str()` says what and what to do."""


# ---------------------------------------------------------------- tokens at rest


@lru_cache(maxsize=4)
def _fernet(secret_key: str) -> Fernet:
    derived = HKDF(
        algorithm=hashes.SHA256(), length=32, salt=b"pmo_saas.delivery.sync", info=b"api tokens v1"
    ).derive(secret_key.encode())
    return Fernet(base64.urlsafe_b64encode(derived))


def seal_token(plain: str) -> str:
    return _fernet(get_settings().secret_key).encrypt(plain.encode()).decode()


def open_token(sealed: str) -> str:
    try:
        return _fernet(get_settings().secret_key).decrypt(sealed.encode()).decode()
    except InvalidToken:
        raise SyncFailed(
            "The stored API token cannot be read (the server's secret key changed): "
            "enter the token again."
        ) from None


def _port(url: httpx.URL) -> int:
    return url.port or (443 if url.scheme == "https" else 80)


def masked(hint: str) -> str:
    return "••••" + hint if hint else ""


# ---------------------------------------------------------------- where we may go

Address = ipaddress.IPv4Address | ipaddress.IPv6Address
Network = ipaddress.IPv4Network | ipaddress.IPv6Network
# Cloud metadata services (AWS, GCP, Azure, OpenStack; AWS over IPv6; Alibaba): never, whatever
# an operator or a test allows.
METADATA = tuple(
    ipaddress.ip_network(n)
    for n in ("169.254.169.254/32", "fd00:ec2::254/128", "100.100.100.200/32")
)


def networks(raw: str) -> list[Network]:
    return [ipaddress.ip_network(p.strip(), strict=False) for p in raw.split(",") if p.strip()]


def _unwrapped(ip: Address) -> Address:
    """The IPv4 address inside an IPv4-mapped (::ffff:a.b.c.d) or 6to4 (2002:...) one."""
    if isinstance(ip, ipaddress.IPv6Address):
        return ip.ipv4_mapped or ip.sixtofour or ip
    return ip


def _refusal(ip: Address, allowed: list[Network], allow_all: bool) -> str:
    """Why sync may not connect to `ip` ("" when it may)."""
    inner = _unwrapped(ip)
    if any(a in net for a in (ip, inner) for net in METADATA):
        return "a cloud metadata address"
    if allow_all or (is_public(ip) and is_public(inner)):
        return ""
    if any(ip in net or inner in net for net in allowed):
        return ""
    return "a private, loopback or link-local address"


def check_url(url: str) -> list[Address]:
    """Resolve the URL's host once and return its addresses, each one checked: https to public
    addresses only (unless settings allow more), and never a cloud metadata address. Sync
    connects to exactly these (see `_PinnedBackend`), so a second lookup cannot switch them."""
    parts = urlsplit(url)
    host = parts.hostname or ""
    settings = get_settings()
    allow_all = settings.delivery_sync_allow_private_networks
    allowed = networks(settings.delivery_sync_allowed_networks)
    if not host or parts.scheme not in ("https", "http"):
        raise ValidationFailed("The address must look like https://example.atlassian.net.")
    if parts.scheme != "https" and not (allow_all or allowed):
        raise ValidationFailed("The address must start with https://.", field="base_url")
    try:
        port = parts.port or (443 if parts.scheme == "https" else 80)
        infos = socket.getaddrinfo(host, port, proto=socket.IPPROTO_TCP)
    except (socket.gaierror, UnicodeError, ValueError):
        raise SyncFailed(f"Could not reach {host}: the name does not resolve.") from None
    addresses: list[Address] = []
    for info in infos:
        ip = ipaddress.ip_address(str(info[4][0]).split("%", 1)[0])
        why = _refusal(ip, allowed, allow_all)
        if why:
            raise ValidationFailed(
                f"{host} resolves to {ip}, {why}, which sync may not reach (an operator can "
                "allow a private network with PMO_DELIVERY_SYNC_ALLOWED_NETWORKS).",
                field="base_url",
            )
        if ip not in addresses:
            addresses.append(ip)
    return addresses


def clean_base_url(raw: str) -> str:
    url = (raw or "").strip().rstrip("/")
    parts = urlsplit(url)
    if parts.query or parts.fragment or parts.username:
        raise ValidationFailed("Give the address without a query or credentials.", field="base_url")
    check_url(url)
    return url


# ---------------------------------------------------------------- the client


def _their_message(response: httpx.Response) -> str:
    """Jira: {"errorMessages": [...], "errors": {...}}; GitHub: {"message": ...}."""
    try:
        body = response.json()
    except ValueError:
        return ""
    if not isinstance(body, dict):
        return ""
    parts = [str(m) for m in body.get("errorMessages") or []]
    parts += (
        [str(v) for v in (body.get("errors") or {}).values()]
        if isinstance(body.get("errors"), dict)
        else []
    )
    if body.get("message"):
        parts.append(str(body["message"]))
    return "; ".join(parts)[:200]


class _PinnedBackend(httpcore.NetworkBackend):
    """Connects to the addresses checked when the client first asked, never resolving the name
    again (DNS rebinding), and to no other host. TLS still checks the certificate against the
    name: httpcore starts TLS with the URL's host, not the address."""

    def __init__(self, host: str, port: int, addresses: list[Address]) -> None:
        self.host, self.port, self.addresses = host, port, addresses
        self._inner = httpcore.SyncBackend()

    def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: Iterable[Any] | None = None,
    ) -> httpcore.NetworkStream:
        if (host.strip("[]").lower(), port) != (self.host, self.port):
            raise httpcore.ConnectError(f"{host}:{port} is not the checked {self.host}")
        failure: httpcore.ConnectError | httpcore.ConnectTimeout | None = None
        for ip in self.addresses:
            try:
                return self._inner.connect_tcp(
                    str(ip), port, timeout, local_address, socket_options
                )
            except (httpcore.ConnectError, httpcore.ConnectTimeout) as error:
                failure = error
        raise failure or httpcore.ConnectError(f"{host} has no address")

    def connect_unix_socket(
        self, path: str, timeout: float | None = None, socket_options: Any = None
    ) -> httpcore.NetworkStream:
        raise httpcore.ConnectError("sync never uses a unix socket")

    def sleep(self, seconds: float) -> None:
        self._inner.sleep(seconds)


class _PinnedTransport(httpx.HTTPTransport):
    def __init__(self, backend: _PinnedBackend) -> None:
        super().__init__(trust_env=False)
        # httpx builds its pool without a way to give it a network backend: this one has it.
        self._pool = httpcore.ConnectionPool(
            ssl_context=httpx.create_ssl_context(trust_env=False), network_backend=backend
        )


class Client:
    """An httpx client for one connection: counts its requests, resolves the host once and
    connects only to those checked addresses, and follows a redirect only on the same origin."""

    def __init__(self, *, name: str, base_url: str, auth: Any, headers: dict[str, str]) -> None:
        self.name, self.base_url, self.requests = name, base_url, 0
        self._options: dict[str, Any] = {
            "auth": auth,
            "headers": {"User-Agent": USER_AGENT, **headers},
            "timeout": get_settings().delivery_sync_timeout_seconds,
            "follow_redirects": False,
            "trust_env": False,
        }
        self._http: httpx.Client | None = None

    def __enter__(self) -> Client:
        return self

    def __exit__(self, *exc: object) -> None:
        if self._http is not None:
            self._http.close()

    def _pinned(self) -> httpx.Client:
        """The httpx client, made on first use (no lookup while a transaction is open)."""
        if self._http is None:
            try:
                addresses = check_url(self.base_url)
            except ValidationFailed as refused:
                raise SyncFailed(str(refused)) from None
            origin = httpx.URL(self.base_url)
            backend = _PinnedBackend(
                origin.raw_host.decode("ascii").lower(), _port(origin), addresses
            )
            self._http = httpx.Client(transport=_PinnedTransport(backend), **self._options)
        return self._http

    def _full(self, url: str) -> str:
        full = url if url.startswith(("http://", "https://")) else self.base_url + url
        if not full.startswith(self.base_url + "/"):
            raise SyncFailed(f"{self.name} sent us to {full[:120]}, outside {self.base_url}.")
        return full

    def get(self, url: str, params: dict[str, Any] | None = None) -> httpx.Response:
        """GET a path below the base URL (or a full URL from a Link header) and check it."""
        full = self._full(url)
        for _ in range(MAX_REDIRECTS + 1):
            response = self._send(full, params)
            if not response.is_redirect:
                break
            target = response.url.join(response.headers.get("location", ""))
            if (target.scheme, target.host, _port(target)) != (
                response.url.scheme,
                response.url.host,
                _port(response.url),
            ):
                raise SyncFailed(
                    f"{self.name} redirected us to {target.host or 'another address'}, another "
                    "host or scheme: sync follows no redirect away from "
                    f"{self.base_url}. Check the address."
                )
            full, params = self._full(str(target)), None
        else:
            raise SyncFailed(f"{self.name} sent too many redirects; check the address.")
        if response.status_code >= 400:
            raise SyncFailed(self._refusal(response))
        return response

    def _send(self, full: str, params: dict[str, Any] | None) -> httpx.Response:
        http = self._pinned()
        self.requests += 1
        try:
            return http.get(full, params=params)
        except httpx.TimeoutException:
            raise SyncFailed(
                f"{self.name} did not answer within "
                f"{get_settings().delivery_sync_timeout_seconds:g} seconds. Nothing was "
                "changed here; sync again later."
            ) from None
        except httpx.HTTPError as error:
            raise SyncFailed(
                f"Could not reach {self.name} at {self.base_url} ({type(error).__name__}). "
                "Nothing was changed here."
            ) from None

    def _refusal(self, response: httpx.Response) -> str:
        code, said = response.status_code, _their_message(response)
        detail = f" ({said})" if said else ""
        if code in (401, 403) and response.headers.get("x-ratelimit-remaining") != "0":
            return (
                f"{self.name} refused the credentials ({code}){detail}: check the account and "
                "API token, and that it may read the project."
            )
        if code == 404:
            return f"{self.name} does not know that project or repository (404){detail}."
        if code in (403, 429):
            return f"{self.name} is limiting our requests ({code}){detail}: sync again later."
        return (
            f"{self.name} answered {code}{detail}. Nothing was changed here; the next sync "
            "tries again."
        )
