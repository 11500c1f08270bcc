"""A reloaded tab keeps its state; a duplicated tab gets its own (pmo_saas/ops/failover.py).

Reflex hands a socket a fresh token (a fresh, empty state) when the tab's token is still
linked to another socket. After a reload, the new page's socket can reach a busy server
before the old page's disconnect does: a phone user reloading a survey form saw it vanish.
These tabs speak Reflex's protocol to the real production build, and stage that order on
purpose: the new socket connects, then the old one closes.
"""

from __future__ import annotations

import asyncio

import pytest

from pmo_saas.identity.pages.public import SignInState
from tests.deploy.reflex_client import Tab, state_delta
from tests.state_harness import run  # a loop of its own: Playwright's runs in this thread

pytestmark = pytest.mark.e2e

MARK = "kept-across-the-reload"
HYDRATE = "reflex___state____state.hydrate"
SIGNIN = SignInState.get_full_name()


def _error_in(update: dict) -> str | None:
    return state_delta(update, SIGNIN).get("error")


async def _tab_with_state(app_url: str) -> Tab:
    """A tab on the sign-in page whose state holds MARK (from the page's ?error=)."""
    tab = Tab(app_url)
    await tab.connect()
    update = await tab.send(
        f"{SIGNIN}.show_redirect_error",
        f"/signin?error={MARK}",
        until=lambda u: _error_in(u) is not None,
    )
    assert _error_in(update) == MARK, update
    return tab


async def _same_token_tab(app_url: str, old: Tab, *, close_old_after_s: float | None) -> Tab:
    """A second socket with the old tab's token: the reloaded page (the old socket closes
    once the new one is connecting) or a duplicated tab (the old socket stays open)."""
    new = Tab(app_url)
    new.token = old.token
    connecting = asyncio.ensure_future(new.connect())
    if close_old_after_s is not None:
        await asyncio.sleep(close_old_after_s)
        await old.close()
    await connecting
    return new


def _hydrated(update: dict) -> bool:
    return SIGNIN in update.get("delta", {})


def test_a_reloaded_tab_whose_old_socket_closes_late_keeps_its_token_and_state(app_url):
    async def scenario() -> tuple[int, str | None]:
        old = await _tab_with_state(app_url)
        new = await _same_token_tab(app_url, old, close_old_after_s=0.3)
        try:
            hydrated = await new.send(HYDRATE, "/signin", until=_hydrated)
            return new.stats.new_tokens, _error_in(hydrated)
        finally:
            await new.close()

    new_tokens, error = run(scenario())
    assert new_tokens == 0, "the reloaded page was handed a fresh token: its state is gone"
    assert error == MARK, f"the reloaded page hydrated another state (error={error!r})"


def test_a_duplicated_tab_still_gets_a_fresh_token_and_an_empty_state(app_url):
    async def scenario() -> tuple[int, str, str, str | None]:
        old = await _tab_with_state(app_url)
        try:
            copy = await _same_token_tab(app_url, old, close_old_after_s=None)
            try:
                hydrated = await copy.send(HYDRATE, "/signin", until=_hydrated)
                return copy.stats.new_tokens, copy.token, old.token, _error_in(hydrated)
            finally:
                await copy.close()
        finally:
            await old.close()

    new_tokens, copy_token, old_token, error = run(scenario())
    assert new_tokens == 1 and copy_token != old_token, "two open tabs share one state"
    assert error != MARK, "the duplicated tab sees the first tab's state"
