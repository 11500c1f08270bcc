"""The one module that speaks OpenID Connect, through Authlib (and joserfc, which it uses).

Everything here is plain synchronous HTTP with short timeouts; callers run it off the event
loop. Failures raise `IdentityProviderError` whose message is fit to show a person.

Every outbound request (discovery, keys, token, userinfo, and each redirect hop) goes through
`_GuardedSession.send`, which calls `check_outbound_url`: an http(s) URL whose host resolves
only to public addresses, unless the operator allows private networks (settings).
"""

from __future__ import annotations

import ipaddress
import json
import secrets
import socket
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any
from urllib.parse import urlsplit

import requests
from authlib.common.security import generate_token
from authlib.common.urls import add_params_to_uri
from authlib.integrations.base_client import OAuthError
from authlib.integrations.requests_client import OAuth2Session
from authlib.oidc.core import CodeIDToken
from joserfc import jwt
from joserfc.errors import (
    BadSignatureError,
    ClaimError,
    ExpiredTokenError,
    InvalidKeyIdError,
    JoseError,
)
from joserfc.jwk import KeySet
from joserfc.jws import JWSRegistry

from pmo_saas.kernel.addresses import is_public
from pmo_saas.settings import get_settings

TIMEOUT_SECONDS = 10
SCOPE = "openid email profile"
# Clock skew tolerated between us and the IdP when checking exp / iat.
LEEWAY_SECONDS = 60


class IdentityProviderError(Exception):
    """The IdP could not be used or its answer was refused; `str()` is for people."""

    def __init__(self, message: str, *, reason: str = "") -> None:
        super().__init__(message)
        self.reason = reason


@dataclass(frozen=True)
class ProviderMetadata:
    issuer: str
    authorization_endpoint: str
    token_endpoint: str
    jwks_uri: str
    userinfo_endpoint: str = ""
    end_session_endpoint: str = ""
    scopes_supported: tuple[str, ...] = ()
    code_challenge_methods: tuple[str, ...] = ()
    signing_algorithms: tuple[str, ...] = ()


@dataclass(frozen=True)
class VerifiedIdentity:
    """What a validated ID token (plus userinfo) says about the person."""

    issuer: str
    subject: str
    email: str
    email_verified: bool
    name: str
    id_token: str
    claims: dict[str, Any] = field(default_factory=dict)


def normalise_issuer(url: str) -> str:
    return (url or "").strip().rstrip("/")


def new_state() -> str:
    return secrets.token_urlsafe(32)


def new_nonce() -> str:
    return secrets.token_urlsafe(32)


def new_code_verifier() -> str:
    # RFC 7636: 43 to 128 characters from the unreserved set.
    return generate_token(64)


IpAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
IpNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network


@lru_cache(maxsize=8)
def _allowed_networks(raw: str) -> tuple[IpNetwork, ...]:
    networks = []
    for item in raw.replace(";", ",").split(","):
        if item.strip():
            networks.append(ipaddress.ip_network(item.strip(), strict=False))
    return tuple(networks)


def check_outbound_url(url: str) -> None:
    """Refuse a URL that SSO must not fetch: not http(s), or a host that resolves to any
    private, loopback, link-local, multicast or reserved address (unless allowed)."""
    parts = urlsplit(url)
    host = parts.hostname or ""
    if parts.scheme not in ("https", "http") or not host:
        raise IdentityProviderError(
            f"Refused to fetch {url[:200]}: single sign-on only fetches http(s) addresses.",
            reason="blocked_scheme",
        )
    settings = get_settings()
    if settings.sso_allow_private_networks:
        return
    allowed = _allowed_networks(settings.sso_allowed_networks)
    try:
        port = parts.port or (443 if parts.scheme == "https" else 80)
        infos = socket.getaddrinfo(host, port, proto=socket.IPPROTO_TCP)
    except (socket.gaierror, UnicodeError, ValueError):
        raise IdentityProviderError(
            f"Could not reach the identity provider at {url[:200]} "
            f"(the host name {host} does not resolve).",
            reason="unreachable",
        ) from None
    for info in infos:
        ip = ipaddress.ip_address(str(info[4][0]).split("%", 1)[0])
        if is_public(ip) or any(ip in network for network in allowed):
            continue
        raise IdentityProviderError(
            f"Refused to fetch {url[:200]}: {host} resolves to {ip}, a private, loopback, "
            "link-local or reserved address, which single sign-on may not reach. An "
            "identity provider must be reachable on a public address (the operator can "
            "allow private networks with PMO_SSO_ALLOW_PRIVATE_NETWORKS).",
            reason="blocked_address",
        )


class _GuardedSession(OAuth2Session):  # type: ignore[misc]
    """Every request this session sends, redirect hops included, passes the outbound check."""

    def send(self, request: Any, **kwargs: Any) -> Any:
        check_outbound_url(str(request.url))
        return super().send(request, **kwargs)


def _session(**kwargs: Any) -> OAuth2Session:
    client = _GuardedSession(**kwargs)
    client.max_redirects = 3
    client.trust_env = False  # never route loopback or IdP traffic through an env proxy
    return client


def _get_json(url: str, what: str) -> dict[str, Any]:
    try:
        with _session() as http:
            response = http.get(url, timeout=TIMEOUT_SECONDS, withhold_token=True)
    except requests.RequestException as error:
        raise IdentityProviderError(
            f"Could not reach the identity provider at {url} ({type(error).__name__}).",
            reason="unreachable",
        ) from None
    if response.status_code != 200:
        raise IdentityProviderError(
            f"The identity provider answered {response.status_code} for its {what} ({url}).",
            reason="http_status",
        )
    try:
        data = response.json()
    except ValueError:
        data = None
    if not isinstance(data, dict):
        raise IdentityProviderError(
            f"The identity provider's {what} at {url} is not a JSON object.", reason="not_json"
        )
    return data


def discover(issuer_url: str) -> ProviderMetadata:
    """Fetch and check the IdP's discovery document (OpenID Connect Discovery 1.0)."""
    issuer = normalise_issuer(issuer_url)
    if not issuer.startswith(("https://", "http://")):
        raise IdentityProviderError("The issuer URL must start with https://.", reason="url")
    data = _get_json(f"{issuer}/.well-known/openid-configuration", "discovery document")
    advertised = normalise_issuer(str(data.get("issuer", "")))
    if advertised != issuer:
        raise IdentityProviderError(
            f"The discovery document names the issuer {advertised or '(none)'}, "
            f"not {issuer}: check the issuer URL.",
            reason="issuer_mismatch",
        )
    missing = [
        key for key in ("authorization_endpoint", "token_endpoint", "jwks_uri") if not data.get(key)
    ]
    if missing:
        raise IdentityProviderError(
            f"The discovery document lacks {', '.join(missing)}.", reason="incomplete"
        )
    methods = tuple(data.get("code_challenge_methods_supported") or ())
    if methods and "S256" not in methods:
        raise IdentityProviderError(
            "The identity provider does not support PKCE with S256, which is required.",
            reason="no_pkce",
        )
    for key in ("token_endpoint", "jwks_uri", "userinfo_endpoint"):
        if data.get(key):
            check_outbound_url(str(data[key]))
    for key in ("authorization_endpoint", "end_session_endpoint"):
        value = str(data.get(key) or "")
        if value and urlsplit(value).scheme not in ("https", "http"):
            raise IdentityProviderError(
                f"The discovery document's {key} is not an http(s) URL.", reason="blocked_scheme"
            )
    return ProviderMetadata(
        issuer=issuer,
        authorization_endpoint=str(data["authorization_endpoint"]),
        token_endpoint=str(data["token_endpoint"]),
        jwks_uri=str(data["jwks_uri"]),
        userinfo_endpoint=str(data.get("userinfo_endpoint") or ""),
        end_session_endpoint=str(data.get("end_session_endpoint") or ""),
        scopes_supported=tuple(data.get("scopes_supported") or ()),
        code_challenge_methods=methods,
        signing_algorithms=tuple(data.get("id_token_signing_alg_values_supported") or ()),
    )


def fetch_key_count(metadata: ProviderMetadata) -> int:
    """How many signing keys the IdP publishes (for "test connection")."""
    return len(_get_json(metadata.jwks_uri, "signing keys").get("keys") or [])


def authorization_url(
    metadata: ProviderMetadata,
    *,
    client_id: str,
    redirect_uri: str,
    state: str,
    nonce: str,
    code_verifier: str,
    login_hint: str = "",
) -> str:
    """Where to send the browser: authorization code flow with PKCE S256, state and nonce."""
    extra = {"nonce": nonce}
    if login_hint:
        extra["login_hint"] = login_hint
    with _session(
        client_id=client_id, redirect_uri=redirect_uri, scope=SCOPE, code_challenge_method="S256"
    ) as client:
        url, _ = client.create_authorization_url(
            metadata.authorization_endpoint, state=state, code_verifier=code_verifier, **extra
        )
    return str(url)


def end_session_url(
    end_session_endpoint: str, *, client_id: str, id_token: str, post_logout_redirect_uri: str
) -> str:
    """RP-initiated logout at the IdP's advertised end_session_endpoint."""
    params = {"client_id": client_id, "post_logout_redirect_uri": post_logout_redirect_uri}
    if id_token:
        params["id_token_hint"] = id_token
    return str(add_params_to_uri(end_session_endpoint, params))


_TOKEN_ERRORS = {
    "invalid_client": (
        "The identity provider did not accept this organisation's client id or client "
        "secret. An admin should check the SSO settings."
    ),
    "unauthorized_client": (
        "The identity provider does not allow this client to sign people in. An admin "
        "should check the SSO settings."
    ),
    "invalid_grant": (
        "The identity provider refused the sign-in code: it was already used, has expired, "
        "or does not match this sign-in (PKCE check). Start the sign-in again."
    ),
}


def _claim_message(error: ClaimError) -> tuple[str, str]:
    if isinstance(error, ExpiredTokenError) or error.claim == "exp":
        return "The identity provider's ID token has expired. Start the sign-in again.", "expired"
    if error.claim == "iss":
        return (
            "The ID token was issued by another identity provider than this organisation's.",
            "issuer",
        )
    if error.claim in ("aud", "azp"):
        return "The ID token was issued for another application (wrong audience).", "audience"
    if error.claim == "nonce":
        return (
            "The ID token does not belong to this sign-in (nonce mismatch). Start again.",
            "nonce",
        )
    return f"The ID token is not valid ({error.claim}).", "claims"


def _decode_id_token(metadata: ProviderMetadata, raw: str) -> Any:
    algorithms = list(metadata.signing_algorithms) or ["RS256"]
    registry = JWSRegistry(algorithms=algorithms)
    keys = KeySet.import_key_set(_get_json(metadata.jwks_uri, "signing keys"))  # type: ignore[arg-type]
    try:
        return jwt.decode(raw, key=keys, registry=registry)
    except (BadSignatureError, InvalidKeyIdError):
        raise IdentityProviderError(
            "The ID token's signature does not match the identity provider's keys.",
            reason="signature",
        ) from None
    except (JoseError, ValueError):
        raise IdentityProviderError(
            "The identity provider sent an ID token that could not be read.", reason="malformed"
        ) from None


def complete_sign_in(
    metadata: ProviderMetadata,
    *,
    client_id: str,
    client_secret: str,
    redirect_uri: str,
    code: str,
    code_verifier: str,
    nonce: str,
) -> VerifiedIdentity:
    """Exchange the code (with the PKCE verifier), validate the ID token, read userinfo."""
    with _session(
        client_id=client_id,
        client_secret=client_secret,
        redirect_uri=redirect_uri,
        code_challenge_method="S256",
    ) as client:
        try:
            token = client.fetch_token(
                metadata.token_endpoint,
                grant_type="authorization_code",
                code=code,
                code_verifier=code_verifier,
                timeout=TIMEOUT_SECONDS,
            )
        except OAuthError as error:
            detail = f": {error.description}" if error.description else f" ({error.error})"
            message = _TOKEN_ERRORS.get(
                str(error.error), f"The identity provider refused the sign-in{detail}."
            )
            raise IdentityProviderError(message, reason=str(error.error)) from None
        except requests.RequestException as error:
            raise IdentityProviderError(
                f"Could not complete the sign-in with the identity provider "
                f"({type(error).__name__}).",
                reason="unreachable",
            ) from None
        raw_id_token = token.get("id_token")
        if not raw_id_token:
            raise IdentityProviderError(
                "The identity provider did not send an ID token.", reason="no_id_token"
            )
        decoded = _decode_id_token(metadata, raw_id_token)
        claims = CodeIDToken(
            decoded.claims,
            decoded.header,
            {
                "iss": {"essential": True, "value": metadata.issuer},
                "aud": {"essential": True, "value": client_id},
            },
            {"nonce": nonce, "client_id": client_id, "access_token": token.get("access_token")},
        )
        try:
            claims.validate(leeway=LEEWAY_SECONDS)
        except ClaimError as error:
            message, reason = _claim_message(error)
            raise IdentityProviderError(message, reason=reason) from None
        merged: dict[str, Any] = dict(claims)
        if metadata.userinfo_endpoint:
            try:
                response = client.get(metadata.userinfo_endpoint, timeout=TIMEOUT_SECONDS)
                userinfo = response.json() if response.status_code == 200 else None
            except (requests.RequestException, ValueError, json.JSONDecodeError):
                userinfo = None
            if not isinstance(userinfo, dict):
                raise IdentityProviderError(
                    "Could not read your profile (userinfo) from the identity provider.",
                    reason="userinfo",
                )
            if str(userinfo.get("sub")) != str(claims["sub"]):
                raise IdentityProviderError(
                    "The identity provider's profile is for another person than the ID token.",
                    reason="userinfo_sub",
                )
            merged.update(userinfo)
    verified = merged.get("email_verified", False)
    if isinstance(verified, str):
        verified = verified.lower() == "true"
    return VerifiedIdentity(
        issuer=metadata.issuer,
        subject=str(claims["sub"]),
        email=str(merged.get("email") or ""),
        email_verified=bool(verified),
        name=str(merged.get("name") or merged.get("preferred_username") or ""),
        id_token=raw_id_token,
        claims=merged,
    )
