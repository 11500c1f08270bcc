"""Identity and tenancy: sign-up, sign-in, sessions, organisations, members, teams, invitations.

Functions that act inside an organisation take `session` (a tenant session) and `ctx`.
Functions that precede an organisation (sign-up, sign-in, accepting an invitation, password
reset) open a `system_session()` themselves: one transaction per user action.
"""

from __future__ import annotations

import hmac
import re
import unicodedata
from datetime import timedelta

from email_validator import EmailNotValidError, validate_email
from sqlalchemy import delete, func
from sqlmodel import Session, col, select

from pmo_saas.billing.entitlements import check_can_add_member, check_writable, seats_changed
from pmo_saas.db import get_in_org, system_session
from pmo_saas.identity import audit, sso_policy
from pmo_saas.identity.mail import send_mail
from pmo_saas.identity.models import (
    AuditEvent,
    Invitation,
    Membership,
    Organization,
    OutboxMessage,
    PasswordReset,
    SignInFailure,
    SignInTicket,
    Team,
    TeamMember,
    User,
    UserSession,
)
from pmo_saas.identity.schemas import (
    AuditRow,
    InvitationPublic,
    InvitationRow,
    MemberRow,
    OrgChoice,
    OutboxRow,
    SessionUser,
    TeamRow,
)
from pmo_saas.identity.security import hash_password, hash_token, new_token, verify_password
from pmo_saas.kernel.clock import as_utc, utcnow
from pmo_saas.kernel.context import TenantContext
from pmo_saas.kernel.errors import (
    Conflict,
    Forbidden,
    NotFound,
    RateLimited,
    ValidationFailed,
)
from pmo_saas.kernel.roles import Role
from pmo_saas.security_headers import hash_binding
from pmo_saas.settings import get_settings

MIN_PASSWORD_LENGTH = 10
COMMON_PASSWORDS = {
    "password",
    "password1",
    "password123",
    "1234567890",
    "12345678910",
    "qwertyuiop",
    "letmein123",
    "iloveyou12",
    "welcome123",
    "administrator",
    "passw0rd123",
    "abcdefghij",
}
TICKET_SECONDS = 60


# ---------------------------------------------------------------- validation


def clean_email(raw: str) -> str:
    email = (raw or "").strip()
    if not email:
        raise ValidationFailed("Enter your email address.", field="email")
    try:
        result = validate_email(email, check_deliverability=False, test_environment=True)
    except EmailNotValidError as error:
        raise ValidationFailed(f"That email address is not valid: {error}", field="email") from None
    return result.normalized.lower()


def check_password(password: str, *, email: str = "") -> None:
    if len(password or "") < MIN_PASSWORD_LENGTH:
        raise ValidationFailed(
            f"Choose a password of at least {MIN_PASSWORD_LENGTH} characters.", field="password"
        )
    lowered = password.lower()
    if lowered in COMMON_PASSWORDS or len(set(password)) < 4:
        raise ValidationFailed(
            "That password is too easy to guess; choose another.", field="password"
        )
    local = email.split("@")[0].lower()
    if len(local) >= 4 and local in lowered:
        raise ValidationFailed("The password must not contain your email name.", field="password")


def clean_name(raw: str, *, what: str = "name", max_length: int = 120) -> str:
    name = " ".join((raw or "").split())
    if not name:
        raise ValidationFailed(f"Enter a {what}.", field=what)
    if len(name) > max_length:
        raise ValidationFailed(f"The {what} is longer than {max_length} characters.", field=what)
    return name


def slugify(text: str) -> str:
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    slug = re.sub(r"[^a-z0-9]+", "-", ascii_text.lower()).strip("-")
    return slug[:40] or "org"


def _unique_slug(session: Session, name: str) -> str:
    base = slugify(name)
    slug, n = base, 1
    while session.exec(select(Organization.id).where(Organization.slug == slug)).first():
        n += 1
        slug = f"{base}-{n}"
    return slug


# ---------------------------------------------------------------- organisations, sign-up


def _create_org(session: Session, *, org_name: str, owner: User) -> Organization:
    org = Organization(name=org_name, slug=_unique_slug(session, org_name))
    session.add(org)
    session.flush()
    assert org.id is not None and owner.id is not None
    session.add(Membership(org_id=org.id, user_id=owner.id, role=Role.OWNER))
    ctx = TenantContext(org_id=org.id, user_id=owner.id, role=Role.OWNER, org_slug=org.slug)
    audit.record(
        session=session, ctx=ctx, action="org.created", target=org.name, actor_email=owner.email
    )
    return org


def sign_up(*, org_name: str, name: str, email: str, password: str) -> tuple[int, str]:
    """Create an organisation and its owner. Returns (user_id, org slug)."""
    org_name = clean_name(org_name, what="organisation name")
    name = clean_name(name, what="name")
    email = clean_email(email)
    check_password(password, email=email)
    with system_session() as session:
        if session.exec(select(User.id).where(User.email == email)).first():
            raise Conflict(
                "An account with this email already exists. Sign in, then create the "
                "organisation from the organisation menu."
            )
        user = User(email=email, name=name, password_hash=hash_password(password))
        session.add(user)
        session.flush()
        org = _create_org(session, org_name=org_name, owner=user)
        assert user.id is not None
        return user.id, org.slug


def create_organization(*, user_id: int, org_name: str) -> str:
    """An existing user opens another organisation (they become its owner)."""
    org_name = clean_name(org_name, what="organisation name")
    with system_session() as session:
        user = session.get(User, user_id)
        if user is None:
            raise NotFound("Your account")
        return _create_org(session, org_name=org_name, owner=user).slug


def list_memberships(*, user_id: int) -> list[OrgChoice]:
    with system_session() as session:
        rows = session.exec(
            select(Organization.slug, Organization.name, Membership.role)
            .join(Membership, col(Membership.org_id) == Organization.id)
            .where(Membership.user_id == user_id)
            .order_by(Organization.name)
        ).all()
    return [OrgChoice(slug=s, name=n, role=str(r)) for s, n, r in rows]


def workspace_context(*, user_id: int, slug: str) -> TenantContext:
    """The caller's context in the organisation named by `slug`; NotFound when not a member."""
    with system_session() as session:
        row = session.exec(
            select(Organization.id, Membership.role)
            .join(Membership, col(Membership.org_id) == Organization.id)
            .where(Organization.slug == slug, Membership.user_id == user_id)
        ).first()
    if row is None:
        raise NotFound("That organisation")
    org_id, role = row
    assert org_id is not None
    return TenantContext(org_id=org_id, user_id=user_id, role=Role(role), org_slug=slug)


def organization_name(*, session: Session, ctx: TenantContext) -> str:
    org = session.get(Organization, ctx.org_id)
    return org.name if org else ""


def rename_organization(*, session: Session, ctx: TenantContext, name: str) -> None:
    ctx.require(Role.ADMIN)
    check_writable(session=session, ctx=ctx)
    name = clean_name(name, what="organisation name")
    org = session.get(Organization, ctx.org_id)
    if org is None:
        raise NotFound("That organisation")
    old, org.name = org.name, name
    session.add(org)
    audit.record(session=session, ctx=ctx, action="org.renamed", target=name, detail=f"was {old}")


# ---------------------------------------------------------------- sign-in and sessions


def authenticate(*, email: str, password: str) -> int:
    """The user id for a correct email and password; failures are counted and limited."""
    settings = get_settings()
    email = clean_email(email)
    if not password:
        raise ValidationFailed("Enter your password.", field="password")
    since = utcnow() - timedelta(minutes=settings.signin_lockout_minutes)
    with system_session() as session:
        failures = session.exec(
            select(func.count())
            .select_from(SignInFailure)
            .where(SignInFailure.email == email, col(SignInFailure.at) >= since)
        ).one()
        if failures >= settings.signin_max_failures:
            raise RateLimited(
                f"Too many failed sign-in attempts. Try again in "
                f"{settings.signin_lockout_minutes} minutes, or reset your password."
            )
        user = session.exec(select(User).where(User.email == email)).first()
        if user is None or not verify_password(user.password_hash, password):
            session.add(SignInFailure(email=email))
            failed = True
        else:
            failed = False
            assert user.id is not None
            refusal = sso_policy.password_signin_refusal(session=session, user_id=user.id)
            if refusal:
                raise Forbidden(refusal)
            session.exec(delete(SignInFailure).where(col(SignInFailure.email) == email))
            _audit_everywhere(session, user, "user.signed_in")
    if failed:
        raise ValidationFailed("Wrong email or password.", field="password")
    assert user is not None and user.id is not None
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


class TicketForAnotherBrowser(Forbidden):
    def __init__(self) -> None:
        super().__init__("That sign-in link belongs to another browser; sign in again.")


def issue_signin_ticket(*, user_id: int, next_path: str = "/", browser_binding: str = "") -> str:
    """A one-time ticket the browser exchanges, within a minute, for the session cookie.

    `browser_binding` is the asking browser's `pmo_bind` cookie; only that browser redeems it.
    """
    token, token_hash = new_token()
    with system_session() as session:
        session.add(
            SignInTicket(
                user_id=user_id,
                token_hash=token_hash,
                next_path=safe_next_path(next_path),
                expires_at=utcnow() + timedelta(seconds=TICKET_SECONDS),
                browser_binding_hash=hash_binding(browser_binding),
            )
        )
    return token


def claim_signin_ticket(*, ticket: str, browser_binding: str) -> bool:
    """Bind a ticket issued before its browser had a binding cookie (the development
    frontend's first visit) to the browser that claims it first; False if unknown or bound."""
    if not browser_binding:
        return False
    with system_session() as session:
        row = session.exec(
            select(SignInTicket).where(SignInTicket.token_hash == hash_token(ticket))
        ).first()
        if row is None or row.used_at is not None or row.browser_binding_hash:
            return False
        if as_utc(row.expires_at) < utcnow():
            return False
        row.browser_binding_hash = hash_binding(browser_binding)
        session.add(row)
        return True


def safe_next_path(path: str) -> str:
    """Only same-site paths: never an open redirect."""
    if not path or not path.startswith("/") or path.startswith("//") or "\\" in path:
        return "/"
    return path


def redeem_signin_ticket(
    *, ticket: str, user_agent: str = "", browser_binding: str = ""
) -> tuple[str, str]:
    """Exchange a ticket for a new session. Returns (session token, next path).

    Refused (TicketForAnotherBrowser) unless `browser_binding` is the one it was issued to.
    """
    now = utcnow()
    with system_session() as session:
        row = session.exec(
            select(SignInTicket).where(SignInTicket.token_hash == hash_token(ticket))
        ).first()
        if row is None or row.used_at is not None or as_utc(row.expires_at) < now:
            raise NotFound("That sign-in link")
        presented = hash_binding(browser_binding)
        if not row.browser_binding_hash or not hmac.compare_digest(
            row.browser_binding_hash, presented
        ):
            raise TicketForAnotherBrowser()
        row.used_at = now
        session.add(row)
        return _start_session(session, row.user_id, user_agent), row.next_path


def start_session(*, user_id: int, user_agent: str = "") -> str:
    """A new server-side session for a user already verified (password, ticket or SSO)."""
    with system_session() as session:
        return _start_session(session, user_id, user_agent)


def _start_session(session: Session, user_id: int, user_agent: str) -> str:
    token, token_hash = new_token()
    session.add(
        UserSession(
            user_id=user_id,
            token_hash=token_hash,
            expires_at=utcnow() + timedelta(days=get_settings().session_days),
            user_agent=user_agent[:255],
        )
    )
    return token


def resolve_session(*, token: str) -> SessionUser | None:
    if not token:
        return None
    with system_session() as session:
        row = session.exec(
            select(UserSession, User)
            .join(User, col(User.id) == UserSession.user_id)
            .where(UserSession.token_hash == hash_token(token))
        ).first()
    if row is None:
        return None
    user_session, user = row
    if user_session.revoked_at is not None or as_utc(user_session.expires_at) < utcnow():
        return None
    assert user.id is not None
    return SessionUser(user_id=user.id, email=user.email, name=user.name)


def revoke_session(*, token: str) -> None:
    with system_session() as session:
        row = session.exec(
            select(UserSession).where(UserSession.token_hash == hash_token(token))
        ).first()
        if row is not None and row.revoked_at is None:
            row.revoked_at = utcnow()
            session.add(row)


def revoke_all_sessions(session: Session, user_id: int) -> None:
    rows = session.exec(
        select(UserSession).where(
            UserSession.user_id == user_id, col(UserSession.revoked_at).is_(None)
        )
    ).all()
    for row in rows:
        row.revoked_at = utcnow()
        session.add(row)


# ---------------------------------------------------------------- password reset


def request_password_reset(*, email: str) -> None:
    """Mails a one-time link when the account exists; says the same either way."""
    email = clean_email(email)
    settings = get_settings()
    with system_session() as session:
        user = session.exec(select(User).where(User.email == email)).first()
        if user is None or user.id is None:
            return
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
        )


def reset_password(*, token: str, password: str) -> None:
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
        check_password(password, email=user.email)
        user.password_hash = hash_password(password)
        row.used_at = now
        session.add(user)
        session.add(row)
        revoke_all_sessions(session, row.user_id)
        session.exec(delete(SignInFailure).where(col(SignInFailure.email) == user.email))
        _audit_everywhere(session, user, "user.password_reset")


# ---------------------------------------------------------------- members


def list_members(*, session: Session, ctx: TenantContext) -> list[MemberRow]:
    rows = session.exec(
        select(Membership, User).join(User, col(User.id) == Membership.user_id).order_by(User.name)
    ).all()
    team_names: dict[int, list[str]] = {}
    for user_id, team_name in session.exec(
        select(TeamMember.user_id, Team.name).join(Team, col(Team.id) == TeamMember.team_id)
    ).all():
        team_names.setdefault(user_id, []).append(team_name)
    result = []
    for m, u in rows:
        assert m.id is not None and u.id is not None
        result.append(
            MemberRow(
                membership_id=m.id,
                user_id=u.id,
                name=u.name,
                email=u.email,
                role=str(m.role),
                teams=", ".join(sorted(team_names.get(u.id, []))),
            )
        )
    return result


def _membership(session: Session, membership_id: int) -> Membership:
    return get_in_org(session, Membership, membership_id, "That member")


def _owner_count(session: Session) -> int:
    return session.exec(
        select(func.count()).select_from(Membership).where(Membership.role == Role.OWNER)
    ).one()


def change_role(*, session: Session, ctx: TenantContext, membership_id: int, role: str) -> None:
    ctx.require(Role.ADMIN, "Only owners and admins can change roles.")
    try:
        new_role = Role(role)
    except ValueError:
        raise ValidationFailed(f"Unknown role: {role!r}.", field="role") from None
    m = _membership(session, membership_id)
    if Role.OWNER in (new_role, m.role) and ctx.role != Role.OWNER:
        raise Forbidden("Only an owner can make or unmake an owner.")
    if m.role == Role.OWNER and new_role != Role.OWNER and _owner_count(session) <= 1:
        raise Conflict("The last owner cannot be demoted. Make someone else an owner first.")
    old = m.role
    m.role = new_role
    session.add(m)
    user = session.get(User, m.user_id)
    audit.record(
        session=session,
        ctx=ctx,
        action="member.role_changed",
        target=user.email if user else str(m.user_id),
        detail=f"{Role(old).value} -> {new_role.value}",
    )


def remove_member(*, session: Session, ctx: TenantContext, membership_id: int) -> None:
    ctx.require(Role.ADMIN, "Only owners and admins can remove members.")
    m = _membership(session, membership_id)
    if m.role == Role.OWNER:
        if ctx.role != Role.OWNER:
            raise Forbidden("Only an owner can remove an owner.")
        if _owner_count(session) <= 1:
            raise Conflict("The last owner cannot be removed.")
    session.exec(delete(TeamMember).where(col(TeamMember.user_id) == m.user_id))
    user = session.get(User, m.user_id)
    session.delete(m)
    audit.record(
        session=session,
        ctx=ctx,
        action="member.removed",
        target=user.email if user else str(m.user_id),
    )


# ---------------------------------------------------------------- invitations


def invite_member(*, session: Session, ctx: TenantContext, email: str, role: str) -> int:
    """Create an invitation and mail its one-time link. Returns the invitation id."""
    ctx.require(Role.ADMIN, "Only owners and admins can invite people.")
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
    check_writable(session=session, ctx=ctx)
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
    org_name = organization_name(session=session, ctx=ctx)
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
    inv = session.get(Invitation, invitation_id)
    if inv is None:
        raise NotFound("That invitation")
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
    with system_session() as session:
        inv = _usable_invitation(session, token)
        org = session.get(Organization, inv.org_id)
        exists = session.exec(select(User.id).where(User.email == inv.email)).first() is not None
        return InvitationPublic(
            org_name=org.name if org else "",
            email=inv.email,
            role=str(inv.role),
            account_exists=exists,
        )


def accept_invitation(*, token: str, name: str, password: str) -> tuple[int, str]:
    """Accept with a new account (name + new password) or an existing one (its password).

    Returns (user_id, org slug).
    """
    with system_session() as session:
        inv = _usable_invitation(session, token)
        user = session.exec(select(User).where(User.email == inv.email)).first()
        if user is None:
            name = clean_name(name, what="name")
            check_password(password, email=inv.email)
            user = User(email=inv.email, name=name, password_hash=hash_password(password))
            session.add(user)
            session.flush()
        elif not verify_password(user.password_hash, password):
            raise ValidationFailed(
                "An account with this email exists: enter its password to accept.", field="password"
            )
        assert user.id is not None
        inv.accepted_at = utcnow()
        session.add(inv)
        already = session.exec(
            select(Membership).where(Membership.org_id == inv.org_id, Membership.user_id == user.id)
        ).first()
        if already is None:
            session.add(Membership(org_id=inv.org_id, user_id=user.id, role=inv.role))
        org = session.get(Organization, inv.org_id)
        assert org is not None and org.id is not None
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


# ---------------------------------------------------------------- teams


def list_teams(*, session: Session, ctx: TenantContext) -> list[TeamRow]:
    teams = session.exec(select(Team).order_by(Team.name)).all()
    members = session.exec(
        select(TeamMember.team_id, Membership.id, User)
        .join(User, col(User.id) == TeamMember.user_id)
        .join(Membership, col(Membership.user_id) == TeamMember.user_id)
        .order_by(User.name)
    ).all()
    by_team: dict[int, list[MemberRow]] = {}
    for team_id, membership_id, user in members:
        assert membership_id is not None and user.id is not None
        by_team.setdefault(team_id, []).append(
            MemberRow(
                membership_id=membership_id,
                user_id=user.id,
                name=user.name,
                email=user.email,
                role="",
            )
        )
    rows = []
    for t in teams:
        assert t.id is not None
        people = by_team.get(t.id, [])
        rows.append(TeamRow(id=t.id, name=t.name, member_count=len(people), members=people))
    return rows


def _team(session: Session, team_id: int) -> Team:
    return get_in_org(session, Team, team_id, "That team")


def _check_team_name_free(session: Session, name: str, *, except_id: int | None = None) -> None:
    clash = session.exec(select(Team.id).where(func.lower(Team.name) == name.lower())).first()
    if clash is not None and clash != except_id:
        raise Conflict(f"A team called {name!r} already exists.")


def create_team(*, session: Session, ctx: TenantContext, name: str) -> int:
    ctx.require(Role.ADMIN, "Only owners and admins can create teams.")
    check_writable(session=session, ctx=ctx)
    name = clean_name(name, what="team name")
    _check_team_name_free(session, name)
    team = Team(name=name)
    session.add(team)
    session.flush()
    audit.record(session=session, ctx=ctx, action="team.created", target=name)
    assert team.id is not None
    return team.id


def rename_team(*, session: Session, ctx: TenantContext, team_id: int, name: str) -> None:
    ctx.require(Role.ADMIN, "Only owners and admins can rename teams.")
    check_writable(session=session, ctx=ctx)
    name = clean_name(name, what="team name")
    team = _team(session, team_id)
    _check_team_name_free(session, name, except_id=team_id)
    old, team.name = team.name, name
    session.add(team)
    audit.record(session=session, ctx=ctx, action="team.renamed", target=name, detail=f"was {old}")


def delete_team(*, session: Session, ctx: TenantContext, team_id: int) -> None:
    ctx.require(Role.ADMIN, "Only owners and admins can delete teams.")
    check_writable(session=session, ctx=ctx)
    team = _team(session, team_id)
    session.exec(delete(TeamMember).where(col(TeamMember.team_id) == team_id))
    session.delete(team)
    audit.record(session=session, ctx=ctx, action="team.deleted", target=team.name)


def add_team_member(
    *, session: Session, ctx: TenantContext, team_id: int, membership_id: int
) -> None:
    ctx.require(Role.ADMIN, "Only owners and admins can change teams.")
    check_writable(session=session, ctx=ctx)
    team = _team(session, team_id)
    m = _membership(session, membership_id)
    exists = session.exec(
        select(TeamMember.id).where(TeamMember.team_id == team_id, TeamMember.user_id == m.user_id)
    ).first()
    if exists:
        return
    session.add(TeamMember(team_id=team_id, user_id=m.user_id))
    user = session.get(User, m.user_id)
    audit.record(
        session=session,
        ctx=ctx,
        action="team.member_added",
        target=team.name,
        detail=user.email if user else "",
    )


def remove_team_member(
    *, session: Session, ctx: TenantContext, team_id: int, membership_id: int
) -> None:
    ctx.require(Role.ADMIN, "Only owners and admins can change teams.")
    check_writable(session=session, ctx=ctx)
    team = _team(session, team_id)
    m = _membership(session, membership_id)
    session.exec(
        delete(TeamMember).where(
            col(TeamMember.team_id) == team_id, col(TeamMember.user_id) == m.user_id
        )
    )
    user = session.get(User, m.user_id)
    audit.record(
        session=session,
        ctx=ctx,
        action="team.member_removed",
        target=team.name,
        detail=user.email if user else "",
    )


# ---------------------------------------------------------------- audit log and outbox


def list_audit(
    *, session: Session, ctx: TenantContext, limit: int = 50, offset: int = 0
) -> list[AuditRow]:
    ctx.require(Role.ADMIN, "Only owners and admins can read the audit log.")
    rows = session.exec(
        select(AuditEvent)
        .order_by(col(AuditEvent.created_at).desc(), col(AuditEvent.id).desc())
        .offset(max(offset, 0))
        .limit(min(max(limit, 1), 200))
    ).all()
    return [
        AuditRow(
            id=r.id or 0,
            at=f"{r.created_at:%Y-%m-%d %H:%M:%S}",
            actor=r.actor_email,
            action=r.action,
            target=r.target,
            detail=r.detail,
        )
        for r in rows
    ]


def list_outbox(*, session: Session, ctx: TenantContext, limit: int = 50) -> list[OutboxRow]:
    ctx.require(Role.ADMIN, "Only owners and admins can read the outbox.")
    rows = session.exec(
        select(OutboxMessage).order_by(col(OutboxMessage.id).desc()).limit(limit)
    ).all()
    return [
        OutboxRow(
            id=r.id or 0,
            at=f"{r.created_at:%Y-%m-%d %H:%M}",
            to_email=r.to_email,
            subject=r.subject,
            body=r.body,
        )
        for r in rows
    ]


def workspace_overview(*, session: Session, ctx: TenantContext) -> dict[str, int]:
    """Counts for the workspace home page."""
    return {
        "members": session.exec(select(func.count()).select_from(Membership)).one(),
        "teams": session.exec(select(func.count()).select_from(Team)).one(),
    }
