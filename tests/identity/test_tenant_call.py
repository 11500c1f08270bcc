"""A workspace write (`WorkspacePage._act`) looks the session up and runs its service in one
thread hand-off (`auth_state.tenant_call`), refusing in the order the two hand-offs did: the
session, the membership, the role, then the form, then the service."""

from __future__ import annotations

import asyncio
import threading

import pytest
from sqlmodel import delete

from pmo_saas.db import system_session
from pmo_saas.identity import services as identity
from pmo_saas.identity.models import Membership
from pmo_saas.kernel.errors import Conflict
from pmo_saas.kernel.roles import Role
from pmo_saas.surveys.pages.overview import SurveysState
from tests import factories
from tests.state_harness import run, state_for


class Calls:
    def __init__(self) -> None:
        self.threads: list[int] = []
        self.look_ups: list[int] = []
        self.hand_offs = 0

    def service(self, *, session, ctx, value: int = 0):  # type: ignore[no-untyped-def]
        self.threads.append(threading.get_ident())
        return (ctx.org_id, ctx.user_id, value)


@pytest.fixture
def calls(monkeypatch: pytest.MonkeyPatch) -> Calls:
    seen = Calls()
    look_up, to_thread = identity.resolve_workspace_session, asyncio.to_thread

    def counted_look_up(**kwargs):  # type: ignore[no-untyped-def]
        seen.look_ups.append(threading.get_ident())
        return look_up(**kwargs)

    async def counted_to_thread(fn, *args, **kwargs):  # type: ignore[no-untyped-def]
        seen.hand_offs += 1
        return await to_thread(fn, *args, **kwargs)

    monkeypatch.setattr(identity, "resolve_workspace_session", counted_look_up)
    monkeypatch.setattr(asyncio, "to_thread", counted_to_thread)
    return seen


def _act(ctx, token: str, calls: Calls, **options):  # type: ignore[no-untyped-def]
    async def scenario():  # type: ignore[no-untyped-def]
        state = await state_for(SurveysState, token=token, path=f"/o/{ctx.org_slug}/surveys")
        loop_thread = threading.get_ident()
        result = await state._act(calls.service, refresh=False, **options)
        return state.error, result, loop_thread

    return run(scenario())


def test_the_look_up_and_the_service_share_one_hand_off_off_the_loop(org_a, calls):
    coach = factories.make_member(org_a, Role.COACH)
    token = identity.start_session(user_id=coach.user_id)
    error, result, loop_thread = _act(
        org_a, token, calls, minimum=Role.COACH, prepare=lambda: {"value": 7}
    )
    assert error == "" and result == (org_a.org_id, coach.user_id, 7)
    assert calls.hand_offs == 1, "the session look-up and the service took separate hand-offs"
    assert calls.look_ups == calls.threads and calls.threads[0] != loop_thread


def test_a_refused_role_comes_before_the_form_and_runs_nothing(org_a, calls):
    viewer = factories.make_member(org_a, Role.VIEWER)
    token = identity.start_session(user_id=viewer.user_id)

    def unreadable() -> dict[str, int]:
        raise ValueError("Type a number.")

    error, result, _loop = _act(org_a, token, calls, minimum=Role.COACH, prepare=unreadable)
    assert result is None and "coach role" in error and calls.threads == []
    coach = factories.make_member(org_a, Role.COACH)
    coach_token = identity.start_session(user_id=coach.user_id)
    error, result, _loop = _act(org_a, coach_token, calls, minimum=Role.COACH, prepare=unreadable)
    assert (result, error, calls.threads) == (None, "Type a number.", [])


def test_a_revoked_session_or_a_removed_member_runs_nothing(org_a, org_b, calls):
    member = factories.make_member(org_a, Role.MEMBER)
    token = identity.start_session(user_id=member.user_id)
    identity.revoke_session(token=token)
    error, result, _loop = _act(org_a, token, calls)
    assert (result, error) == (None, "Your session has ended. Sign in again.")
    removed = factories.make_member(org_a, Role.ADMIN)
    removed_token = identity.start_session(user_id=removed.user_id)
    with system_session() as session:
        session.exec(delete(Membership).where(Membership.user_id == removed.user_id))  # type: ignore[call-overload, arg-type]
    error, result, _loop = _act(org_a, removed_token, calls)
    assert result is None and "not found" in error
    # Another organisation's URL: the same "not found", whatever role the caller has at home.
    owner_token = identity.start_session(user_id=org_b.user_id)
    error, result, _loop = _act(org_a, owner_token, calls)
    assert result is None and "not found" in error
    assert calls.threads == []


def test_a_service_refusal_is_shown(org_a, calls, monkeypatch):
    def refusing(*, session, ctx):  # type: ignore[no-untyped-def]
        raise Conflict("Someone changed it first.")

    monkeypatch.setattr(calls, "service", refusing)
    token = identity.start_session(user_id=org_a.user_id)
    error, result, _loop = _act(org_a, token, calls)
    assert (result, error) == (None, "Someone changed it first.")
