"""The one way sync reaches Jira or GitHub: httpx with a short timeout, every request's URL
checked first (https on a public address, unless settings allow private networks: the test
peers on loopback), and every failure turned into a `SyncFailed` whose message a coach reads.
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
from functools import lru_cache
from typing import Any
from urllib.parse import urlsplit

import httpx
from cryptography.fernet import Fernet, InvalidToken
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from pmo_saas.kernel.errors import DomainError, ValidationFailed
from pmo_saas.settings import get_settings

USER_AGENT = "pmo_saas-delivery-sync"


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


def masked(hint: str) -> str:
    return "••••" + hint if hint else ""


# ---------------------------------------------------------------- where we may go


def _networks(raw: str) -> list[ipaddress.IPv4Network | ipaddress.IPv6Network]:
    return [ipaddress.ip_network(p.strip(), strict=False) for p in raw.split(",") if p.strip()]


def _public(ip: ipaddress.IPv4Address | ipaddress.IPv6Address) -> bool:
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    return ip.is_global and not (ip.is_private or ip.is_loopback or ip.is_link_local)


def check_url(url: str) -> None:
    """Refuse anything but https to a host resolving only to public addresses (unless allowed)."""
    parts = urlsplit(url)
    host = parts.hostname or ""
    settings = get_settings()
    allow_all = settings.delivery_sync_allow_private_networks
    allowed = _networks(settings.delivery_sync_allowed_networks)
    if not host or parts.scheme not in ("https", "http"):
        raise ValidationFailed("The address must look like https://example.atlassian.net.")
    if parts.scheme != "https" and not (allow_all or allowed):
        raise ValidationFailed("The address must start with https://.", field="base_url")
    if allow_all:
        return
    try:
        infos = socket.getaddrinfo(host, parts.port or 443, proto=socket.IPPROTO_TCP)
    except (socket.gaierror, UnicodeError, ValueError):
        raise SyncFailed(f"Could not reach {host}: the name does not resolve.") from None
    for info in infos:
        ip = ipaddress.ip_address(str(info[4][0]).split("%", 1)[0])
        if not (_public(ip) or any(ip in net for net in allowed)):
            raise ValidationFailed(
                f"{host} resolves to {ip}, a private or loopback address, which sync may not "
                "reach (an operator can allow it with PMO_DELIVERY_SYNC_ALLOWED_NETWORKS).",
                field="base_url",
            )


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


class Client:
    """An httpx client for one connection: counts its requests, checks every URL."""

    def __init__(self, *, name: str, base_url: str, auth: Any, headers: dict[str, str]) -> None:
        self.name, self.base_url, self.requests = name, base_url, 0
        self._http = httpx.Client(
            auth=auth,
            headers={"User-Agent": USER_AGENT, **headers},
            timeout=get_settings().delivery_sync_timeout_seconds,
            follow_redirects=False,
            trust_env=False,
        )

    def __enter__(self) -> Client:
        return self

    def __exit__(self, *exc: object) -> None:
        self._http.close()

    def get(self, url: str, params: dict[str, Any] | None = None) -> httpx.Response:
        """GET a path below the base URL (or a full URL from a Link header) and check it."""
        full = url if url.startswith(("http://", "https://")) else self.base_url + url
        if not full.startswith(self.base_url + "/"):
            raise SyncFailed(f"{self.name} sent us to {full[:120]}, outside {self.base_url}.")
        check_url(full)
        self.requests += 1
        try:
            response = self._http.get(full, params=params)
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
        if response.status_code >= 400:
            raise SyncFailed(self._refusal(response))
        return response

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
