"""Single sign-on with OpenID Connect, one identity provider per organisation.

Settings (owner/admin, inside a tenant session): the connection, its allowed email domains,
the default role, "require SSO", and an optional claim-to-role mapping. The client secret is
encrypted at rest with a key derived from settings.secret_key and never leaves this module
once saved: DTOs only say whether it is set.

Sign-in (before anyone is signed in): `begin_sign_in` finds the organisation from an email
domain or a slug (system session: the organisation is not known yet), stores state, nonce and
PKCE verifier server-side, and returns the IdP's authorization URL. `finish_sign_in` consumes
that one-time attempt, has the gateway exchange the code and validate the ID token, then
provisions just in time inside the organisation's tenant session and starts a session.
"""

from __future__ import annotations

import base64
import json
import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import timedelta
from functools import lru_cache
from typing import Any
from urllib.parse import urlparse

from cryptography.fernet import Fernet, InvalidToken
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from pydantic import BaseModel
from sqlalchemy import delete, update
from sqlmodel import Session, col, select

from pmo_saas.db import system_session, tenant_session
from pmo_saas.identity import audit, oidc_gateway, sso_policy
from pmo_saas.identity import services as identity
from pmo_saas.identity.models import Membership, Organization, User
from pmo_saas.identity.oidc_gateway import IdentityProviderError, ProviderMetadata
from pmo_saas.identity.security import hash_token
from pmo_saas.identity.sso_models import (
    SsoConnection,
    SsoDomain,
    SsoIdentity,
    SsoLoginAttempt,
    SsoSessionLink,
)
from pmo_saas.kernel.clock import as_utc, utcnow
from pmo_saas.kernel.context import TenantContext
from pmo_saas.kernel.errors import DomainError, NotFound, ValidationFailed
from pmo_saas.kernel.roles import Role, at_least
from pmo_saas.settings import get_settings

ATTEMPT_MINUTES = 10
CALLBACK_PATH = "/sso/callback"
SECRET_SET = "set"  # noqa: S105  (what DTOs show instead of the secret)
_DOMAIN_RE = re.compile(r"^(?=.{1,253}$)([a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$")
_LOOPBACK_HOSTS = {"localhost", "127.0.0.1", "::1"}


class SsoRefused(DomainError):
    """A sign-in through SSO that must not go ahead; the message is for the person."""


# ---------------------------------------------------------------- DTOs


class SsoConnectionPublic(BaseModel):
    """The settings page's view of the connection: the client secret only as "set"."""

    configured: bool
    issuer_url: str = ""
    client_id: str = ""
    client_secret: str = ""  # "set" or "", never the secret
    allowed_domains: list[str] = []
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


@dataclass(frozen=True)
class SsoSignIn:
    session_token: str
    next_path: str
    user_id: int
    org_slug: str
    created_user: bool


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


def _public(connection: SsoConnection | None, domains: list[str]) -> SsoConnectionPublic:
    if connection is None:
        return SsoConnectionPublic(configured=False)
    return SsoConnectionPublic(
        configured=True,
        issuer_url=connection.issuer_url,
        client_id=connection.client_id,
        client_secret=SECRET_SET if connection.client_secret_encrypted else "",
        allowed_domains=domains,
        default_role=Role(connection.default_role).value,
        require_sso=connection.require_sso,
        enabled=connection.enabled,
        role_claim=connection.role_claim,
        role_mapping=json.loads(connection.role_mapping or "{}"),
        updated_at=f"{as_utc(connection.updated_at):%Y-%m-%d %H:%M} UTC",
    )


def get_sso_connection(*, session: Session, ctx: TenantContext) -> SsoConnectionPublic:
    ctx.require(Role.ADMIN, "Only owners and admins can see the single sign-on settings.")
    return _public(_connection(session), _domains(session))


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
    identity.require_verified_email(session=session, ctx=ctx)
    from pmo_saas.billing.entitlements import Feature, check_feature

    check_feature(session=session, ctx=ctx, feature=Feature.SSO)
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
            org_id=ctx.org_id, issuer_url=issuer, client_id=client_id, client_secret_encrypted=""
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
    old_domains = _domains(session)
    if old_domains != sorted(domains):
        session.exec(delete(SsoDomain))  # type: ignore[call-overload]
        session.flush()
        for domain in domains:
            session.add(SsoDomain(org_id=ctx.org_id, domain=domain))
        if action == "sso.updated":
            changes.append(f"domains: {', '.join(old_domains)} -> {', '.join(sorted(domains))}")
    if action == "sso.configured":
        changes.append(f"issuer {issuer}, domains {', '.join(sorted(domains))}")
        if require_sso:
            changes.append("SSO required")
    audit.record(session=session, ctx=ctx, action=action, target=issuer, detail="; ".join(changes))
    session.flush()
    return _public(connection, sorted(domains))


def delete_sso_connection(*, session: Session, ctx: TenantContext) -> None:
    ctx.require(Role.ADMIN, "Only owners and admins can change single sign-on.")
    connection = _connection(session)
    if connection is None:
        raise NotFound("The SSO connection")
    session.exec(delete(SsoDomain))  # type: ignore[call-overload]
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


# ---------------------------------------------------------------- sign-in: start


def _org_ctx(org_id: int, slug: str = "") -> TenantContext:
    """The organisation's scope before anyone in it is signed in (no user, no rights)."""
    return TenantContext(org_id=org_id, user_id=None, role=Role.VIEWER, org_slug=slug)


@dataclass(frozen=True)
class _OrgConnection:
    org_id: int
    org_slug: str
    org_name: str
    issuer: str
    client_id: str
    client_secret: str
    default_role: Role
    domains: tuple[str, ...]
    role_claim: str
    role_mapping: dict[str, str]


def _find_org_id(*, email: str, org_slug: str) -> tuple[int, str]:
    """The organisation an SSO sign-in is for (system session: it precedes any org)."""
    with system_session() as session:
        if org_slug:
            row = session.exec(
                select(Organization.id, Organization.slug)
                .join(SsoConnection, col(SsoConnection.org_id) == Organization.id)
                .where(Organization.slug == org_slug.strip().lower(), SsoConnection.enabled)
            ).first()
            if row is None:
                raise SsoRefused(
                    f"No organisation with the address {org_slug!r} uses single sign-on."
                )
        else:
            domain = _domain_of(email)
            rows = session.exec(
                select(Organization.id, Organization.slug)
                .join(SsoDomain, col(SsoDomain.org_id) == Organization.id)
                .join(SsoConnection, col(SsoConnection.org_id) == Organization.id)
                .where(SsoDomain.domain == domain, SsoConnection.enabled)
            ).all()
            if not rows:
                raise SsoRefused(
                    f"No organisation uses single sign-on for {domain}. Sign in with your "
                    "password, or ask your admin for your organisation's address."
                )
            if len(rows) > 1:
                raise SsoRefused(
                    f"Several organisations use single sign-on for {domain}: enter your "
                    "organisation's address instead of your email."
                )
            row = rows[0]
    org_id, slug = row
    assert org_id is not None
    return org_id, slug


def _load_connection(org_id: int, slug: str) -> _OrgConnection:
    with tenant_session(_org_ctx(org_id, slug)) as session:
        connection = _connection(session)
        org = session.get(Organization, org_id)
        if connection is None or org is None or not connection.enabled:
            raise SsoRefused("Single sign-on is not set up for this organisation any more.")
        return _OrgConnection(
            org_id=org_id,
            org_slug=org.slug,
            org_name=org.name,
            issuer=connection.issuer_url,
            client_id=connection.client_id,
            client_secret=decrypt_secret(connection.client_secret_encrypted),
            default_role=Role(connection.default_role),
            domains=tuple(_domains(session)),
            role_claim=connection.role_claim,
            role_mapping=json.loads(connection.role_mapping or "{}"),
        )


def callback_url(base_url: str) -> str:
    """The redirect URI to register at the IdP, from the backend's public base URL."""
    return base_url.rstrip("/") + CALLBACK_PATH


def begin_sign_in(
    *, redirect_uri: str, email: str = "", org_slug: str = "", next_path: str = ""
) -> str:
    """Start the authorization code flow; returns the IdP URL to send the browser to."""
    if not org_slug:
        email = identity.clean_email(email)
    org_id, slug = _find_org_id(email=email, org_slug=org_slug)
    connection = _load_connection(org_id, slug)
    try:
        metadata = oidc_gateway.discover(connection.issuer)
    except IdentityProviderError as error:
        raise SsoRefused(
            f"{connection.org_name}'s identity provider is not available: {error}"
        ) from None
    state = oidc_gateway.new_state()
    nonce = oidc_gateway.new_nonce()
    verifier = oidc_gateway.new_code_verifier()
    now = utcnow()
    with system_session() as session:
        session.exec(
            delete(SsoLoginAttempt).where(col(SsoLoginAttempt.expires_at) < now - timedelta(days=1))
        )
        session.add(
            SsoLoginAttempt(
                state_hash=hash_token(state),
                org_id=org_id,
                nonce=nonce,
                code_verifier_encrypted=encrypt_secret(verifier),
                redirect_uri=redirect_uri,
                next_path=identity.safe_next_path(next_path or f"/o/{slug}"),
                expires_at=now + timedelta(minutes=ATTEMPT_MINUTES),
            )
        )
    return oidc_gateway.authorization_url(
        metadata,
        client_id=connection.client_id,
        redirect_uri=redirect_uri,
        state=state,
        nonce=nonce,
        code_verifier=verifier,
        login_hint=email,
    )


# ---------------------------------------------------------------- sign-in: callback


@dataclass(frozen=True)
class _Attempt:
    org_id: int | None
    provider: str
    nonce: str
    code_verifier: str
    redirect_uri: str
    next_path: str


def _consume_attempt(state: str) -> _Attempt:
    """The one-time attempt named by state; used up now, whatever happens next."""
    if not state:
        raise SsoRefused("The sign-in response has no state. Start the sign-in again.")
    now = utcnow()
    with system_session() as session:
        attempt = session.exec(
            select(SsoLoginAttempt).where(SsoLoginAttempt.state_hash == hash_token(state))
        ).first()
        if attempt is None:
            raise SsoRefused(
                "This sign-in response does not match any sign-in started here (the state "
                "is unknown or was altered). Start the sign-in again."
            )
        if attempt.used_at is not None:
            raise SsoRefused("This sign-in response was already used. Start the sign-in again.")
        if as_utc(attempt.expires_at) < now:
            raise SsoRefused("The sign-in took too long. Start the sign-in again.")
        # Compare-and-set, so two racing deliveries of one response cannot both pass.
        claimed = session.exec(
            update(SsoLoginAttempt)
            .where(
                col(SsoLoginAttempt.id) == attempt.id,
                col(SsoLoginAttempt.used_at).is_(None),
            )
            .values(used_at=now)
        )
        if claimed.rowcount != 1:
            raise SsoRefused("This sign-in response was already used. Start the sign-in again.")
        return _Attempt(
            org_id=attempt.org_id,
            provider=attempt.provider,
            nonce=attempt.nonce,
            code_verifier=decrypt_secret(attempt.code_verifier_encrypted),
            redirect_uri=attempt.redirect_uri,
            next_path=attempt.next_path,
        )


def mapped_role(claims: dict[str, Any], claim: str, mapping: dict[str, str]) -> Role | None:
    """The highest role the claim's values map to (never owner), or None."""
    if not claim or not mapping:
        return None
    raw = claims.get(claim)
    values = raw if isinstance(raw, list) else [raw] if raw is not None else []
    best: Role | None = None
    for value in values:
        role_name = mapping.get(str(value))
        if role_name is None:
            continue
        role = Role(role_name)
        if role == Role.OWNER:
            continue
        if best is None or at_least(role, best):
            best = role
    return best


def _record_refusal(org_id: int, reason: str, who: str) -> None:
    with tenant_session(_org_ctx(org_id)) as session:
        audit.record(
            session=session,
            ctx=_org_ctx(org_id),
            action="sso.sign_in_refused",
            target=who,
            detail=reason[:500],
            actor_email=who,
        )


def _refuse_idp_error(error: str, error_description: str, code: str) -> None:
    if error:
        detail = f": {error_description}" if error_description else f" ({error})"
        raise SsoRefused(f"The identity provider did not sign you in{detail}.")
    if not code:
        raise SsoRefused("The identity provider sent no sign-in code. Start again.")


def _verify(
    issuer: str, client_id: str, client_secret: str, attempt: _Attempt, code: str
) -> tuple[ProviderMetadata, oidc_gateway.VerifiedIdentity]:
    try:
        metadata = oidc_gateway.discover(issuer)
        person = oidc_gateway.complete_sign_in(
            metadata,
            client_id=client_id,
            client_secret=client_secret,
            redirect_uri=attempt.redirect_uri,
            code=code,
            code_verifier=attempt.code_verifier,
            nonce=attempt.nonce,
        )
    except IdentityProviderError as failure:
        raise SsoRefused(str(failure)) from None
    return metadata, person


def _start_linked_session(
    *,
    user_id: int,
    user_agent: str,
    org_id: int | None,
    provider: str,
    metadata: ProviderMetadata,
    client_id: str,
    id_token: str,
) -> str:
    token = identity.start_session(user_id=user_id, user_agent=user_agent)
    stale = utcnow() - timedelta(days=get_settings().session_days + 1)
    with system_session() as session:
        session.exec(delete(SsoSessionLink).where(col(SsoSessionLink.created_at) < stale))
        session.add(
            SsoSessionLink(
                session_token_hash=hash_token(token),
                org_id=org_id,
                provider=provider,
                end_session_endpoint=metadata.end_session_endpoint,
                client_id=client_id,
                id_token_encrypted=encrypt_secret(id_token),
            )
        )
    return token


def finish_sign_in(
    *, state: str, code: str, error: str = "", error_description: str = "", user_agent: str = ""
) -> SsoSignIn:
    """Complete the flow started by `begin_sign_in` (or `begin_social_sign_in`); raises
    SsoRefused with a clear message, and then no session exists."""
    attempt = _consume_attempt(state)
    if attempt.org_id is None:
        return _finish_social(attempt, code, error, error_description, user_agent)
    org_id = attempt.org_id
    try:
        _refuse_idp_error(error, error_description, code)
        with system_session() as session:
            slug = session.exec(select(Organization.slug).where(Organization.id == org_id)).one()
        connection = _load_connection(org_id, slug)
        metadata, person = _verify(
            connection.issuer, connection.client_id, connection.client_secret, attempt, code
        )
        user_id, created = _provision(connection, person)
    except SsoRefused as refusal:
        _record_refusal(org_id, str(refusal), "")
        raise
    token = _start_linked_session(
        user_id=user_id,
        user_agent=user_agent,
        org_id=org_id,
        provider="org",
        metadata=metadata,
        client_id=connection.client_id,
        id_token=person.id_token,
    )
    return SsoSignIn(
        session_token=token,
        next_path=attempt.next_path,
        user_id=user_id,
        org_slug=connection.org_slug,
        created_user=created,
    )


def _provision(
    connection: _OrgConnection, person: oidc_gateway.VerifiedIdentity
) -> tuple[int, bool]:
    """Just-in-time: find or create the user and their membership. Returns (user_id, created)."""
    try:
        email = identity.clean_email(person.email)
    except ValidationFailed:
        raise SsoRefused(
            "The identity provider did not share a valid email address for you."
        ) from None
    if _domain_of(email) not in connection.domains:
        raise SsoRefused(
            f"{email} cannot sign in to {connection.org_name} with single sign-on: only "
            f"addresses at {', '.join(connection.domains)} are allowed."
        )
    ctx = _org_ctx(connection.org_id, connection.org_slug)
    created = False
    with tenant_session(ctx) as session:
        link = session.exec(
            select(SsoIdentity).where(
                SsoIdentity.issuer == person.issuer, SsoIdentity.subject == person.subject
            )
        ).first()
        user = session.get(User, link.user_id) if link else None
        if user is None:
            user = session.exec(select(User).where(User.email == email)).first()
            if user is not None and not person.email_verified:
                raise SsoRefused(
                    f"An account for {email} already exists, and your identity provider has "
                    "not confirmed that this email address is yours, so it cannot be linked. "
                    "Ask your admin to mark the address as verified at the identity provider."
                )
            if user is None:
                user = User(
                    email=email,
                    name=(person.name or email.split("@")[0])[:120],
                    password_hash="",
                )
                session.add(user)
                session.flush()
                created = True
            assert user.id is not None
            link = SsoIdentity(
                org_id=connection.org_id,
                user_id=user.id,
                issuer=person.issuer,
                subject=person.subject,
            )
        assert user.id is not None and link is not None
        link.last_sign_in_at = utcnow()
        session.add(link)
        user_ctx_role = _ensure_membership(session, connection, person, user)
        actor = TenantContext(org_id=connection.org_id, user_id=user.id, role=user_ctx_role)
        audit.record(
            session=session,
            ctx=actor,
            action="sso.signed_in",
            target=email,
            detail=f"issuer {person.issuer}" + ("; account created" if created else ""),
            actor_email=email,
        )
        return user.id, created


def _ensure_membership(
    session: Session,
    connection: _OrgConnection,
    person: oidc_gateway.VerifiedIdentity,
    user: User,
) -> Role:
    assert user.id is not None
    from pmo_saas.billing.entitlements import check_can_add_member, seats_changed

    role_from_claim = mapped_role(person.claims, connection.role_claim, connection.role_mapping)
    membership = session.exec(select(Membership).where(Membership.user_id == user.id)).first()
    ctx = _org_ctx(connection.org_id, connection.org_slug)
    if membership is None:
        check_can_add_member(session=session, ctx=ctx)
        role = role_from_claim or connection.default_role
        session.add(Membership(org_id=connection.org_id, user_id=user.id, role=role))
        audit.record(
            session=session,
            ctx=TenantContext(org_id=connection.org_id, user_id=user.id, role=role),
            action="sso.member_provisioned",
            target=user.email,
            detail=f"role {role.value}" + (" (from claim)" if role_from_claim else ""),
            actor_email=user.email,
        )
        seats_changed(session=session, org_id=connection.org_id)
        return role
    current = Role(membership.role)
    if role_from_claim and current != Role.OWNER and role_from_claim != current:
        membership.role = role_from_claim
        session.add(membership)
        audit.record(
            session=session,
            ctx=TenantContext(org_id=connection.org_id, user_id=user.id, role=role_from_claim),
            action="member.role_changed",
            target=user.email,
            detail=f"{current.value} -> {role_from_claim.value} (SSO {connection.role_claim})",
            actor_email=user.email,
        )
        return role_from_claim
    return current


# ---------------------------------------------------------------- operator-level social sign-in


@dataclass(frozen=True)
class SocialProvider:
    key: str
    label: str
    issuer: str
    client_id: str
    client_secret: str


class SocialChoice(BaseModel):
    key: str
    label: str


def social_providers() -> dict[str, SocialProvider]:
    """Google / Microsoft sign-in for existing accounts, when the operator configured them."""
    settings = get_settings()
    found: dict[str, SocialProvider] = {}
    if settings.sso_google_client_id:
        found["google"] = SocialProvider(
            key="google",
            label="Google",
            issuer=oidc_gateway.normalise_issuer(settings.sso_google_issuer),
            client_id=settings.sso_google_client_id,
            client_secret=settings.sso_google_client_secret.get_secret_value(),
        )
    if settings.sso_microsoft_client_id and settings.sso_microsoft_tenant:
        found["microsoft"] = SocialProvider(
            key="microsoft",
            label="Microsoft",
            issuer=f"https://login.microsoftonline.com/{settings.sso_microsoft_tenant}/v2.0",
            client_id=settings.sso_microsoft_client_id,
            client_secret=settings.sso_microsoft_client_secret.get_secret_value(),
        )
    return found


def social_choices() -> list[SocialChoice]:
    """The buttons the sign-in page shows (none unless the operator turned them on)."""
    return [SocialChoice(key=p.key, label=p.label) for p in social_providers().values()]


def _social(key: str) -> SocialProvider:
    provider = social_providers().get(key)
    if provider is None:
        raise SsoRefused("That way of signing in is not available here.")
    return provider


def begin_social_sign_in(*, provider: str, redirect_uri: str, next_path: str = "") -> str:
    chosen = _social(provider)
    try:
        metadata = oidc_gateway.discover(chosen.issuer)
    except IdentityProviderError as error:
        raise SsoRefused(f"{chosen.label} sign-in is not available: {error}") from None
    state = oidc_gateway.new_state()
    nonce = oidc_gateway.new_nonce()
    verifier = oidc_gateway.new_code_verifier()
    with system_session() as session:
        session.add(
            SsoLoginAttempt(
                state_hash=hash_token(state),
                org_id=None,
                provider=chosen.key,
                nonce=nonce,
                code_verifier_encrypted=encrypt_secret(verifier),
                redirect_uri=redirect_uri,
                next_path=identity.safe_next_path(next_path or "/"),
                expires_at=utcnow() + timedelta(minutes=ATTEMPT_MINUTES),
            )
        )
    return oidc_gateway.authorization_url(
        metadata,
        client_id=chosen.client_id,
        redirect_uri=redirect_uri,
        state=state,
        nonce=nonce,
        code_verifier=verifier,
    )


def _finish_social(
    attempt: _Attempt, code: str, error: str, error_description: str, user_agent: str
) -> SsoSignIn:
    """Social sign-in opens existing accounts only, by a verified email; it creates none."""
    chosen = _social(attempt.provider)
    _refuse_idp_error(error, error_description, code)
    metadata, person = _verify(chosen.issuer, chosen.client_id, chosen.client_secret, attempt, code)
    if not person.email_verified:
        raise SsoRefused(f"{chosen.label} has not verified your email address.")
    try:
        email = identity.clean_email(person.email)
    except ValidationFailed:
        raise SsoRefused(f"{chosen.label} did not share a valid email address.") from None
    with system_session() as session:
        user = session.exec(select(User).where(User.email == email)).first()
        if user is None or user.id is None:
            raise SsoRefused(f"No account uses {email}. Sign up first, or accept your invitation.")
        refusal = sso_policy.password_signin_refusal(session=session, user_id=user.id)
        if refusal:
            raise SsoRefused(refusal)
        user_id = user.id
        memberships = session.exec(
            select(Membership.org_id, Membership.role).where(Membership.user_id == user_id)
        ).all()
        for org_id, role in memberships:
            assert org_id is not None
            audit.record(
                session=session,
                ctx=TenantContext(org_id=org_id, user_id=user_id, role=Role(role)),
                action="user.signed_in",
                target=email,
                detail=f"through {chosen.label}",
                actor_email=email,
            )
    token = _start_linked_session(
        user_id=user_id,
        user_agent=user_agent,
        org_id=None,
        provider=chosen.key,
        metadata=metadata,
        client_id=chosen.client_id,
        id_token=person.id_token,
    )
    return SsoSignIn(
        session_token=token,
        next_path=attempt.next_path,
        user_id=user_id,
        org_slug="",
        created_user=False,
    )


# ---------------------------------------------------------------- sign-out


def end_session_url(*, session_token: str, post_logout_redirect_uri: str) -> str | None:
    """The IdP's end-session URL for a session that came through SSO, when it has one."""
    if not session_token:
        return None
    with system_session() as session:
        link = session.exec(
            select(SsoSessionLink).where(
                SsoSessionLink.session_token_hash == hash_token(session_token)
            )
        ).first()
        if link is None:
            return None
        session.delete(link)
        if not link.end_session_endpoint:
            return None
        endpoint, client_id, encrypted = (
            link.end_session_endpoint,
            link.client_id,
            link.id_token_encrypted,
        )
    try:
        id_token = decrypt_secret(encrypted)
    except SsoRefused:
        id_token = ""
    return oidc_gateway.end_session_url(
        endpoint,
        client_id=client_id,
        id_token=id_token,
        post_logout_redirect_uri=post_logout_redirect_uri,
    )
