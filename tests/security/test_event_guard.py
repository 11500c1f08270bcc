"""pmo_saas/event_guard.py, on the path Reflex itself takes: events run through Reflex's own
event processor (`BaseStateEventProcessor`, which the app's websocket feeds) with the app as
its middleware. If a Reflex upgrade stops calling middlewares before the handler, or the app
stops installing the guard, the refusal tests here fail."""

from __future__ import annotations

import json
import secrets
from collections.abc import Mapping
from typing import Any

import pytest
from reflex.istate.manager.memory import StateManagerMemory
from reflex.utils.format import format_event_handler
from reflex_base.event import Event, EventHandler
from reflex_base.event.processor.base_state_processor import BaseStateEventProcessor
from reflex_base.utils.form import FORM_DATA_ENTRIES_KEY
from sqlmodel import select

import pmo_saas.pmo_saas as app_module
from pmo_saas import event_guard
from pmo_saas.db import system_session
from pmo_saas.identity import services as identity
from pmo_saas.identity.models import Team
from pmo_saas.identity.pages.members import TeamsState
from pmo_saas.kernel.context import TenantContext
from tests import factories
from tests.state_harness import connect_socket, run

Deltas = list[Mapping[str, Any]]


async def _through_reflex(
    handler: EventHandler, payload: dict[str, Any], *, cookie: str, slug: str
) -> Deltas:
    """One event as the websocket enqueues it, processed by Reflex's own event processor."""
    processor = BaseStateEventProcessor(middleware=app_module.app)
    processor.configure(state_manager=StateManagerMemory())
    client_token = secrets.token_hex(8)
    # The session cookie travels in the websocket handshake, not in the event's router data
    # (pmo_saas.identity.auth_state reads it from the socket's environ by the event's sid).
    sid = await connect_socket(cookie)
    event = Event(
        name=format_event_handler(handler),
        payload=payload,
        router_data={
            "pathname": "/o/[slug]/teams",
            "asPath": f"/o/{slug}/teams",
            "query": {},
            "token": client_token,
            "sid": sid,
            "headers": {"origin": "http://test"},
        },
    )
    async with processor:
        return [d async for d in processor.enqueue_stream_delta(client_token, event)]


def _teams_state(deltas: Deltas) -> dict[str, Any]:
    found: dict[str, Any] = {}
    for delta in deltas:
        for name, fields in delta.items():
            if name.endswith(TeamsState.get_name()):
                found.update(fields)
    return found


def _field(fields: dict[str, Any], name: str) -> Any:
    return next((v for k, v in fields.items() if k.split("_rx_state_")[0] == name), None)


def _team_names(org_id: int) -> list[str]:
    with system_session() as session:
        return list(session.exec(select(Team.name).where(Team.org_id == org_id)).all())


@pytest.fixture(scope="module")
def owner(_module_database: None) -> tuple[TenantContext, str]:
    ctx = factories.make_org("Guarded Org")
    return ctx, f"pmo_session={identity.start_session(user_id=ctx.user_id or 0)}"


GUARD_MESSAGES = {
    v for k, v in vars(event_guard).items() if k.isupper() and isinstance(v, str) and " " in v
}


def test_the_app_installs_the_guard() -> None:
    guards = [
        m for m in app_module.app._middlewares if isinstance(m, event_guard.EventArgumentGuard)
    ]
    assert len(guards) == 1


@pytest.mark.parametrize(
    "form",
    [None, "abc", [], {"name": 1}, {"name": ["x"]}, {"name": "a\x00b"}],
    ids=repr,
)
def test_a_wrong_argument_is_refused_by_reflex_s_own_processing_with_a_message(
    owner: tuple[TenantContext, str], form: Any
) -> None:
    ctx, cookie = owner
    before = _team_names(ctx.org_id)
    handler = TeamsState.event_handlers["create"]
    deltas = run(_through_reflex(handler, {"form": form}, cookie=cookie, slug=ctx.org_slug))
    error = _field(_teams_state(deltas), "error")
    assert error in GUARD_MESSAGES, json.dumps(deltas, default=repr)[:800]
    assert _team_names(ctx.org_id) == before, "a refused event wrote"


@pytest.mark.parametrize("team_id", [2**31, -(2**31) - 1, 2**63, True, None, "abc", 1.5])
def test_an_id_that_cannot_be_a_row_is_not_found(
    owner: tuple[TenantContext, str], team_id: Any
) -> None:
    ctx, cookie = owner
    handler = TeamsState.event_handlers["delete"]
    deltas = run(_through_reflex(handler, {"team_id": team_id}, cookie=cookie, slug=ctx.org_slug))
    assert _field(_teams_state(deltas), "error") == event_guard.NOT_FOUND


def test_a_right_argument_still_runs_the_handler(owner: tuple[TenantContext, str]) -> None:
    ctx, cookie = owner
    handler = TeamsState.event_handlers["create"]
    # As the browser sends a form: its entries, which Reflex turns into the dict.
    form = {FORM_DATA_ENTRIES_KEY: [["name", "Guarded team"]]}
    deltas = run(_through_reflex(handler, {"form": form}, cookie=cookie, slug=ctx.org_slug))
    assert "Guarded team" in _team_names(ctx.org_id), _teams_state(deltas)
    assert not _field(_teams_state(deltas), "error")


def test_a_control_the_page_does_not_render_is_absent_not_refused(
    owner: tuple[TenantContext, str],
) -> None:
    # As the surveys' launch form sends it while its custom-questions box (inside rx.cond,
    # with an id, so read through its ref) is not rendered: that ref's value is null.
    ctx, cookie = owner
    handler = TeamsState.event_handlers["create"]
    entries = [["name", "Team beside a hidden box"], ["field_questions", None]]
    form = {FORM_DATA_ENTRIES_KEY: entries}
    deltas = run(_through_reflex(handler, {"form": form}, cookie=cookie, slug=ctx.org_slug))
    assert not _field(_teams_state(deltas), "error"), _teams_state(deltas)
    assert "Team beside a hidden box" in _team_names(ctx.org_id)


def test_a_null_field_is_left_to_the_handler_s_own_default(
    owner: tuple[TenantContext, str],
) -> None:
    # A hand-written {"name": null}: the handler sees no name (its default, ""), never None,
    # and refuses with its own message; nothing is written.
    ctx, cookie = owner
    before = _team_names(ctx.org_id)
    handler = TeamsState.event_handlers["create"]
    deltas = run(
        _through_reflex(handler, {"form": {"name": None}}, cookie=cookie, slug=ctx.org_slug)
    )
    error = _field(_teams_state(deltas), "error")
    assert error and error not in GUARD_MESSAGES, _teams_state(deltas)
    assert _team_names(ctx.org_id) == before


def test_drop_absent_controls() -> None:
    payload: dict[str, Any] = {
        "form": {FORM_DATA_ENTRIES_KEY: [["a", "x"], ["b", None], ["c", True]]},
        "plain": {"a": "x", "b": None},
        "team_id": None,
    }
    event_guard.drop_absent_controls(payload)
    assert payload == {
        "form": {FORM_DATA_ENTRIES_KEY: [["a", "x"], ["c", True]]},
        "plain": {"a": "x"},
        "team_id": None,  # not a form: check_value decides
    }


# ---------------------------------------------------------------- the rules


@pytest.mark.parametrize(
    ("value", "hint", "ok"),
    [
        (5, int, True),
        (2**31 - 1, int, True),
        (-(2**31), int, True),
        (2**31, int, False),
        (True, int, False),
        ("5", int, False),
        (1.5, float, True),
        (2, float, True),
        (float("inf"), float, False),
        (float("nan"), float, False),
        (False, float, False),
        (True, bool, True),
        (1, bool, False),
        ("text 🙂", str, True),
        ("a\x00b", str, False),
        ("\ud800", str, False),
        (None, str, False),
        (None, int | None, True),
        (3, int | None, True),
        ("x", int | None, False),
        ([1, 2], list[int], True),
        ([1, "2"], list[int], False),
        ("12", list[int], False),
        ({"a": "b", "c": True}, dict, True),
        ({"a": 1}, dict, False),
        ({"a": None}, dict, False),
        ({"a": "\x00"}, dict, False),
        ({"\ud800": "b"}, dict[str, Any], False),
        (object(), Any, True),
    ],
)
def test_the_rules(value: Any, hint: Any, ok: bool) -> None:
    problem = event_guard.check_value(value, hint, name="team_id")
    assert (problem is None) is ok, problem
    if not ok:
        assert problem and problem.strip()


def test_reflex_s_own_handlers_are_not_checked() -> None:
    setvar = TeamsState.event_handlers["setvar"]
    assert not event_guard.is_app_handler(setvar)
    assert event_guard.is_app_handler(TeamsState.event_handlers["create"])


def test_a_state_without_an_error_var_gets_the_message_as_a_toast() -> None:
    from reflex.state import State

    async def scenario() -> Any:
        return await event_guard.refuse(State(_reflex_internal_init=True), "Refused here.")  # type: ignore[call-arg]

    update = run(scenario())
    assert "Refused here." in repr(update.events)
    assert "__toast" in repr(update.events), update.events  # rx.toast.error, as Reflex sends it


def test_a_missing_or_unknown_argument_is_refused() -> None:
    delete = TeamsState.event_handlers["delete"]
    assert event_guard.check_arguments(delete, {}) == event_guard.BAD_EVENT
    assert event_guard.check_arguments(delete, {"team_id": 1, "x": 1}) == event_guard.BAD_EVENT
    assert event_guard.check_arguments(delete, {"team_id": 1}) is None
    assert event_guard.check_arguments(delete, {"team_id": "7"}) is None  # Reflex converts it
