"""The reset, invitation and verification links never stay in Reflex's state store.

Each page is driven through a real state manager (the `.states` pickles, or Redis when
PMO_REDIS_URL is set) as Reflex's event processor drives it: the router data an event carries
(the link's URL, the socket's cookie and referer) is applied to the persisted state, the
handler runs, the manager writes the tree. The store is read after the link is opened, then a
new manager (a restarted server) reads the persisted state back and the form is submitted;
the store is read again. The flows still succeed; the store holds neither token nor link.
"""

from __future__ import annotations

import re
import secrets
import time
from typing import Any

import pytest
from reflex.istate.manager.token import BaseStateToken
from sqlmodel import select

from pmo_saas.db import system_session, tenant_session
from pmo_saas.identity import link_tokens
from pmo_saas.identity import services as identity
from pmo_saas.identity.models import User
from pmo_saas.identity.pages.public import InviteState, ResetState, VerifyEmailState
from pmo_saas.settings import get_settings
from tests import factories
from tests.factories import PASSWORD
from tests.peers import smtp
from tests.state_harness import run
from tests.surveys.test_state_store import _dump, _manager

SESSION_COOKIE = "pmo_session=" + "d" * 43
NEW_PASSWORD = "another-horse-battery-7"


def _link_token(email: str, marker: str) -> str:
    """The token of the newest mail to `email` holding a `marker` link, as SMTP delivered it
    (the outbox keeps such links masked; tests/identity/conftest.py mails through the peer)."""
    return smtp.last_link(email, re.escape(marker) + r"([\w-]+)")


def _email_of(user_id: int) -> str:
    with system_session() as session:
        user = session.get(User, user_id)
        assert user is not None
        return user.email


def _router_data(client: str, path: str, route: str, opened: str) -> dict[str, Any]:
    """What an event carries; the socket's headers are those of the page it opened on."""
    return {
        "token": client,
        "sid": "sid-" + client[:6],
        "ip": "203.0.113.90",
        "pathname": route,
        "asPath": path,
        "query": {"token": path.rsplit("/", 1)[-1]} if route.endswith("[token]") else {},
        "headers": {
            "origin": "http://test",
            "cookie": SESSION_COOKIE,
            "referer": "http://test" + opened,
            "user-agent": "probe",
        },
    }


async def _event(
    manager: Any, client: str, cls: type, router_data: dict, handler: str, *args: Any
) -> Any:
    async with manager.modify_state(BaseStateToken(ident=client, cls=cls)) as root:
        previous = root.router_data
        if router_data and previous != router_data:
            merged = root._update_router_vars(router_data, previous)
            if merged != previous:
                root.router_data = merged
        if not handler:
            return None
        state = await root.get_state(cls)
        result = getattr(state, handler)(*args)
        return await result if hasattr(result, "__await__") else result


async def _state(manager: Any, client: str, cls: type) -> Any:
    async with manager.modify_state(BaseStateToken(ident=client, cls=cls)) as root:
        return await root.get_state(cls)


async def _open(manager: Any, client: str, cls: type, base: str, token: str) -> Any:
    """The browser opens `<base>/<token>`, hydrates, and is sent on to `<base>`."""
    link = f"{base}/{token}"
    opened = _router_data(client, link, f"{base}/[token]", link)
    event = await _event(manager, client, cls, opened, "load")
    assert event is not None and base in str(event) and token not in str(event)
    await _event(manager, client, cls, opened, "")  # the chained set_is_hydrated
    neutral = _router_data(client, base, base, link)
    assert await _event(manager, client, cls, neutral, "load") is None
    return neutral


def _assert_no_link(blobs: list[bytes], token: str, base: str) -> None:
    assert blobs, "the state store holds the tab's state"
    dump = b"\n".join(blobs)
    assert token.encode() not in dump
    assert f"{base}/".encode() not in dump  # no link of any kind
    assert SESSION_COOKIE.encode() not in dump


def test_a_reset_link_leaves_no_token_in_the_store_and_still_resets(org_a, tmp_path, monkeypatch):
    email = _email_of(org_a.user_id)
    identity.request_password_reset(email=email, client_ip="203.0.113.90")
    token = _link_token(email, "/reset/")
    client = secrets.token_hex(16)

    async def opened() -> list[bytes]:
        manager = _manager(tmp_path, monkeypatch)
        await _open(manager, client, ResetState, "/reset", token)
        reset = await _state(manager, client, ResetState)
        assert reset._handle and token not in reset._handle and reset.error == ""
        return await _dump(manager, [client], tmp_path)

    async def submitted() -> list[bytes]:
        manager = _manager(tmp_path, monkeypatch)  # a restarted server: the state is read back
        neutral = _router_data(client, "/reset", "/reset", f"/reset/{token}")
        await _event(manager, client, ResetState, neutral, "submit", {"password": NEW_PASSWORD})
        reset = await _state(manager, client, ResetState)
        assert reset.error == "" and reset.done
        return await _dump(manager, [client], tmp_path)

    _assert_no_link(run(opened()), token, "/reset")
    _assert_no_link(run(submitted()), token, "/reset")
    assert identity.authenticate(email=email, password=NEW_PASSWORD) == org_a.user_id


def test_an_invitation_link_leaves_no_token_in_the_store_and_still_joins(
    org_a, tmp_path, monkeypatch
):
    email = factories.unique_email("invited")
    with tenant_session(org_a) as session:
        identity.invite_member(session=session, ctx=org_a, email=email, role="member")
    token = _link_token(email, "/invite/")
    client = secrets.token_hex(16)

    async def opened() -> list[bytes]:
        manager = _manager(tmp_path, monkeypatch)
        await _open(manager, client, InviteState, "/invite", token)
        invite = await _state(manager, client, InviteState)
        # The preview still shows, once the URL has gone.
        assert invite.error == "" and invite.valid and invite.email == email.lower()
        assert invite.org_name and invite.role == "member"
        return await _dump(manager, [client], tmp_path)

    async def accepted() -> tuple[Any, list[bytes]]:
        manager = _manager(tmp_path, monkeypatch)
        neutral = _router_data(client, "/invite", "/invite", f"/invite/{token}")
        event = await _event(
            manager, client, InviteState, neutral, "accept", {"name": "Ines", "password": PASSWORD}
        )
        invite = await _state(manager, client, InviteState)
        assert invite.error == "", invite.error
        return event, await _dump(manager, [client], tmp_path)

    blobs = run(opened())
    assert email.lower().encode() in b"\n".join(blobs)  # the dump is real: it holds the preview
    _assert_no_link(blobs, token, "/invite")
    event, blobs = run(accepted())
    assert "ticket" in str(event)  # handed over to the sign-in route
    _assert_no_link(blobs, token, "/invite")
    with system_session() as session:
        user = session.exec(select(User).where(User.email == email.lower())).one()
    assert user.id is not None
    assert [o.slug for o in identity.list_memberships(user_id=user.id)] == [org_a.org_slug]


def test_a_verification_link_leaves_no_token_in_the_store_and_still_verifies(tmp_path, monkeypatch):
    email = factories.unique_email("unverified")
    owner = factories.make_org("Verify Co", email=email, verified=False)
    token = factories.verification_token(email)
    client = secrets.token_hex(16)

    async def opened() -> list[bytes]:
        manager = _manager(tmp_path, monkeypatch)
        await _open(manager, client, VerifyEmailState, "/verify", token)
        verify = await _state(manager, client, VerifyEmailState)
        assert verify.error == "" and verify.next_path == f"/o/{owner.org_slug}", verify.error
        assert verify._handle == ""  # redeemed: nothing kept
        return await _dump(manager, [client], tmp_path)

    _assert_no_link(run(opened()), token, "/verify")
    assert identity.email_verified(user_id=owner.user_id)


def _old_handle(token: str, purpose: str) -> str:
    """A handle sealed by this server three hours ago."""
    box = link_tokens._fernet(get_settings().secret_key, purpose)
    return box.encrypt_at_time(token.encode(), int(time.time()) - 3 * 3600).decode()


def test_a_page_open_too_long_says_to_open_the_link_again_and_changes_nothing(org_a, org_b):
    from tests.state_harness import state_for

    email = _email_of(org_a.user_id)
    identity.request_password_reset(email=email, client_ip="203.0.113.90")
    reset_token = _link_token(email, "/reset/")
    invite_email = factories.unique_email("late")
    with tenant_session(org_b) as session:
        identity.invite_member(session=session, ctx=org_b, email=invite_email, role="member")
    invite_token = _link_token(invite_email, "/invite/")
    expired = "This page has been open too long. Open the link from your mail again."

    async def scenario() -> None:
        reset = await state_for(ResetState, token="", path="/reset")
        reset._handle = _old_handle(reset_token, link_tokens.RESET)
        await reset.submit({"password": NEW_PASSWORD})
        assert reset.error == expired and not reset.done
        invite = await state_for(InviteState, token="", path="/invite")
        invite._handle = _old_handle(invite_token, link_tokens.INVITE)
        await invite.load()
        assert invite.error == expired and not invite.valid
        assert await invite.accept({"name": "Late", "password": PASSWORD}) is None
        assert invite.error == expired
        # A handle of one page does not open another's.
        invite._handle = link_tokens.seal(reset_token, purpose=link_tokens.RESET)
        assert await invite.accept({"name": "Late", "password": PASSWORD}) is None
        assert invite.error == expired

    run(scenario())
    # Nothing changed: the old password still signs in; the invitation is still open.
    assert identity.authenticate(email=email, password=PASSWORD) == org_a.user_id
    assert identity.preview_invitation(token=invite_token).email == invite_email.lower()


def test_a_handle_opens_nothing_without_the_servers_secret(monkeypatch):
    handle = link_tokens.seal("some-token", purpose=link_tokens.RESET)
    assert link_tokens.unseal(handle, purpose=link_tokens.RESET) == "some-token"
    assert link_tokens.unseal("", purpose=link_tokens.RESET) == ""
    assert link_tokens.seal("x" * 201, purpose=link_tokens.RESET) == ""
    monkeypatch.setenv("PMO_SECRET_KEY", "another-secret-" + "z" * 40)
    get_settings.cache_clear()
    try:
        with pytest.raises(link_tokens.HandleExpired):
            link_tokens.unseal(handle, purpose=link_tokens.RESET)
    finally:
        monkeypatch.undo()
        get_settings.cache_clear()
    assert link_tokens.unseal(handle, purpose=link_tokens.RESET) == "some-token"


def test_a_token_comes_only_from_its_own_route():
    assert link_tokens.token_in_path("/reset/abc", "/reset") == "abc"
    assert link_tokens.token_in_path("/reset", "/reset") == ""
    assert link_tokens.token_in_path("/reset/", "/reset") == ""
    assert link_tokens.token_in_path("/invite/abc", "/reset") == ""
