"""Reflex states enforce roles on the server, whatever the page shows.

Each handler is called as the websocket would call it: a state tree whose router carries the
browser's request headers (with the HttpOnly session cookie) and the page URL.
"""

from __future__ import annotations

import pytest
from sqlalchemy import func
from sqlmodel import select

from pmo_saas.db import system_session
from pmo_saas.identity import services as identity
from pmo_saas.identity.auth_state import AuthState
from pmo_saas.identity.models import Invitation, Membership, Organization, Team
from pmo_saas.identity.pages.admin import AuditState, OrgSettingsState, OutboxState
from pmo_saas.identity.pages.members import MembersState, TeamsState
from pmo_saas.kernel.roles import Role
from tests import factories
from tests.state_harness import run, state_for


def _count(model) -> int:
    with system_session() as session:
        return session.exec(select(func.count()).select_from(model)).one()


@pytest.fixture
def member_token(org_a):
    member = factories.make_member(org_a, Role.MEMBER)
    return identity.start_session(user_id=member.user_id)


def test_member_is_refused_admin_actions(org_a, member_token):
    async def scenario():
        members_path = f"/o/{org_a.org_slug}/members"
        state = await state_for(MembersState, token=member_token, path=members_path)
        await state.invite({"email": "evil@example.com", "role": "admin"})
        assert state.error == "This needs the admin role or higher."
        with system_session() as session:
            owner_membership = session.exec(
                select(Membership.id).where(Membership.user_id == org_a.user_id)
            ).one()
        await state.change_role(owner_membership, "viewer")
        assert "admin role" in state.error
        await state.remove(owner_membership)
        assert "admin role" in state.error
        teams = await state_for(TeamsState, token=member_token, path=f"/o/{org_a.org_slug}/teams")
        await teams.create({"name": "Rogue"})
        assert "admin role" in teams.error
        settings = await state_for(
            OrgSettingsState, token=member_token, path=f"/o/{org_a.org_slug}/settings"
        )
        await settings.rename({"name": "Renamed"})
        assert "admin role" in settings.error
        assert _count(Invitation) == 0 and _count(Team) == 0
        with system_session() as session:
            assert session.get(Organization, org_a.org_id).name == "Org A"
            assert session.get(Membership, owner_membership).role == Role.OWNER

    run(scenario())


def test_member_is_refused_admin_pages(org_a, member_token):
    async def scenario():
        for cls, page in ((AuditState, "audit"), (OutboxState, "outbox")):
            state = await state_for(cls, token=member_token, path=f"/o/{org_a.org_slug}/{page}")
            await state.load()
            assert state.error == "This needs the admin role or higher."
            assert state.rows == []

    run(scenario())


def test_admin_can_invite_through_thestate_for(org_a):
    async def scenario():
        token = identity.start_session(user_id=org_a.user_id)
        state = await state_for(MembersState, token=token, path=f"/o/{org_a.org_slug}/members")
        await state.invite({"email": "new@example.com", "role": "coach"})
        assert state.error == ""
        assert [i.email for i in state.invitations] == ["new@example.com"]

    run(scenario())


def test_no_session_or_revoked_session_is_refused(org_a):
    async def scenario():
        token = identity.start_session(user_id=org_a.user_id)
        identity.revoke_session(token=token)
        for bad in (token, "", "forged-token"):
            state = await state_for(MembersState, token=bad, path=f"/o/{org_a.org_slug}/members")
            await state.load()
            assert state.error == "Your session has ended. Sign in again."
            assert state.members == []

    run(scenario())


def test_another_orgs_workspace_is_not_found(org_a, org_b):
    async def scenario():
        token = identity.start_session(user_id=org_a.user_id)
        state = await state_for(MembersState, token=token, path=f"/o/{org_b.org_slug}/members")
        await state.load()
        assert state.error == "That organisation was not found."
        assert state.members == []
        auth = await state_for(AuthState, token=token, path=f"/o/{org_b.org_slug}/members")
        await auth.load_workspace()
        assert auth.org_slug == "" and "not found" in auth.workspace_error

    run(scenario())


def test_signed_out_workspace_load_redirects_to_sign_in(org_a):
    async def scenario():
        auth = await state_for(AuthState, token="", path=f"/o/{org_a.org_slug}/teams")
        event = await auth.load_workspace()
        assert "/signin?next=" in str(event)

    run(scenario())


def test_auth_state_holds_no_secret(org_a):
    async def scenario():
        token = identity.start_session(user_id=org_a.user_id)
        auth = await state_for(AuthState, token=token, path=f"/o/{org_a.org_slug}")
        await auth.load_workspace()
        assert auth.role == "owner"
        serialised = str(auth.dict())
        assert token not in serialised
        assert "argon2" not in serialised

    run(scenario())
