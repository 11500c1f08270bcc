"""An attacker holding Reflex's state store (the `.states` pickles, or Redis on the
PostgreSQL+Redis run) after 6 people answered: no survey token, no link, no handle that opens
anything without the server's secret, and no cookie or address of the respondent.

The events go through a real state manager as Reflex's event processor drives them: the
router data each event carries is applied to the persisted state first (see
reflex_base/event/processor/base_state_processor.py `_execute_event`), then the handler runs,
then the manager writes the state tree.
"""

from __future__ import annotations

import os
import secrets
from pathlib import Path
from typing import Any

import pytest
from reflex.istate.manager.disk import StateManagerDisk
from reflex.istate.manager.token import BaseStateToken

from pmo_saas.surveys import sealing
from pmo_saas.surveys.pages.respond import RespondState
from tests.state_harness import run
from tests.surveys.helpers import close, email_of, launch, links_from_outbox, results, team_with
from tests.surveys.test_states import _answer_form

SESSION_COOKIE = "pmo_session=" + "c" * 43


def _router_data(client: str, path: str, route: str, opened: str) -> dict[str, Any]:
    """What an event carries; the headers are the socket's, from the page it opened on."""
    return {
        "token": client,
        "sid": "sid-" + client[:6],
        "ip": "203.0.113.77",
        "pathname": route,
        "asPath": path,
        "query": {"token": path.rsplit("/", 1)[-1]} if route == "/s/[token]" else {},
        "headers": {
            "origin": "http://test",
            "cookie": SESSION_COOKIE,
            "referer": "http://test" + opened,
            "user-agent": "probe",
        },
    }


async def _event(manager: Any, client: str, router_data: dict, handler: str, *args: Any) -> None:
    async with manager.modify_state(BaseStateToken(ident=client, cls=RespondState)) as root:
        previous = root.router_data
        if router_data and previous != router_data:
            merged = root._update_router_vars(router_data, previous)
            if merged != previous:
                root.router_data = merged
        if handler:
            respond = await root.get_state(RespondState)
            result = getattr(respond, handler)(*args)
            if hasattr(result, "__await__"):
                await result


def _manager(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Any:
    redis_url = os.environ.get("PMO_REDIS_URL", "")
    if redis_url:
        from redis.asyncio import Redis
        from reflex.istate.manager.redis import StateManagerRedis

        return StateManagerRedis(redis=Redis.from_url(redis_url))
    monkeypatch.setenv("REFLEX_STATES_WORKDIR", str(tmp_path / "states"))
    return StateManagerDisk()


async def _dump(manager: Any, clients: list[str], tmp_path: Path) -> list[bytes]:
    if isinstance(manager, StateManagerDisk):
        await manager.close()  # flush the debounced writes, as a shutdown would
        return [p.read_bytes() for p in (tmp_path / "states").rglob("*") if p.is_file()]
    blobs = []
    for client in clients:
        async for key in manager.redis.scan_iter(match=f"{client}*"):
            value = await manager.redis.get(key)
            if value:
                blobs.append(bytes(value))
    await manager.redis.aclose()
    return blobs


def test_the_state_store_after_six_answers_holds_no_token_link_or_respondent(
    org_a, tmp_path, monkeypatch
):
    team, members = team_with(org_a, "Alpha", 6)
    survey_id = launch(org_a, [team], min_comment_group_size=5)
    links = links_from_outbox(org_a)
    tokens = [links[email_of(m)][0] for m in members]
    clients = [secrets.token_hex(16) for _ in members]

    async def scenario() -> list[bytes]:
        # One event loop for the whole scenario: a Redis client belongs to its loop.
        manager = _manager(tmp_path, monkeypatch)
        for n, (client, token) in enumerate(zip(clients, tokens, strict=True)):
            link = f"/s/{token}"
            opened = _router_data(client, link, "/s/[token]", link)
            answer = _router_data(client, "/s", "/s", link)
            await _event(manager, client, opened, "open_link")  # on_load of /s/<token>
            await _event(manager, client, opened, "")  # the chained set_is_hydrated
            await _event(manager, client, answer, "load")  # after the redirect to /s
            await _event(manager, client, answer, "submit", _answer_form(n + 1, f"c{n}"))
            async with manager.modify_state(BaseStateToken(ident=client, cls=RespondState)) as root:
                respond = await root.get_state(RespondState)
                assert respond.submitted and respond.error == "", respond.error
                # What the backend keeps is a sealed handle, useless without the secret.
                assert respond._handle and all(t not in respond._handle for t in tokens)
        return await _dump(manager, clients, tmp_path)

    blobs = run(scenario())
    assert blobs, "the state store holds the six respondents' states"
    dump = b"\n".join(blobs)
    assert b"Alpha" in dump  # the dump is real: it holds the page's team name
    for token in tokens:
        assert token.encode() not in dump
        assert f"/s/{token}".encode() not in dump
    assert b"/s/" not in dump  # no link of any kind
    assert SESSION_COOKIE.encode() not in dump and b"203.0.113.77" not in dump
    # A handle like those in the store opens nothing for someone without the server's key.
    handle = sealing.page_handle(tokens[0])
    assert sealing.token_from_handle(handle) == tokens[0]
    monkeypatch.setenv("PMO_SECRET_KEY", "another-secret-" + "y" * 40)
    from pmo_saas.settings import get_settings

    get_settings.cache_clear()
    sealing._aead.cache_clear()
    with pytest.raises(sealing.Unsealable):
        sealing.token_from_handle(handle)
    monkeypatch.undo()
    get_settings.cache_clear()
    sealing._aead.cache_clear()
    close(org_a, survey_id)
    assert results(org_a, survey_id).responses == 6
