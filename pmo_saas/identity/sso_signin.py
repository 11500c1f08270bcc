"""Signing in through single sign-on, and linking an identity to one's own account.

Sign-in (before anyone is signed in): `begin_sign_in` finds the organisation from an email
domain *that organisation has proven* or a slug (system session: the organisation is not
known yet), stores state, nonce and PKCE verifier server-side, and returns the IdP's
authorization URL. `finish_sign_in` consumes that one-time attempt, has the gateway exchange
the code and validate the ID token, then:
- refuses any address whose domain this organisation has not proven (`sso_domains`);
- signs in the account already linked to this IdP identity (issuer + subject), or creates a
  new account just in time when no account uses the address;
- NEVER signs in an existing account that is not linked to this identity, whoever the IdP
  says the person is: its owner signs in their usual way and links the identity from their
  account (`begin_link`), so a foreign IdP cannot take an account over. Refusals are audited
  in the organisation whose IdP tried and reported to the account's own organisations.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from sqlalchemy import delete, update
from sqlmodel import Session, col, select

from pmo_saas.db import system_session, tenant_session
from pmo_saas.identity import audit, oidc_gateway, plan_rules, sso_domains
from pmo_saas.identity import services as identity
from pmo_saas.identity.models import Membership, Organization, User
from pmo_saas.identity.oidc_gateway import IdentityProviderError, ProviderMetadata
from pmo_saas.identity.security import hash_token
from pmo_saas.identity.sso import (
    ATTEMPT_MINUTES,
    SsoRefused,
    _connection,
    _domain_of,
    decrypt_secret,
    encrypt_secret,
)
from pmo_saas.identity.sso_models import (
    DOMAIN_VERIFIED,
    SsoConnection,
    SsoDomain,
    SsoIdentity,
    SsoLoginAttempt,
    SsoSessionLink,
)
from pmo_saas.kernel.clock import as_utc, utcnow
from pmo_saas.kernel.context import TenantContext
from pmo_saas.kernel.errors import ValidationFailed
from pmo_saas.kernel.roles import Role, at_least
from pmo_saas.settings import get_settings

FOREIGN_IDP_REFUSED = (
    "SSO sign-in to your account from another organisation's identity provider was refused"
)


@dataclass(frozen=True)
class SsoSignIn:
    session_token: str  # empty after linking an identity (the person is already signed in)
    next_path: str
    user_id: int
    org_slug: str
    created_user: bool
    linked: bool = False


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
    """The organisation an SSO sign-in is for (system session: it precedes any org). By
    email, only a domain an organisation has proven leads anywhere."""
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
            row = session.exec(
                select(Organization.id, Organization.slug)
                .join(SsoDomain, col(SsoDomain.org_id) == Organization.id)
                .join(SsoConnection, col(SsoConnection.org_id) == Organization.id)
                .where(
                    SsoDomain.domain == domain,
                    SsoDomain.status == DOMAIN_VERIFIED,
                    SsoConnection.enabled,
                )
            ).first()  # at most one: a domain is verified by one organisation at a time
            if row is None:
                raise SsoRefused(
                    f"No organisation uses single sign-on for {domain}. Sign in with your "
                    "password, or ask your admin for your organisation's address."
                )
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
            domains=tuple(sso_domains.verified_domains(session)),
            role_claim=connection.role_claim,
            role_mapping=json.loads(connection.role_mapping or "{}"),
        )


def _authorization(
    connection: _OrgConnection,
    *,
    redirect_uri: str,
    next_path: str,
    login_hint: str,
    link_user_id: int | None = None,
) -> str:
    """Store a one-time attempt (state, nonce, PKCE verifier) and return the IdP's URL."""
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
                org_id=connection.org_id,
                link_user_id=link_user_id,
                nonce=nonce,
                code_verifier_encrypted=encrypt_secret(verifier),
                redirect_uri=redirect_uri,
                next_path=identity.safe_next_path(next_path or f"/o/{connection.org_slug}"),
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
        login_hint=login_hint,
    )


def begin_sign_in(
    *, redirect_uri: str, email: str = "", org_slug: str = "", next_path: str = ""
) -> str:
    """Start the authorization code flow; returns the IdP URL to send the browser to."""
    if not org_slug:
        email = identity.clean_email(email)
    org_id, slug = _find_org_id(email=email, org_slug=org_slug)
    connection = _load_connection(org_id, slug)
    return _authorization(
        connection, redirect_uri=redirect_uri, next_path=next_path, login_hint=email
    )


def link_page_path(slug: str) -> str:
    return f"/o/{slug}/account/sso"


# ---------------------------------------------------------------- sign-in: callback


@dataclass(frozen=True)
class _Attempt:
    org_id: int | None
    link_user_id: int | None
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
            link_user_id=attempt.link_user_id,
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


def _record_refusal(org_id: int, reason: str, email: str, *, warn: bool = True) -> None:
    """Audit the refusal in the organisation whose IdP tried; if the address is an existing
    account's (and `warn`), also warn that account's own organisations (a security event)."""
    ctx = _org_ctx(org_id)
    with tenant_session(ctx) as session:
        audit.record(
            session=session,
            ctx=ctx,
            action="sso.sign_in_refused",
            target=email,
            detail=reason[:500],
            actor_email=email,
        )
    if not email or not warn:
        return
    with system_session() as session:
        org = session.get(Organization, org_id)
        idp_org = f"{org.name} ({org.slug})" if org else f"organisation {org_id}"
        user = session.exec(select(User).where(User.email == email)).first()
        if user is None:
            return
        for member_org_id in session.exec(
            select(Membership.org_id).where(
                Membership.user_id == user.id, Membership.org_id != org_id
            )
        ).all():
            assert member_org_id is not None
            audit.record(
                session=session,
                ctx=_org_ctx(member_org_id),
                action="security.foreign_sso_refused",
                target=email,
                detail=f"{FOREIGN_IDP_REFUSED}: the identity provider of {idp_org} "
                f"claimed to be {email}. Reason: {reason[:300]}",
                actor_email="",
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
    *,
    state: str,
    code: str,
    error: str = "",
    error_description: str = "",
    user_agent: str = "",
    session_token: str = "",
) -> SsoSignIn:
    """Complete the flow started by `begin_sign_in`, `begin_link` (or `begin_social_sign_in`);
    raises SsoRefused with a clear message, and then no session exists (or nothing is linked).
    `session_token` is the browser's current session (it must be the linking user's)."""
    attempt = _consume_attempt(state)
    if attempt.org_id is None:
        from pmo_saas.identity.sso_social import finish_social

        return finish_social(attempt, code, error, error_description, user_agent)
    org_id = attempt.org_id
    with system_session() as session:
        slug = session.exec(select(Organization.slug).where(Organization.id == org_id)).one()
    try:
        _refuse_idp_error(error, error_description, code)
        connection = _load_connection(org_id, slug)
        metadata, person = _verify(
            connection.issuer, connection.client_id, connection.client_secret, attempt, code
        )
        if attempt.link_user_id is not None:
            from pmo_saas.identity.sso_link import finish_link

            return finish_link(connection, person, attempt, attempt.link_user_id, session_token)
        user_id, created = _provision(connection, person)
    except SsoRefused as refusal:
        if attempt.link_user_id is not None:
            refusal.back_to = link_page_path(slug)
        # A refused link was the account holder's own doing: audited, no alarm raised.
        _record_refusal(org_id, str(refusal), refusal.email, warn=attempt.link_user_id is None)
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


def _claimed_email(connection: _OrgConnection, person: oidc_gateway.VerifiedIdentity) -> str:
    """The IdP's email for the person, refused unless this organisation proved its domain."""
    try:
        email = identity.clean_email(person.email)
    except ValidationFailed:
        raise SsoRefused(
            "The identity provider did not share a valid email address for you."
        ) from None
    if _domain_of(email) not in connection.domains:
        allowed = (
            f"only addresses at {', '.join(connection.domains)} are allowed"
            if connection.domains
            else "it has not proven any email domain yet"
        )
        raise SsoRefused(
            f"{email} cannot sign in to {connection.org_name} with single sign-on: {allowed}.",
            email=email,
        )
    return email


def _provision(
    connection: _OrgConnection, person: oidc_gateway.VerifiedIdentity
) -> tuple[int, bool]:
    """The account linked to this IdP identity, or a new one just in time; never an existing
    account that is not linked. Returns (user_id, created)."""
    email = _claimed_email(connection, person)
    ctx = _org_ctx(connection.org_id, connection.org_slug)
    created = False
    with tenant_session(ctx) as session:
        link = session.exec(
            select(SsoIdentity).where(
                SsoIdentity.issuer == person.issuer, SsoIdentity.subject == person.subject
            )
        ).first()
        user = session.get(User, link.user_id) if link else None
        if user is not None and _domain_of(user.email) not in connection.domains:
            # A link to an account outside this organisation's proven domains (one made
            # before domains had to be proven) never opens that account.
            raise SsoRefused(
                f"This identity is linked to an account whose address {connection.org_name} "
                "has not proven is one of its own, so single sign-on cannot open it. Sign in "
                "with your password.",
                email=user.email,
            )
        if user is None:
            if session.exec(select(User.id).where(User.email == email)).first() is not None:
                raise SsoRefused(
                    f"An account for {email} already exists and is not linked to "
                    f"{connection.org_name}'s identity provider, so single sign-on cannot "
                    "open it. Sign in with your password and link this identity from your "
                    f"account ({link_page_path(connection.org_slug)}, “Link my sign-in”).",
                    email=email,
                )
            if not person.email_verified:
                raise SsoRefused(
                    f"Your identity provider has not confirmed that {email} is yours, so no "
                    "account is created. Ask your admin to mark the address as verified.",
                    email=email,
                )
            user = User(
                email=email,
                name=(person.name or email.split("@")[0])[:120],
                password_hash="",
                email_verified_at=utcnow(),  # the IdP verified it at a domain this org proved
            )
            session.add(user)
            session.flush()
            created = True
            assert user.id is not None
            link = SsoIdentity(
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
    role_from_claim = mapped_role(person.claims, connection.role_claim, connection.role_mapping)
    membership = session.exec(select(Membership).where(Membership.user_id == user.id)).first()
    ctx = _org_ctx(connection.org_id, connection.org_slug)
    if membership is None:
        plan_rules.check_can_add_member(session=session, ctx=ctx)
        role = role_from_claim or connection.default_role
        session.add(Membership(user_id=user.id, role=role))
        audit.record(
            session=session,
            ctx=TenantContext(org_id=connection.org_id, user_id=user.id, role=role),
            action="sso.member_provisioned",
            target=user.email,
            detail=f"role {role.value}" + (" (from claim)" if role_from_claim else ""),
            actor_email=user.email,
        )
        plan_rules.seats_changed(session=session, org_id=connection.org_id)
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
