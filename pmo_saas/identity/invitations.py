"""Invitations: sent inside an organisation, previewed and accepted from a mailed link.

The preview and the form are the same whether or not the email has an account; accepting
with an existing account checks its password under the guessing policy, and an organisation
that requires single sign-on (or the account's own) refuses passwords.
"""

from __future__ import annotations

from datetime import timedelta

from sqlmodel import Session, col, select

from pmo_saas.db import get_in_org, system_session
from pmo_saas.identity import audit, sso_policy
from pmo_saas.identity.guessing import check_password_guess
from pmo_saas.identity.mail import send_mail
from pmo_saas.identity.models import (
    Invitation,
    Membership,
    Organization,
    User,
)
from pmo_saas.identity.plan_rules import check_can_add_member, check_writable, seats_changed
from pmo_saas.identity.schemas import InvitationPublic, InvitationRow
from pmo_saas.identity.security import hash_password, hash_token, new_token
from pmo_saas.identity.sso_models import SsoConnection
from pmo_saas.identity.validation import check_password, clean_email, clean_name
from pmo_saas.identity.verification import require_verified_email
from pmo_saas.kernel.clock import as_utc, utcnow
from pmo_saas.kernel.context import TenantContext
from pmo_saas.kernel.errors import Conflict, Forbidden, NotFound, ValidationFailed
from pmo_saas.kernel.roles import Role
from pmo_saas.settings import get_settings


def invite_member(*, session: Session, ctx: TenantContext, email: str, role: str) -> int:
    """Create an invitation and mail its one-time link. Returns the invitation id."""
    ctx.require(Role.ADMIN, "Only owners and admins can invite people.")
    require_verified_email(session=session, ctx=ctx)
    email = clean_email(email)
    try:
        invited_role = Role(role)
    except ValueError:
        raise ValidationFailed(f"Unknown role: {role!r}.", field="role") from None
    if invited_role == Role.OWNER and ctx.role != Role.OWNER:
        raise Forbidden("Only an owner can invite another owner.")
    existing = session.exec(
        select(Membership.id)
        .join(User, col(User.id) == Membership.user_id)
        .where(User.email == email)
    ).first()
    if existing:
        raise Conflict(f"{email} is already a member of this organisation.")
    check_writable(session=session, ctx=ctx)  # Invitation unguarded: revoking stays possible
    check_can_add_member(session=session, ctx=ctx)
    now = utcnow()
    for pending in session.exec(
        select(Invitation).where(
            Invitation.email == email,
            col(Invitation.accepted_at).is_(None),
            col(Invitation.revoked_at).is_(None),
        )
    ).all():
        pending.revoked_at = now
        session.add(pending)
    settings = get_settings()
    token, token_hash = new_token()
    invitation = Invitation(
        email=email,
        role=invited_role,
        token_hash=token_hash,
        invited_by_id=ctx.user_id,
        expires_at=now + timedelta(days=settings.invitation_days),
    )
    session.add(invitation)
    org = session.get(Organization, ctx.org_id)
    org_name = org.name if org else ""
    send_mail(
        session=session,
        org_id=ctx.org_id,
        to=email,
        subject=f"You are invited to {org_name} on pmo_saas",
        body=(
            f"You have been invited to join {org_name} as {invited_role.value}.\n\n"
            f"Accept within {settings.invitation_days} days:\n\n"
            f"{settings.public_url}/invite/{token}\n"
        ),
        secret=token,
    )
    audit.record(
        session=session,
        ctx=ctx,
        action="invitation.sent",
        target=email,
        detail=f"role {invited_role.value}",
    )
    session.flush()
    assert invitation.id is not None
    return invitation.id


def list_invitations(*, session: Session, ctx: TenantContext) -> list[InvitationRow]:
    ctx.require(Role.ADMIN)
    now = utcnow()
    rows = session.exec(select(Invitation).order_by(col(Invitation.created_at).desc())).all()
    result = []
    for inv in rows:
        if inv.accepted_at:
            status = "accepted"
        elif inv.revoked_at:
            status = "revoked"
        elif as_utc(inv.expires_at) < now:
            status = "expired"
        else:
            status = "pending"
        assert inv.id is not None
        result.append(
            InvitationRow(
                id=inv.id,
                email=inv.email,
                role=str(inv.role),
                status=status,
                expires_at=f"{inv.expires_at:%Y-%m-%d}",
            )
        )
    return result


def revoke_invitation(*, session: Session, ctx: TenantContext, invitation_id: int) -> None:
    ctx.require(Role.ADMIN)
    inv = get_in_org(session, Invitation, invitation_id, "That invitation")
    if inv.accepted_at is None and inv.revoked_at is None:
        inv.revoked_at = utcnow()
        session.add(inv)
        audit.record(session=session, ctx=ctx, action="invitation.revoked", target=inv.email)


def _usable_invitation(session: Session, token: str) -> Invitation:
    inv = session.exec(select(Invitation).where(Invitation.token_hash == hash_token(token))).first()
    if inv is None or inv.revoked_at is not None:
        raise NotFound("That invitation")
    if inv.accepted_at is not None:
        raise Conflict("This invitation has already been used. Sign in instead.")
    if as_utc(inv.expires_at) < utcnow():
        raise Conflict(
            "This invitation has expired. Ask an admin of the organisation for a new one."
        )
    return inv


def preview_invitation(*, token: str) -> InvitationPublic:
    """What the invitation page shows: the same whether or not the email has an account."""
    with system_session() as session:
        inv = _usable_invitation(session, token)
        org = session.get(Organization, inv.org_id)
        return InvitationPublic(
            org_name=org.name if org else "", email=inv.email, role=str(inv.role)
        )


def _sso_required_refusal(session: Session, org: Organization) -> str | None:
    required = session.exec(
        select(SsoConnection.id).where(
            SsoConnection.org_id == org.id,
            col(SsoConnection.require_sso).is_(True),
            col(SsoConnection.enabled).is_(True),
        )
    ).first()
    if required is None:
        return None
    return (
        f"{org.name} requires single sign-on: accept by choosing “Sign in with SSO” and "
        "entering your work email, not with a password."
    )


def accept_invitation(
    *, token: str, name: str, password: str, client_ip: str | None = None
) -> tuple[int, str]:
    """Accept with a new account (name optional + new password) or an existing one (its
    password, checked under the guessing policy, and that account's own SSO requirements).

    Returns (user_id, org slug).
    """
    with system_session() as session:
        inv = _usable_invitation(session, token)
        org = session.get(Organization, inv.org_id)
        assert org is not None and org.id is not None
        refusal = _sso_required_refusal(session, org)
        if refusal:
            raise Forbidden(refusal)
        if not password:
            raise ValidationFailed("Enter a password.", field="password")
        user = session.exec(select(User).where(User.email == inv.email)).first()
        if user is None:
            check_password(password, email=inv.email)
            name = clean_name(name or inv.email.split("@")[0], what="name")
            # The invitation's link came by mail: that proves the address.
            user = User(
                email=inv.email,
                name=name,
                password_hash=hash_password(password),
                email_verified_at=utcnow(),
            )
            session.add(user)
            session.flush()
        else:
            if not check_password_guess(
                account=inv.email,
                client_ip=client_ip,
                password_hash=user.password_hash,
                password=password,
            ):
                raise ValidationFailed(
                    "Wrong email or password. If this email already has an account, enter "
                    "its password (or reset it, then open this link again).",
                    field="password",
                )
            assert user.id is not None
            own_refusal = sso_policy.password_signin_refusal(session=session, user_id=user.id)
            if own_refusal:
                raise Forbidden(own_refusal)
        assert user.id is not None
        inv.accepted_at = utcnow()
        session.add(inv)
        already = session.exec(
            select(Membership).where(Membership.org_id == inv.org_id, Membership.user_id == user.id)
        ).first()
        if already is None:
            session.add(
                Membership(
                    org_id=inv.org_id,  # org_id by hand: accepted in a system session
                    user_id=user.id,
                    role=inv.role,
                )
            )
        ctx = TenantContext(org_id=org.id, user_id=user.id, role=Role(inv.role))
        audit.record(
            session=session,
            ctx=ctx,
            action="invitation.accepted",
            target=user.email,
            detail=f"role {Role(inv.role).value}",
            actor_email=user.email,
        )
        seats_changed(session=session, org_id=org.id)
        return user.id, org.slug
