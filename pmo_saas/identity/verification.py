"""E-mail verification: a one-time link proves the person reads mail at the account's address.

Sign-up leaves the owner unverified and mails the link; until it is opened the person can use
the workspace but not invite anyone or configure single sign-on (`require_verified_email`).
People who joined through an invitation's link, or signed in through an identity provider,
are verified by that act.
"""

from __future__ import annotations

from datetime import timedelta

from sqlmodel import Session, col, select

from pmo_saas.db import system_session
from pmo_saas.identity import audit
from pmo_saas.identity.guessing import guessing
from pmo_saas.identity.mail import send_mail
from pmo_saas.identity.models import EmailVerification, Membership, Organization, User
from pmo_saas.identity.security import hash_token, new_token
from pmo_saas.identity.sso_models import SsoIdentity
from pmo_saas.kernel.clock import as_utc, utcnow
from pmo_saas.kernel.context import TenantContext
from pmo_saas.kernel.errors import Conflict, Forbidden, NotFound
from pmo_saas.kernel.roles import Role
from pmo_saas.settings import get_settings

SUBJECT = "Verify your email for pmo_saas"


def mail_verification_link(session: Session, user: User) -> None:
    assert user.id is not None
    settings = get_settings()
    token, token_hash = new_token()
    session.add(
        EmailVerification(
            user_id=user.id,
            token_hash=token_hash,
            expires_at=utcnow() + timedelta(hours=settings.email_verification_hours),
        )
    )
    send_mail(
        session=session,
        to=user.email,
        subject=SUBJECT,
        body=(
            f"Hello {user.name},\n\nTo confirm this is your address, open this link within "
            f"{settings.email_verification_hours} hours:\n\n"
            f"{settings.public_url}/verify/{token}\n\n"
            "Until then you can use your workspace, but not invite people or set up single "
            "sign-on. If you did not sign up, ignore this mail.\n"
        ),
        secret=token,
    )


def verify_email(*, token: str) -> str:
    """Redeem a verification link. Returns the path to continue to (the workspace)."""
    now = utcnow()
    with system_session() as session:
        row = session.exec(
            select(EmailVerification).where(EmailVerification.token_hash == hash_token(token))
        ).first()
        user = session.get(User, row.user_id) if row is not None else None
        if row is None or user is None:
            raise NotFound("That verification link")
        if row.used_at is not None or user.email_verified_at is not None:
            row.used_at = row.used_at or now
            session.add(row)
            return _home_path(session, user)
        if as_utc(row.expires_at) < now:
            raise Conflict(
                "That verification link has expired. Sign in and send a new one from your "
                "dashboard."
            )
        row.used_at = now
        user.email_verified_at = now
        session.add(row)
        session.add(user)
        _audit_in_each_org(session, user)
        return _home_path(session, user)


def _home_path(session: Session, user: User) -> str:
    slugs = session.exec(
        select(Organization.slug)
        .join(Membership, col(Membership.org_id) == Organization.id)
        .where(Membership.user_id == user.id)
    ).all()
    return f"/o/{slugs[0]}" if len(slugs) == 1 else "/orgs"


def resend_verification(*, user_id: int) -> None:
    """A new verification link for a signed-in person whose address is not verified yet."""
    with system_session() as session:
        user = session.get(User, user_id)
        if user is None:
            raise NotFound("Your account")
        if _is_verified(session, user):
            raise Conflict("Your email address is already verified.")
        guessing().hit_or_refuse("verify-resend", 3, 3600, str(user_id))
        mail_verification_link(session, user)


def _is_verified(session: Session, user: User) -> bool:
    """Verified by the link, or by signing in through an identity provider (SSO)."""
    if user.email_verified_at is not None:
        return True
    return (
        session.exec(select(SsoIdentity.id).where(SsoIdentity.user_id == user.id)).first()
        is not None
    )


def email_verified(*, user_id: int) -> bool:
    with system_session() as session:
        user = session.get(User, user_id)
        return user is not None and _is_verified(session, user)


def require_verified_email(*, session: Session, ctx: TenantContext) -> None:
    """Inviting people and configuring SSO wait until the acting person's address is proven."""
    user = session.get(User, ctx.user_id)
    if user is None or not _is_verified(session, user):
        raise Forbidden(
            "Verify your email address first: open the link we mailed you (or send a new "
            "one from the dashboard). Then you can invite people and set up single sign-on."
        )


def _audit_in_each_org(session: Session, user: User) -> None:
    assert user.id is not None
    for m in session.exec(select(Membership).where(Membership.user_id == user.id)).all():
        assert m.org_id is not None
        ctx = TenantContext(org_id=m.org_id, user_id=user.id, role=Role(m.role))
        audit.record(
            session=session,
            ctx=ctx,
            action="user.email_verified",
            target=user.email,
            actor_email=user.email,
        )
