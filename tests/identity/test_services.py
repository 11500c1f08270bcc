"""Identity services: sign-up, sign-in, sessions, invitations, members, teams, reset, audit."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func
from sqlmodel import select

from pmo_saas.db import system_session, tenant_session
from pmo_saas.identity import services as identity
from pmo_saas.identity.models import (
    AuditEvent,
    Invitation,
    Membership,
    Organization,
    OutboxMessage,
    User,
)
from pmo_saas.kernel import clock
from pmo_saas.kernel.errors import (
    Conflict,
    Forbidden,
    NotFound,
    RateLimited,
    ValidationFailed,
)
from pmo_saas.kernel.roles import Role
from tests import factories
from tests.factories import PASSWORD


def _count(model) -> int:
    with system_session() as session:
        return session.exec(select(func.count()).select_from(model)).one()


def _invite(ctx, email: str, role: str = "member") -> str:
    """Invite and return the token read back from the mail SMTP delivered."""
    with tenant_session(ctx) as session:
        identity.invite_member(session=session, ctx=ctx, email=email, role=role)
    return factories.invitation_token(email.lower())


# ---------------------------------------------------------------- sign-up


def test_sign_up_creates_org_owner_and_audit():
    user_id, slug = identity.sign_up(
        org_name="Acme Rockets", name="Ada", email="Ada@Example.com", password=PASSWORD
    )
    assert slug == "acme-rockets"
    ctx = identity.workspace_context(user_id=user_id, slug=slug)
    assert ctx.role == Role.OWNER
    with system_session() as session:
        assert session.get(User, user_id).email == "ada@example.com"
    with tenant_session(ctx) as session:
        actions = [r.action for r in identity.list_audit(session=session, ctx=ctx)]
    assert actions == ["org.created"]


def test_second_org_with_same_name_gets_its_own_slug():
    identity.sign_up(org_name="Acme", name="A", email="a@example.com", password=PASSWORD)
    _, slug = identity.sign_up(org_name="Acme", name="B", email="b@example.com", password=PASSWORD)
    assert slug == "acme-2"


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"email": "not-an-email"}, "That email address is not valid"),
        ({"email": ""}, "Enter your email address."),
        ({"password": "short1"}, "at least 10 characters"),
        ({"password": "password123"}, "too easy to guess"),
        ({"password": "aaaaaaaaaaaa"}, "too easy to guess"),
        ({"org_name": "   "}, "Enter a organisation name."),
        ({"name": ""}, "Enter a name."),
    ],
)
def test_sign_up_refuses_bad_input_and_writes_nothing(fields, message):
    data = {"org_name": "Acme", "name": "Ada", "email": "ada@example.com", "password": PASSWORD}
    data.update(fields)
    with pytest.raises(ValidationFailed, match=message):
        identity.sign_up(**data)
    assert _count(User) == 0
    assert _count(Organization) == 0


def test_sign_up_refuses_duplicate_email_and_writes_nothing():
    identity.sign_up(org_name="First", name="Ada", email="ada@example.com", password=PASSWORD)
    with pytest.raises(Conflict, match="already exists"):
        identity.sign_up(org_name="Second", name="Ada", email="ADA@example.com", password=PASSWORD)
    assert _count(Organization) == 1
    assert _count(User) == 1


# ---------------------------------------------------------------- sign-in and sessions


def test_authenticate_right_and_wrong_password(org_a):
    with system_session() as session:
        email = session.get(User, org_a.user_id).email
    assert identity.authenticate(email=email, password=PASSWORD) == org_a.user_id
    with pytest.raises(ValidationFailed, match="Wrong email or password"):
        identity.authenticate(email=email, password="wrong-password-123")
    with pytest.raises(ValidationFailed, match="Wrong email or password"):
        identity.authenticate(email="nobody@example.com", password=PASSWORD)


def test_failed_attempts_are_limited_with_the_generic_message(org_a):
    with system_session() as session:
        email = session.get(User, org_a.user_id).email
    for _ in range(5):
        with pytest.raises(ValidationFailed):
            identity.authenticate(email=email, password="wrong-password-123", client_ip="10.9.9.9")
    # From that client, even the right password waits: the message says how long, not why.
    with pytest.raises(RateLimited, match=r"^Too many attempts; try again in 1 minute\.$"):
        identity.authenticate(email=email, password=PASSWORD, client_ip="10.9.9.9")


def test_session_lifecycle_ticket_redeem_resolve_revoke(org_a):
    ticket = identity.issue_signin_ticket(
        user_id=org_a.user_id, next_path="/o/x", browser_binding="browser-1"
    )
    token, next_path = identity.redeem_signin_ticket(ticket=ticket, browser_binding="browser-1")
    assert next_path == "/o/x"
    user = identity.resolve_session(token=token)
    assert user is not None and user.user_id == org_a.user_id
    with pytest.raises(NotFound):
        identity.redeem_signin_ticket(ticket=ticket, browser_binding="browser-1")  # one-time
    identity.revoke_session(token=token)
    assert identity.resolve_session(token=token) is None
    assert identity.resolve_session(token="guessed-token") is None


def test_tickets_and_sessions_expire(org_a):
    ticket = identity.issue_signin_ticket(user_id=org_a.user_id, browser_binding="b")
    clock.freeze(clock.utcnow() + timedelta(seconds=61))
    with pytest.raises(NotFound):
        identity.redeem_signin_ticket(ticket=ticket, browser_binding="b")
    clock.freeze(None)
    token = identity.start_session(user_id=org_a.user_id)
    clock.freeze(clock.utcnow() + timedelta(days=15))
    assert identity.resolve_session(token=token) is None


@pytest.mark.parametrize("path", ["https://evil.example/x", "//evil.example", "o/x", "/\\evil"])
def test_next_path_never_redirects_off_site(path):
    assert identity.safe_next_path(path) == "/"


def test_memberships_and_switching_between_orgs(org_a):
    slug_b = identity.create_organization(user_id=org_a.user_id, org_name="Second Org")
    choices = identity.list_memberships(user_id=org_a.user_id)
    assert {c.slug for c in choices} == {org_a.org_slug, slug_b}
    ctx_b = identity.workspace_context(user_id=org_a.user_id, slug=slug_b)
    assert ctx_b.org_id != org_a.org_id and ctx_b.role == Role.OWNER


def test_workspace_of_another_org_is_not_found(org_a, org_b):
    with pytest.raises(NotFound) as theirs:
        identity.workspace_context(user_id=org_a.user_id, slug=org_b.org_slug)
    with pytest.raises(NotFound) as missing:
        identity.workspace_context(user_id=org_a.user_id, slug="no-such-org")
    assert str(theirs.value) == str(missing.value)


# ---------------------------------------------------------------- invitations


def test_invitation_new_account_joins_with_role(org_a):
    token = _invite(org_a, "New.Person@Example.com", "coach")
    preview = identity.preview_invitation(token=token)
    assert preview.email == "new.person@example.com" and preview.role == "coach"
    user_id, slug = identity.accept_invitation(token=token, name="New Person", password=PASSWORD)
    assert slug == org_a.org_slug
    assert identity.workspace_context(user_id=user_id, slug=slug).role == Role.COACH
    with pytest.raises(Conflict, match="already been used"):
        identity.accept_invitation(token=token, name="Again", password=PASSWORD)


def test_invitation_existing_account_needs_its_password(org_a, org_b):
    with system_session() as session:
        email_b = session.get(User, org_b.user_id).email
    token = _invite(org_a, email_b)
    with pytest.raises(ValidationFailed, match="Wrong email or password"):
        identity.accept_invitation(token=token, name="", password="wrong-password-123")
    with system_session() as session:
        assert session.exec(select(Invitation)).one().accepted_at is None
    user_id, _ = identity.accept_invitation(token=token, name="", password=PASSWORD)
    assert user_id == org_b.user_id
    assert {c.slug for c in identity.list_memberships(user_id=user_id)} == {
        org_a.org_slug,
        org_b.org_slug,
    }


def test_expired_revoked_and_guessed_invitations_are_refused(org_a):
    token = _invite(org_a, "late@example.com")
    clock.freeze(clock.utcnow() + timedelta(days=8))
    with pytest.raises(Conflict, match="expired"):
        identity.preview_invitation(token=token)
    with pytest.raises(Conflict, match="expired"):
        identity.accept_invitation(token=token, name="Late", password=PASSWORD)
    clock.freeze(None)
    assert _count(User) == 1  # nothing half-written
    with pytest.raises(NotFound):
        identity.preview_invitation(token="guessed")
    first = _invite(org_a, "twice@example.com")
    _invite(org_a, "twice@example.com")  # a new invitation replaces the old one
    with pytest.raises(NotFound):
        identity.accept_invitation(token=first, name="Twice", password=PASSWORD)


def test_accepting_with_weak_password_writes_nothing(org_a):
    token = _invite(org_a, "weak@example.com")
    with pytest.raises(ValidationFailed, match="at least 10"):
        identity.accept_invitation(token=token, name="Weak", password="short")
    assert _count(User) == 1
    with system_session() as session:
        assert session.exec(select(Invitation)).one().accepted_at is None


def test_invite_refusals(org_a):
    member = factories.make_member(org_a, Role.MEMBER)
    admin = factories.make_member(org_a, Role.ADMIN)
    with tenant_session(member) as session, pytest.raises(Forbidden):
        identity.invite_member(session=session, ctx=member, email="x@example.com", role="member")
    with tenant_session(admin) as session, pytest.raises(Forbidden, match="Only an owner"):
        identity.invite_member(session=session, ctx=admin, email="x@example.com", role="owner")
    with tenant_session(org_a) as session, pytest.raises(ValidationFailed, match="not valid"):
        identity.invite_member(session=session, ctx=org_a, email="x@", role="member")
    with tenant_session(org_a) as session, pytest.raises(ValidationFailed, match="Unknown role"):
        identity.invite_member(session=session, ctx=org_a, email="x@example.com", role="boss")
    with system_session() as session:
        admin_email = session.get(User, admin.user_id).email
    with tenant_session(org_a) as session, pytest.raises(Conflict, match="already a member"):
        identity.invite_member(session=session, ctx=org_a, email=admin_email, role="member")
    assert _count(Invitation) == 0


# ---------------------------------------------------------------- members


def _membership_id(ctx) -> int:
    with tenant_session(ctx) as session:
        return session.exec(select(Membership.id).where(Membership.user_id == ctx.user_id)).one()


def test_change_role_and_last_owner_rules(org_a):
    member = factories.make_member(org_a, Role.MEMBER)
    admin = factories.make_member(org_a, Role.ADMIN)
    owner_membership = _membership_id(org_a)
    with tenant_session(org_a) as session:
        identity.change_role(
            session=session, ctx=org_a, membership_id=_membership_id(member), role="coach"
        )
    assert identity.workspace_context(user_id=member.user_id, slug=org_a.org_slug).role == "coach"
    with tenant_session(org_a) as session, pytest.raises(Conflict, match="last owner"):
        identity.change_role(
            session=session, ctx=org_a, membership_id=owner_membership, role="admin"
        )
    with tenant_session(org_a) as session, pytest.raises(Conflict, match="last owner"):
        identity.remove_member(session=session, ctx=org_a, membership_id=owner_membership)
    with tenant_session(admin) as session, pytest.raises(Forbidden):
        identity.remove_member(session=session, ctx=admin, membership_id=owner_membership)
    with tenant_session(member) as session, pytest.raises(Forbidden):
        identity.change_role(
            session=session, ctx=member, membership_id=_membership_id(admin), role="viewer"
        )
    with tenant_session(admin) as session:
        identity.remove_member(session=session, ctx=admin, membership_id=_membership_id(member))
    with pytest.raises(NotFound):
        identity.workspace_context(user_id=member.user_id, slug=org_a.org_slug)
    with tenant_session(org_a) as session:
        actions = [r.action for r in identity.list_audit(session=session, ctx=org_a)]
    assert "member.role_changed" in actions and "member.removed" in actions


def test_a_second_owner_makes_demotion_possible(org_a):
    other = factories.make_member(org_a, Role.ADMIN)
    with tenant_session(org_a) as session:
        identity.change_role(
            session=session, ctx=org_a, membership_id=_membership_id(other), role="owner"
        )
        identity.change_role(
            session=session, ctx=org_a, membership_id=_membership_id(org_a), role="admin"
        )
    assert identity.workspace_context(user_id=org_a.user_id, slug=org_a.org_slug).role == "admin"


# ---------------------------------------------------------------- teams


def test_teams_create_rename_members_delete(org_a):
    member = factories.make_member(org_a, Role.MEMBER, name="Mia")
    with tenant_session(org_a) as session:
        team_id = identity.create_team(session=session, ctx=org_a, name="  Alpha   Team ")
        with pytest.raises(Conflict, match="already exists"):
            identity.create_team(session=session, ctx=org_a, name="alpha team")
        identity.add_team_member(
            session=session, ctx=org_a, team_id=team_id, membership_id=_membership_id(member)
        )
        identity.rename_team(session=session, ctx=org_a, team_id=team_id, name="Bravo")
        teams = identity.list_teams(session=session, ctx=org_a)
    assert [(t.name, t.member_count) for t in teams] == [("Bravo", 1)]
    assert teams[0].members[0].name == "Mia"
    with tenant_session(member) as session, pytest.raises(Forbidden):
        identity.create_team(session=session, ctx=member, name="Mine")
    with tenant_session(org_a) as session:
        identity.remove_team_member(
            session=session, ctx=org_a, team_id=team_id, membership_id=_membership_id(member)
        )
        identity.delete_team(session=session, ctx=org_a, team_id=team_id)
        assert identity.list_teams(session=session, ctx=org_a) == []
    with tenant_session(org_a) as session, pytest.raises(ValidationFailed, match="Enter a team"):
        identity.create_team(session=session, ctx=org_a, name="  ")


# ---------------------------------------------------------------- password reset


def _reset_token(email: str) -> str:
    with system_session() as session:
        mail = session.exec(select(OutboxMessage).where(OutboxMessage.to_email == email)).one()
    assert mail.org_id is None  # no organisation's outbox page lists it
    (token,) = factories.reset_tokens(email)  # as SMTP delivered it
    assert token not in mail.body  # the row holds no usable link
    return token


def test_password_reset_by_one_time_link(org_a):
    with system_session() as session:
        email = session.get(User, org_a.user_id).email
    old_session = identity.start_session(user_id=org_a.user_id)
    identity.request_password_reset(email=email)
    identity.request_password_reset(email="nobody@example.com")  # says nothing, sends nothing
    token = _reset_token(email)
    with pytest.raises(ValidationFailed, match="at least 10"):
        identity.reset_password(token=token, password="short")
    identity.reset_password(token=token, password="a-brand-new-password-7")
    assert identity.authenticate(email=email, password="a-brand-new-password-7") == org_a.user_id
    assert identity.resolve_session(token=old_session) is None  # other sessions ended
    with pytest.raises(Conflict, match="already been used"):
        identity.reset_password(token=token, password="another-password-88")


def test_expired_reset_link_is_refused(org_a):
    with system_session() as session:
        email = session.get(User, org_a.user_id).email
    identity.request_password_reset(email=email)
    token = _reset_token(email)
    clock.freeze(clock.utcnow() + timedelta(minutes=61))
    with pytest.raises(Conflict, match="expired"):
        identity.reset_password(token=token, password="a-brand-new-password-7")


# ---------------------------------------------------------------- audit, outbox


def test_audit_log_and_outbox_are_admin_only_and_org_scoped(org_a, org_b):
    _invite(org_a, "someone@example.com")
    member = factories.make_member(org_a, Role.MEMBER)
    with tenant_session(member) as session, pytest.raises(Forbidden):
        identity.list_audit(session=session, ctx=member)
    with tenant_session(member) as session, pytest.raises(Forbidden):
        identity.list_outbox(session=session, ctx=member)
    with tenant_session(org_a) as session:
        assert [m.to_email for m in identity.list_outbox(session=session, ctx=org_a)] == [
            "someone@example.com"
        ]
    with tenant_session(org_b) as session:
        assert identity.list_outbox(session=session, ctx=org_b) == []
        assert {r.action for r in identity.list_audit(session=session, ctx=org_b)} == {
            "org.created",
            "user.email_verified",
        }
    with system_session() as session:
        assert session.exec(select(func.count()).select_from(AuditEvent)).one() >= 3


def test_sign_in_is_audited_in_each_org(org_a):
    with system_session() as session:
        email = session.get(User, org_a.user_id).email
    identity.authenticate(email=email, password=PASSWORD)
    with tenant_session(org_a) as session:
        actions = [r.action for r in identity.list_audit(session=session, ctx=org_a)]
    assert actions[0] == "user.signed_in"
