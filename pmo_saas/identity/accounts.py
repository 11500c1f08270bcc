"""Accounts: sign-up, sign-in and password reset, before any organisation is chosen.

Each opens a `system_session()` itself: one transaction per user action. Every password check
goes through `guessing.check_password_guess` (per-client and per-account limits, counted
before the password is verified). Public flows take the browser's `client_ip`; trusted
callers (seed, CLI, tests) pass none. Answers never tell whether an email has an account:
sign-up and reset requests say the same either way.
"""

from __future__ import annotations

from datetime import timedelta

from sqlmodel import Session, col, select

from pmo_saas.db import system_session
from pmo_saas.identity import audit, sso_policy
from pmo_saas.identity.guessing import check_password_guess, guessing
from pmo_saas.identity.mail import send_mail
from pmo_saas.identity.models import (
    Membership,
    Organization,
    PasswordReset,
    SignInTicket,
    User,
)
from pmo_saas.identity.security import hash_password, hash_token, new_token
from pmo_saas.identity.validation import check_password, clean_email, clean_name, slugify
from pmo_saas.identity.verification import mail_verification_link
from pmo_saas.kernel.clock import as_utc, utcnow
from pmo_saas.kernel.context import TenantContext
from pmo_saas.kernel.errors import Conflict, Forbidden, NotFound, ValidationFailed
from pmo_saas.kernel.roles import Role
from pmo_saas.settings import get_settings


def _unique_slug(session: Session, name: str) -> str:
    base = slugify(name)
    slug, n = base, 1
    while session.exec(select(Organization.id).where(Organization.slug == slug)).first():
        n += 1
        slug = f"{base}-{n}"
    return slug


def _create_org(session: Session, *, org_name: str, owner: User) -> Organization:
    org = Organization(name=org_name, slug=_unique_slug(session, org_name))
    session.add(org)
    session.flush()
    assert org.id is not None and owner.id is not None
    session.add(
        Membership(
            org_id=org.id,  # org_id by hand: the organisation is being made (system session)
            user_id=owner.id,
            role=Role.OWNER,
        )
    )
    ctx = TenantContext(org_id=org.id, user_id=owner.id, role=Role.OWNER, org_slug=org.slug)
    audit.record(
        session=session, ctx=ctx, action="org.created", target=org.name, actor_email=owner.email
    )
    return org


def _signup_fields(*, org_name: str, name: str, email: str, password: str) -> tuple[str, str, str]:
    org_name = clean_name(org_name, what="organisation name")
    name = clean_name(name, what="name")
    email = clean_email(email)
    check_password(password, email=email)
    return org_name, name, email


def _open_account(
    session: Session, *, org_name: str, name: str, email: str, password: str
) -> tuple[int, str]:
    """A new unverified owner and organisation, and the mail with the verification link."""
    user = User(email=email, name=name, password_hash=hash_password(password))
    session.add(user)
    session.flush()
    org = _create_org(session, org_name=org_name, owner=user)
    assert user.id is not None
    mail_verification_link(session, user)
    return user.id, org.slug


def sign_up(
    *, org_name: str, name: str, email: str, password: str, client_ip: str | None = None
) -> tuple[int, str]:
    """Create an organisation and its (unverified) owner. Returns (user_id, org slug).

    For trusted callers (tests, benchmarks, CLI): it says when the email is taken. The
    sign-up page calls `register`, which never does.
    """
    org_name, name, email = _signup_fields(
        org_name=org_name, name=name, email=email, password=password
    )
    _limit_signups(client_ip)
    with system_session() as session:
        if session.exec(select(User.id).where(User.email == email)).first():
            raise Conflict(
                "An account with this email already exists. Sign in, then create the "
                "organisation from the organisation menu."
            )
        return _open_account(session, org_name=org_name, name=name, email=email, password=password)


def register(*, org_name: str, name: str, email: str, password: str, client_ip: str | None) -> None:
    """The sign-up page's action: the same answer whether or not the email has an account.

    A new email gets an unverified account, an organisation and a verification link; an
    email that has an account gets a mail saying someone tried to sign up with it.
    """
    org_name, name, email = _signup_fields(
        org_name=org_name, name=name, email=email, password=password
    )
    _limit_signups(client_ip)
    with system_session() as session:
        existing = session.exec(select(User).where(User.email == email)).first()
        if existing is None:
            _open_account(session, org_name=org_name, name=name, email=email, password=password)
            return
        hash_password(password)  # the same work as a new account: the time tells nothing
        settings = get_settings()
        if not guessing().allows(
            "signup-notice", settings.signup_notice_per_email_per_hour, 3600, email
        ):
            return  # no mail flood to an address someone keeps entering
        send_mail(
            session=session,
            to=email,
            subject="Someone tried to sign up with your address on pmo_saas",
            body=(
                f"Hello {existing.name},\n\nSomeone (perhaps you) tried to create a new "
                "pmo_saas account with this address, which already has one. Nothing was "
                "changed.\n\n"
                f"Sign in: {settings.public_url}/signin\n"
                f"Forgot your password? Reset it: {settings.public_url}/forgot\n\n"
                "To open another organisation, sign in and use the organisation menu.\n"
            ),
        )


def _limit_signups(client_ip: str | None) -> None:
    if client_ip:
        guessing().hit_or_refuse(
            "signup", get_settings().signup_per_client_per_hour, 3600, client_ip
        )


WRONG_CREDENTIALS = "Wrong email or password."


def authenticate(*, email: str, password: str, client_ip: str | None = None) -> int:
    """The user id for a correct email and password, under the guessing policy."""
    email = clean_email(email)
    if not password:
        raise ValidationFailed("Enter your password.", field="password")
    with system_session() as session:
        user = session.exec(select(User).where(User.email == email)).first()
        if not check_password_guess(
            account=email,
            client_ip=client_ip,
            password_hash=user.password_hash if user else "",
            password=password,
        ):
            raise ValidationFailed(WRONG_CREDENTIALS, field="password")
        assert user is not None and user.id is not None
        refusal = sso_policy.password_signin_refusal(session=session, user_id=user.id)
        if refusal:
            raise Forbidden(refusal)
        _audit_everywhere(session, user, "user.signed_in")
        return user.id


def _audit_everywhere(session: Session, user: User, action: str, detail: str = "") -> None:
    assert user.id is not None
    memberships = session.exec(select(Membership).where(Membership.user_id == user.id)).all()
    for m in memberships:
        assert m.org_id is not None
        ctx = TenantContext(org_id=m.org_id, user_id=user.id, role=Role(m.role))
        audit.record(
            session=session,
            ctx=ctx,
            action=action,
            target=user.email,
            detail=detail,
            actor_email=user.email,
        )


def request_password_reset(*, email: str, client_ip: str | None = None) -> None:
    """Mails a one-time link when the account exists; says the same either way."""
    email = clean_email(email)
    settings = get_settings()
    if client_ip:
        guessing().hit_or_refuse("reset-client", 10, 3600, client_ip)
    with system_session() as session:
        user = session.exec(select(User).where(User.email == email)).first()
        if user is None or user.id is None:
            return
        if not guessing().allows("reset-mail", 3, 3600, email):
            return  # no mail flood to one address
        token, token_hash = new_token()
        session.add(
            PasswordReset(
                user_id=user.id,
                token_hash=token_hash,
                expires_at=utcnow() + timedelta(minutes=settings.password_reset_minutes),
            )
        )
        link = f"{settings.public_url}/reset/{token}"
        send_mail(
            session=session,
            to=email,
            subject="Reset your pmo_saas password",
            body=(
                f"Hello {user.name},\n\nTo choose a new password, open this link within "
                f"{settings.password_reset_minutes} minutes:\n\n{link}\n\n"
                "If you did not ask for this, ignore this mail; your password stays as it is.\n"
            ),
            secret=token,
        )


def reset_password(*, token: str, password: str) -> None:
    """A new password from a one-time link; every session and older link of the user dies."""
    now = utcnow()
    with system_session() as session:
        row = session.exec(
            select(PasswordReset).where(PasswordReset.token_hash == hash_token(token))
        ).first()
        if row is None:
            raise NotFound("That reset link")
        if row.used_at is not None:
            raise Conflict("That reset link has already been used. Ask for a new one.")
        if as_utc(row.expires_at) < now:
            raise Conflict("That reset link has expired. Ask for a new one.")
        user = session.get(User, row.user_id)
        if user is None:
            raise NotFound("That reset link")
        if user.password_changed_at is not None and as_utc(row.created_at) <= as_utc(
            user.password_changed_at
        ):
            raise Conflict(
                "That reset link was sent before your password was last changed. Ask for a new one."
            )
        check_password(password, email=user.email)
        user.password_hash = hash_password(password)
        user.password_changed_at = now
        row.used_at = now
        session.add(user)
        session.add(row)
        # Sessions stay in services (which imports this module): imported at call time.
        from pmo_saas.identity.services import revoke_all_sessions

        revoke_all_sessions(session, row.user_id)
        for ticket in session.exec(
            select(SignInTicket).where(
                SignInTicket.user_id == row.user_id, col(SignInTicket.used_at).is_(None)
            )
        ).all():
            ticket.used_at = now  # a hand-over issued before the reset cannot open a session
            session.add(ticket)
        _audit_everywhere(session, user, "user.password_reset")
    guessing().forget_account(user.email)
