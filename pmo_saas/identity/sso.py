"""Single sign-on with OpenID Connect, one identity provider per organisation: its settings.

Settings (owner/admin, inside a tenant session): the connection, its claimed email domains
(which count only once proven: `sso_domains`), the default role, "require SSO", and an
optional claim-to-role mapping. The client secret is encrypted at rest with a key derived
from settings.secret_key and never leaves this module once saved: DTOs only say whether it
is set. Signing in through the connection lives in `sso_signin`.
"""

from __future__ import annotations

import base64
import json
import re
from collections.abc import Iterable
from functools import lru_cache
from urllib.parse import urlparse

from cryptography.fernet import Fernet, InvalidToken
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from pydantic import BaseModel
from sqlmodel import Session, select

from pmo_saas.identity import audit, oidc_gateway, plan_rules, sso_domains
from pmo_saas.identity.oidc_gateway import IdentityProviderError
from pmo_saas.identity.sso_models import SsoConnection, SsoDomain
from pmo_saas.identity.verification import require_verified_email
from pmo_saas.kernel.clock import as_utc, utcnow
from pmo_saas.kernel.context import TenantContext
from pmo_saas.kernel.errors import DomainError, NotFound, ValidationFailed
from pmo_saas.kernel.roles import Role
from pmo_saas.settings import get_settings

ATTEMPT_MINUTES = 10
CALLBACK_PATH = "/sso/callback"
SECRET_SET = "set"  # noqa: S105  (what DTOs show instead of the secret)
_DOMAIN_RE = re.compile(r"^(?=.{1,253}$)([a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$")
_LOOPBACK_HOSTS = {"localhost", "127.0.0.1", "::1"}


class SsoRefused(DomainError):
    """A sign-in through SSO that must not go ahead; the message is for the person.

    `email` is the address the IdP claimed, when known (the refusal is then also reported
    to that account's own organisations)."""

    def __init__(self, message: str, *, email: str = "") -> None:
        super().__init__(message)
        self.email = email
        self.back_to = "/signin"  # the page that shows the message


# ---------------------------------------------------------------- DTOs


class SsoConnectionPublic(BaseModel):
    """The settings page's view of the connection: the client secret only as "set"."""

    configured: bool
    issuer_url: str = ""
    client_id: str = ""
    client_secret: str = ""  # "set" or "", never the secret
    allowed_domains: list[str] = []  # every claimed domain, proven or not
    verified_domains: list[str] = []  # the proven ones: the only ones sign-in honours
    default_role: str = Role.MEMBER.value
    require_sso: bool = False
    enabled: bool = False
    role_claim: str = ""
    role_mapping: dict[str, str] = {}
    updated_at: str = ""


class SsoTestResult(BaseModel):
    ok: bool
    message: str
    issuer: str = ""
    authorization_endpoint: str = ""
    token_endpoint: str = ""
    userinfo_endpoint: str = ""
    end_session_endpoint: str = ""
    jwks_uri: str = ""
    signing_keys: int = 0
    scopes_supported: list[str] = []
    pkce_methods: list[str] = []


# ---------------------------------------------------------------- secrets at rest


@lru_cache(maxsize=4)
def _fernet_for(secret_key: str) -> Fernet:
    key = HKDF(
        algorithm=hashes.SHA256(),
        length=32,
        salt=b"pmo_saas.identity.sso",
        info=b"sso client secrets v1",
    ).derive(secret_key.encode())
    return Fernet(base64.urlsafe_b64encode(key))


def encrypt_secret(plain: str) -> str:
    return _fernet_for(get_settings().secret_key).encrypt(plain.encode()).decode()


def decrypt_secret(token: str) -> str:
    try:
        return _fernet_for(get_settings().secret_key).decrypt(token.encode()).decode()
    except InvalidToken:
        raise SsoRefused(
            "The stored SSO client secret cannot be read (the server's secret key changed). "
            "An admin must enter the client secret again."
        ) from None


# ---------------------------------------------------------------- validation


def clean_issuer_url(raw: str) -> str:
    issuer = oidc_gateway.normalise_issuer(raw)
    if not issuer:
        raise ValidationFailed("Enter the issuer URL of your identity provider.", field="issuer")
    parsed = urlparse(issuer)
    if parsed.scheme not in ("https", "http") or not parsed.hostname:
        raise ValidationFailed(
            "The issuer URL must look like https://login.example.com.", field="issuer"
        )
    if parsed.scheme == "http" and parsed.hostname not in _LOOPBACK_HOSTS:
        raise ValidationFailed("The issuer URL must start with https://.", field="issuer")
    if parsed.query or parsed.fragment:
        raise ValidationFailed("The issuer URL has no query or fragment.", field="issuer")
    return issuer


def clean_domains(raw: Iterable[str] | str) -> list[str]:
    items = re.split(r"[\s,;]+", raw) if isinstance(raw, str) else list(raw)
    domains: list[str] = []
    for item in items:
        domain = item.strip().lower().lstrip("@")
        if not domain:
            continue
        if not _DOMAIN_RE.match(domain):
            raise ValidationFailed(f"{domain!r} is not an email domain.", field="domains")
        if domain not in domains:
            domains.append(domain)
    if not domains:
        raise ValidationFailed(
            "Enter at least one email domain (for example example.com) whose people may "
            "sign in through this identity provider.",
            field="domains",
        )
    return domains


def _clean_role(raw: str, *, field: str) -> Role:
    try:
        role = Role((raw or "").strip().lower())
    except ValueError:
        raise ValidationFailed(f"Unknown role: {raw!r}.", field=field) from None
    if role == Role.OWNER:
        raise ValidationFailed(
            "SSO cannot make anyone an owner; choose admin or a lower role.", field=field
        )
    return role


def clean_role_mapping(raw: dict[str, str] | None) -> dict[str, str]:
    mapping: dict[str, str] = {}
    for value, role in (raw or {}).items():
        key = str(value).strip()
        if key:
            mapping[key] = _clean_role(role, field="role_mapping").value
    return mapping


def _domain_of(email: str) -> str:
    return email.rsplit("@", 1)[-1].lower()


# ---------------------------------------------------------------- settings (tenant)


def _connection(session: Session) -> SsoConnection | None:
    return session.exec(select(SsoConnection)).first()


def _domains(session: Session) -> list[str]:
    return list(session.exec(select(SsoDomain.domain).order_by(SsoDomain.domain)).all())


def _public(connection: SsoConnection | None, session: Session) -> SsoConnectionPublic:
    if connection is None:
        return SsoConnectionPublic(configured=False)
    return SsoConnectionPublic(
        configured=True,
        issuer_url=connection.issuer_url,
        client_id=connection.client_id,
        client_secret=SECRET_SET if connection.client_secret_encrypted else "",
        allowed_domains=_domains(session),
        verified_domains=sso_domains.verified_domains(session),
        default_role=Role(connection.default_role).value,
        require_sso=connection.require_sso,
        enabled=connection.enabled,
        role_claim=connection.role_claim,
        role_mapping=json.loads(connection.role_mapping or "{}"),
        updated_at=f"{as_utc(connection.updated_at):%Y-%m-%d %H:%M} UTC",
    )


def get_sso_connection(*, session: Session, ctx: TenantContext) -> SsoConnectionPublic:
    ctx.require(Role.ADMIN, "Only owners and admins can see the single sign-on settings.")
    return _public(_connection(session), session)


def save_sso_connection(
    *,
    session: Session,
    ctx: TenantContext,
    issuer_url: str,
    client_id: str,
    client_secret: str = "",
    allowed_domains: Iterable[str] | str,
    default_role: str = Role.MEMBER.value,
    require_sso: bool = False,
    enabled: bool = True,
    role_claim: str = "",
    role_mapping: dict[str, str] | None = None,
) -> SsoConnectionPublic:
    """Create or update the connection. An empty client_secret keeps the saved one."""
    ctx.require(Role.ADMIN, "Only owners and admins can change single sign-on.")
    require_verified_email(session=session, ctx=ctx)
    plan_rules.check_sso_allowed(session=session, ctx=ctx)
    issuer = clean_issuer_url(issuer_url)
    client_id = (client_id or "").strip()
    if not client_id:
        raise ValidationFailed(
            "Enter the client id your identity provider gave you.", field="client_id"
        )
    if len(client_id) > 255:
        raise ValidationFailed("The client id is longer than 255 characters.", field="client_id")
    domains = clean_domains(allowed_domains)
    role = _clean_role(default_role, field="default_role")
    claim = (role_claim or "").strip()
    mapping = clean_role_mapping(role_mapping)
    if mapping and not claim:
        raise ValidationFailed(
            "Name the claim (for example groups) whose values map to roles.", field="role_claim"
        )
    if require_sso and not enabled:
        raise ValidationFailed(
            "SSO cannot be required while the connection is switched off.", field="require_sso"
        )
    connection = _connection(session)
    secret = (client_secret or "").strip()
    if connection is None and not secret:
        raise ValidationFailed("Enter the client secret.", field="client_secret")
    changes: list[str] = []
    if connection is None:
        connection = SsoConnection(
            issuer_url=issuer, client_id=client_id, client_secret_encrypted=""
        )
        action = "sso.configured"
    else:
        action = "sso.updated"
        for name, new in (
            ("issuer", issuer),
            ("client id", client_id),
            ("default role", role.value),
            ("require SSO", require_sso),
            ("enabled", enabled),
            ("role claim", claim),
        ):
            old = {
                "issuer": connection.issuer_url,
                "client id": connection.client_id,
                "default role": Role(connection.default_role).value,
                "require SSO": connection.require_sso,
                "enabled": connection.enabled,
                "role claim": connection.role_claim,
            }[name]
            if old != new:
                changes.append(f"{name}: {old} -> {new}")
        if json.loads(connection.role_mapping or "{}") != mapping:
            changes.append("role mapping changed")
    if secret:
        connection.client_secret_encrypted = encrypt_secret(secret)
        if action == "sso.updated":
            changes.append("client secret replaced")
    connection.issuer_url = issuer
    connection.client_id = client_id
    connection.default_role = role
    connection.require_sso = require_sso
    connection.enabled = enabled
    connection.role_claim = claim
    connection.role_mapping = json.dumps(mapping, sort_keys=True)
    connection.updated_at = utcnow()
    session.add(connection)
    # New domains become pending claims (each audited); a proof counts only once made.
    domain_changes = sso_domains.sync_claimed_domains(session=session, ctx=ctx, domains=domains)
    if action == "sso.updated":
        changes += domain_changes
    if action == "sso.configured":
        changes.append(f"issuer {issuer}, domains {', '.join(sorted(domains))} (proof pending)")
        if require_sso:
            changes.append("SSO required")
    audit.record(session=session, ctx=ctx, action=action, target=issuer, detail="; ".join(changes))
    session.flush()
    return _public(connection, session)


def delete_sso_connection(*, session: Session, ctx: TenantContext) -> None:
    ctx.require(Role.ADMIN, "Only owners and admins can change single sign-on.")
    connection = _connection(session)
    if connection is None:
        raise NotFound("The SSO connection")
    # The domains are released with the connection (each removal audited).
    sso_domains.sync_claimed_domains(session=session, ctx=ctx, domains=[])
    session.delete(connection)
    audit.record(session=session, ctx=ctx, action="sso.removed", target=connection.issuer_url)


def check_sso_connection(*, ctx: TenantContext, issuer_url: str) -> SsoTestResult:
    """Fetch the IdP's discovery document and keys; say what was found or why it failed.

    No database work: the HTTP calls never hold a transaction open.
    """
    ctx.require(Role.ADMIN, "Only owners and admins can test single sign-on.")
    try:
        issuer = clean_issuer_url(issuer_url)
        metadata = oidc_gateway.discover(issuer)
        keys = oidc_gateway.fetch_key_count(metadata)
    except (IdentityProviderError, ValidationFailed) as error:
        return SsoTestResult(ok=False, message=str(error))
    problems = []
    if keys == 0:
        problems.append("it publishes no signing keys")
    if metadata.scopes_supported and "openid" not in metadata.scopes_supported:
        problems.append("it does not list the openid scope")
    message = (
        f"Found {metadata.issuer}: authorization, token"
        f"{', userinfo' if metadata.userinfo_endpoint else ''}"
        f"{' and sign-out' if metadata.end_session_endpoint else ''} endpoints, "
        f"{keys} signing key{'s' if keys != 1 else ''}."
    )
    if problems:
        message += " But " + " and ".join(problems) + "."
    return SsoTestResult(
        ok=not problems,
        message=message,
        issuer=metadata.issuer,
        authorization_endpoint=metadata.authorization_endpoint,
        token_endpoint=metadata.token_endpoint,
        userinfo_endpoint=metadata.userinfo_endpoint,
        end_session_endpoint=metadata.end_session_endpoint,
        jwks_uri=metadata.jwks_uri,
        signing_keys=keys,
        scopes_supported=list(metadata.scopes_supported),
        pkce_methods=list(metadata.code_challenge_methods),
    )


def callback_url(base_url: str) -> str:
    """The redirect URI to register at the IdP, from the backend's public base URL."""
    return base_url.rstrip("/") + CALLBACK_PATH
