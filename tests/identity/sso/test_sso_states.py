# mypy: disable-error-code="operator,arg-type"
"""SSO page states, called as the websocket would: roles checked on the server, the client
secret never kept in a var, the role mapping parsed with clear messages, and the SSO sign-in
form handing over to the backend route."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import func
from sqlmodel import select

from pmo_saas.db import system_session
from pmo_saas.identity import services as identity
from pmo_saas.identity import sso
from pmo_saas.identity.pages.sso import (
    SsoSettingsState,
    SsoSignInState,
    mapping_text,
    parse_role_mapping,
)
from pmo_saas.identity.sso_models import SsoConnection
from pmo_saas.kernel.context import TenantContext
from pmo_saas.kernel.errors import ValidationFailed
from pmo_saas.kernel.roles import Role
from tests import factories
from tests.peers.oidc import free_port
from tests.state_harness import run, state_for

SECRET = "client-secret-typed-once-4711"


def _form(issuer: str = "https://login.a.example", **changes: str) -> dict[str, str]:
    form = {
        "issuer_url": issuer,
        "client_id": "pmo-client",
        "client_secret": SECRET,
        "domains": "a.example, sub.a.example",
        "default_role": "coach",
        "enabled": "on",
        "role_claim": "groups",
        "role_mapping": "pmo-admins = admin\n\n  coaches=coach  ",
    }
    form.update(changes)
    return form


def _connections() -> int:
    with system_session() as session:
        return session.exec(select(func.count()).select_from(SsoConnection)).one()


def _path(ctx: TenantContext) -> str:
    return f"/o/{ctx.org_slug}/settings/sso"


def _vars(state: SsoSettingsState) -> str:
    """Everything the state would send the browser."""
    return json.dumps(state.dict(), default=str)


def test_role_mapping_text_round_trips_and_bad_lines_are_named() -> None:
    mapping = parse_role_mapping("pmo-admins = admin\n\ncn=coaches,ou=groups = Coach\n")
    assert mapping == {"pmo-admins": "admin", "cn=coaches,ou=groups": "coach"}
    assert parse_role_mapping(mapping_text(mapping)) == mapping
    with pytest.raises(ValidationFailed, match="Line 2 of the role mapping"):
        parse_role_mapping("a = admin\njust-a-group")
    with pytest.raises(ValidationFailed, match="Line 1"):
        parse_role_mapping(" = admin")


def test_admin_saves_through_the_page_and_the_secret_is_never_in_a_var(org_a) -> None:
    admin = factories.make_member(org_a, Role.ADMIN)
    token = identity.start_session(user_id=admin.user_id)

    async def scenario() -> None:
        state = await state_for(SsoSettingsState, token=token, path=_path(org_a))
        await state.load()
        assert state.loaded and not state.configured and state.error == ""
        assert state.redirect_uri.endswith("/sso/callback")
        version = state.form_version

        await state.save(_form())
        assert state.error == "", state.error
        assert state.notice.startswith("Single sign-on is set up.")
        assert "Prove a.example, sub.a.example under Email domains" in state.notice
        assert state.configured and state.secret_set and state.enabled and not state.require_sso
        assert state.default_role == "coach"
        assert state.domains == "a.example, sub.a.example"
        assert state.role_mapping == "coaches = coach\npmo-admins = admin"
        assert state.form_version > version  # the form is rebuilt: the secret field empties
        assert SECRET not in _vars(state)

        # Saving without a secret keeps the saved one; unchecked boxes arrive as absent keys.
        await state.save(_form(client_secret="", default_role="member", enabled=""))
        assert state.error == "" and not state.enabled and state.default_role == "member"
        with system_session() as session:
            row = session.exec(select(SsoConnection)).one()
        assert sso.decrypt_secret(row.client_secret_encrypted) == SECRET

        # A refused save keeps what was saved and says why.
        version = state.form_version
        await state.save(_form(role_mapping="admins admin"))
        assert "Line 1 of the role mapping" in state.error
        await state.save(_form(default_role="owner"))
        assert "cannot make anyone an owner" in state.error
        await state.save(_form(require_sso="on", enabled=""))
        assert "switched off" in state.error
        assert state.form_version == version and state.default_role == "member"

        # A fresh load shows "a secret is set", never the secret.
        again = await state_for(SsoSettingsState, token=token, path=_path(org_a))
        await again.load()
        assert again.secret_set and SECRET not in _vars(again)

        await again.remove()
        assert again.error == "" and not again.configured and "removed" in again.notice
        assert _connections() == 0

    run(scenario())


def test_member_and_coach_are_refused_by_the_server(org_a) -> None:
    for role in (Role.MEMBER, Role.COACH):
        person = factories.make_member(org_a, role)
        token = identity.start_session(user_id=person.user_id)

        async def scenario() -> None:
            state = await state_for(SsoSettingsState, token=token, path=_path(org_a))  # noqa: B023
            await state.load()
            assert state.error == "This needs the admin role or higher."
            assert not state.loaded and not state.configured
            await state.save(_form())
            assert "admin role" in state.error
            state.issuer_draft = "https://login.a.example"
            async for _ in state.test_connection():
                pass
            assert "admin role" in state.error and state.test_message == ""
            await state.remove()
            assert "admin role" in state.error

        run(scenario())
    assert _connections() == 0


def test_other_org_admin_cannot_reach_this_orgs_settings(org_a, org_b) -> None:
    owner_b = identity.start_session(user_id=org_b.user_id)

    async def scenario() -> None:
        a_admin = identity.start_session(user_id=org_a.user_id)
        state_a = await state_for(SsoSettingsState, token=a_admin, path=_path(org_a))
        await state_a.save(_form())
        assert state_a.error == ""
        state = await state_for(SsoSettingsState, token=owner_b, path=_path(org_a))
        await state.load()
        assert "not found" in state.error.lower() and state.issuer_url == ""
        await state.remove()
        assert "not found" in state.error.lower()

    run(scenario())
    assert _connections() == 1


def test_test_connection_shows_what_discovery_found_or_why_it_failed(org_a, idp1: str) -> None:
    token = identity.start_session(user_id=org_a.user_id)

    async def scenario() -> None:
        state = await state_for(SsoSettingsState, token=token, path=_path(org_a))
        await state.load()
        state.set_issuer_draft(idp1)
        steps = [state.testing async for _ in state.test_connection()]
        assert steps and steps[0] is True and state.testing is False
        assert state.test_ok, state.test_message
        assert state.test_message.startswith(f"Found {idp1}")
        found = {row.label: row.value for row in state.test_found}
        assert found["Issuer"] == idp1
        assert found["Token endpoint"].startswith(idp1)
        assert "S256" in found["PKCE methods"] or found["PKCE methods"] == "not listed"

        state.set_issuer_draft(f"http://127.0.0.1:{free_port()}")
        async for _ in state.test_connection():
            pass
        assert not state.test_ok and state.test_message and state.test_found == []

        state.set_issuer_draft("ftp://login.example.com")
        async for _ in state.test_connection():
            pass
        assert not state.test_ok and "issuer URL" in state.test_message

    run(scenario())


def _script(spec: object) -> str:
    return str(spec)


def test_sign_in_with_sso_hands_over_to_the_backend_route() -> None:
    async def scenario() -> None:
        state = await state_for(SsoSignInState, token="", path="/signin/sso")
        state.load()
        assert state.error == "" and state.social == []

        spec = state.start({"who": "  ada@a.example "})
        assert state.error == ""
        assert "/sso/start?email=ada%40a.example" in _script(spec)
        assert "window.location.assign" in _script(spec)

        spec = state.start({"who": "acme-corp"})
        assert "/sso/start?org=acme-corp" in _script(spec)

        assert state.start({"who": "   "}) is None
        assert "work email" in state.error

        assert state.start_social("google") is None
        assert "not available" in state.error

    run(scenario())
