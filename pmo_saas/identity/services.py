"""Identity and tenancy: organisations, sessions, members, teams, audit; the facade of identity.

Functions that act inside an organisation take `session` (a tenant session) and `ctx`.
Functions that precede an organisation open a `system_session()` themselves: one transaction
per user action. Split by concern, every name stays importable from here:
`validation` (what people type), `accounts` (sign-up, sign-in, password reset),
`verification` (e-mail verification), `invitations` (send, preview, accept).
"""

from __future__ import annotations

import hmac
from datetime import datetime, timedelta

from sqlalchemy import bindparam, delete, func
from sqlmodel import Session, col, select

from pmo_saas.db import get_engine, get_in_org, system_session
from pmo_saas.identity import audit

# The other concerns' names (accounts, invitations, validation, verification), importable
# from here as before the split.
from pmo_saas.identity.accounts import _create_org
from pmo_saas.identity.accounts import authenticate as authenticate
from pmo_saas.identity.accounts import register as register
from pmo_saas.identity.accounts import request_password_reset as request_password_reset
from pmo_saas.identity.accounts import reset_password as reset_password
from pmo_saas.identity.accounts import sign_up as sign_up
from pmo_saas.identity.invitations import accept_invitation as accept_invitation
from pmo_saas.identity.invitations import invite_member as invite_member
from pmo_saas.identity.invitations import list_invitations as list_invitations
from pmo_saas.identity.invitations import preview_invitation as preview_invitation
from pmo_saas.identity.invitations import revoke_invitation as revoke_invitation
from pmo_saas.identity.models import (
    AuditEvent,
    Membership,
    Organization,
    OutboxMessage,
    SignInTicket,
    Team,
    TeamMember,
    User,
    UserSession,
)
from pmo_saas.identity.plan_rules import check_writable, seats_changed
from pmo_saas.identity.schemas import (
    AuditRow,
    MemberRow,
    OrgChoice,
    OutboxRow,
    SessionUser,
    TeamRow,
)
from pmo_saas.identity.security import hash_binding, hash_token, new_token
from pmo_saas.identity.validation import COMMON_PASSWORDS as COMMON_PASSWORDS
from pmo_saas.identity.validation import MIN_PASSWORD_LENGTH as MIN_PASSWORD_LENGTH
from pmo_saas.identity.validation import check_password as check_password
from pmo_saas.identity.validation import clean_email as clean_email
from pmo_saas.identity.validation import clean_name as clean_name
from pmo_saas.identity.validation import slugify as slugify
from pmo_saas.identity.verification import email_verified as email_verified
from pmo_saas.identity.verification import require_verified_email as require_verified_email
from pmo_saas.identity.verification import resend_verification as resend_verification
from pmo_saas.identity.verification import verify_email as verify_email
from pmo_saas.kernel.clock import as_utc, utcnow
from pmo_saas.kernel.context import TenantContext
from pmo_saas.kernel.errors import (
    Conflict,
    Forbidden,
    NotFound,
    ValidationFailed,
)
from pmo_saas.kernel.roles import Role
from pmo_saas.settings import get_settings

TICKET_SECONDS = 60


# ---------------------------------------------------------------- organisations


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
    check_writable(session=session, ctx=ctx)  # Organization is no tenant table: no hook
    name = clean_name(name, what="organisation name")
    org = session.get(Organization, ctx.org_id)
    if org is None:
        raise NotFound("That organisation")
    old, org.name = org.name, name
    session.add(org)
    audit.record(session=session, ctx=ctx, action="org.renamed", target=name, detail=f"was {old}")


# ---------------------------------------------------------------- sessions


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


def _live(revoked_at: object, expires_at: datetime) -> bool:
    return revoked_at is None and as_utc(expires_at) >= utcnow()


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
    if not _live(user_session.revoked_at, user_session.expires_at):
        return None
    assert user.id is not None
    return SessionUser(user_id=user.id, email=user.email, name=user.name)


# Built once (each event runs it): the caller's session, user, and membership in the
# organisation of the URL, with that organisation's data version.
_WORKSPACE_SESSION = (
    select(  # type: ignore[call-overload]
        UserSession.revoked_at,
        UserSession.expires_at,
        User.id,
        User.email,
        User.name,
        Organization.id,
        Organization.data_version,
        Membership.role,
    )
    .join(User, col(User.id) == UserSession.user_id)
    .outerjoin(Organization, col(Organization.slug) == bindparam("slug"))
    .outerjoin(
        Membership,
        (col(Membership.org_id) == Organization.id) & (col(Membership.user_id) == User.id),
    )
    .where(UserSession.token_hash == bindparam("token_hash"))
)


def resolve_workspace_session(
    *, token: str, slug: str
) -> tuple[SessionUser | None, TenantContext | None]:
    """`resolve_session` and `workspace_context` in one query (each event asks both): the
    signed-in user, or None; and their context in the organisation `slug`, or None when they
    are not a member of it (or `slug` is empty). Read on every event, never cached: a revoked
    session or a removed member is refused on the next one. A plain read on a connection (no
    ORM session: nothing is written, and it is most of an event's database work)."""
    if not token:
        return None, None
    with get_engine().connect() as connection:
        row = connection.execute(
            _WORKSPACE_SESSION, {"slug": slug, "token_hash": hash_token(token)}
        ).first()
        connection.rollback()
    if row is None:
        return None, None
    revoked_at, expires_at, user_id, email, name, org_id, version, role = row
    if not _live(revoked_at, expires_at):
        return None, None
    user = SessionUser(user_id=user_id, email=email, name=name)
    if not slug or org_id is None or role is None:
        return user, None
    return user, TenantContext(
        org_id=org_id,
        user_id=user_id,
        role=Role(role),
        org_slug=slug,
        data_version=version,
        user_email=email,
    )


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
    seats_changed(session=session, org_id=ctx.org_id)  # the billed seats go down too


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
    # Compared in Python: SQLite's lower() folds ASCII only ("Équipe" vs "équipe" would pass
    # the check and then hit the unique index). An organisation has few teams.
    wanted = name.casefold()
    for team_id, other in session.exec(select(Team.id, Team.name)).all():
        if other.casefold() == wanted and team_id != except_id:
            raise Conflict(f"A team called {name!r} already exists.")


def create_team(*, session: Session, ctx: TenantContext, name: str) -> int:
    ctx.require(Role.ADMIN, "Only owners and admins can create teams.")
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
    name = clean_name(name, what="team name")
    team = _team(session, team_id)
    _check_team_name_free(session, name, except_id=team_id)
    old, team.name = team.name, name
    session.add(team)
    audit.record(session=session, ctx=ctx, action="team.renamed", target=name, detail=f"was {old}")


def delete_team(*, session: Session, ctx: TenantContext, team_id: int) -> None:
    ctx.require(Role.ADMIN, "Only owners and admins can delete teams.")
    team = _team(session, team_id)
    session.exec(delete(TeamMember).where(col(TeamMember.team_id) == team_id))
    session.delete(team)
    audit.record(session=session, ctx=ctx, action="team.deleted", target=team.name)


def add_team_member(
    *, session: Session, ctx: TenantContext, team_id: int, membership_id: int
) -> None:
    ctx.require(Role.ADMIN, "Only owners and admins can change teams.")
    check_writable(session=session, ctx=ctx)  # TeamMember unguarded: remove_member shrinks seats
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
    check_writable(session=session, ctx=ctx)  # TeamMember unguarded: remove_member shrinks seats
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
