"""Reflex's embedded state store (one pickle per tab and state under `.states`), kept cheap.

Reflex 0.10.1's `StateManagerDisk` deletes expired pickles in the same loop that writes
changed states: after each batch of writes it lists the whole states folder and reads the
modification time of every file in it. Under load that loop runs many times a second, so each
event paid for a scan that grows with every tab ever opened (a tenth of the app's events/s
was lost to it after a few hundred tabs). Pickles expire after `redis_token_expiration`
(an hour by default): looking for expired ones once a minute deletes each at most a minute
late and costs nothing per event. Writes are not touched: a changed state still lands on disk
two seconds after its last event (the debounce), so a crash loses no more than before.
"""

from __future__ import annotations

import functools
import time
from collections.abc import Callable
from typing import Any

from reflex.istate.manager.disk import StateManagerDisk

PURGE_EVERY_S = 60.0
_LAST_PURGE = "_pmo_last_purge"  # set on the manager instance: when it last looked


def _throttled(purge: Callable[[Any], None]) -> Callable[[Any], None]:
    @functools.wraps(purge)
    def purge_at_most_once_a_minute(manager: Any) -> None:
        now = time.monotonic()
        last = manager.__dict__.get(_LAST_PURGE)
        if last is not None and now - last < PURGE_EVERY_S:
            return
        manager.__dict__[_LAST_PURGE] = now
        purge(manager)

    purge_at_most_once_a_minute.__pmo_throttled__ = True  # type: ignore[attr-defined]
    return purge_at_most_once_a_minute


def install() -> None:
    """Throttle the expired-state purge (once per process; a Reflex without it fails here)."""
    purge = StateManagerDisk._purge_expired_states
    if not getattr(purge, "__pmo_throttled__", False):
        StateManagerDisk._purge_expired_states = _throttled(purge)  # type: ignore[method-assign]
