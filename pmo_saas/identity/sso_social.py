"""Operator-level social sign-in (Google / Microsoft) for existing accounts, and sign-out at
the identity provider for sessions that came through SSO."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from pydantic import BaseModel
from sqlmodel import select

from pmo_saas.db import system_session
from pmo_saas.identity import audit, oidc_gateway, sso_policy
from pmo_saas.identity import services as identity
from pmo_saas.identity.models import Membership, User
from pmo_saas.identity.oidc_gateway import IdentityProviderError
from pmo_saas.identity.security import hash_token
from pmo_saas.identity.sso import ATTEMPT_MINUTES, SsoRefused, decrypt_secret, encrypt_secret
from pmo_saas.identity.sso_models import SsoLoginAttempt, SsoSessionLink
from pmo_saas.identity.sso_signin import (
    SsoSignIn,
    _Attempt,
    _refuse_idp_error,
    _start_linked_session,
    _verify,
)
from pmo_saas.kernel.clock import utcnow
from pmo_saas.kernel.context import TenantContext
from pmo_saas.kernel.errors import ValidationFailed
from pmo_saas.kernel.roles import Role
from pmo_saas.settings import get_settings

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


def finish_social(
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
