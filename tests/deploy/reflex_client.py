"""A browser tab as Reflex's websocket sees it: python-socketio, reconnecting on a drop.

One `Tab` is one client token (the tab's sessionStorage in a browser): its state lives in the
app's state store (Redis), so whichever replica the reconnect lands on finds it. An event in
flight when the connection drops is sent again once the tab is reconnected, as a respondent
clicks again; `send` returns the first state update the event brings back.
"""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import socketio

NAMESPACE = "/_event"  # Reflex's Socket.IO path and namespace alike
EVENT_TIMEOUT_S = 30.0
RECONNECT_TIMEOUT_S = 90.0


class Dropped(Exception):
    """The connection went away with the event in flight."""


@dataclass
class TabStats:
    drops: int = 0
    resent: int = 0
    new_tokens: int = 0
    # (monotonic time, drops before it) of each fresh token the app handed out
    new_token_at: list[tuple[float, int]] = field(default_factory=list)
    # The longest time from an event's drop (or time-out) to its answer, seconds.
    longest_recovery_s: float = 0.0
    recoveries: list[float] = field(default_factory=list)


class _BrowserLikeClient(socketio.AsyncClient):
    """Reconnects as a browser's socket.io client does, where python-socketio differs:
    - it gives a reconnect 1 s to be accepted, then drops it and tries again; a browser waits
      20 s (a reconnect can wait for the state lock a dead replica held: Reflex's expiry);
    - python-engineio takes the Cookie header out of the headers dict it is given (into its
      HTTP session, closed on a drop), so a reconnect went without it; a browser sends its
      cookies on every handshake."""

    def __init__(self, browser_headers: dict[str, str], **options: Any) -> None:
        super().__init__(**options)
        self.browser_headers = browser_headers

    async def connect(self, *args: Any, wait_timeout: float = 20, **kwargs: Any) -> None:
        kwargs["headers"] = dict(self.browser_headers)
        await super().connect(*args, wait_timeout=wait_timeout, **kwargs)


class Tab:
    def __init__(self, base: str, cookies: str = "") -> None:
        self.base, self.cookies = base, cookies
        self.token = str(uuid.uuid4())
        self.stats = TabStats()
        self.connected = asyncio.Event()
        self._waiting: asyncio.Future[dict[str, Any]] | None = None
        self._until: Callable[[dict[str, Any]], bool] = lambda update: True
        self.sio = _BrowserLikeClient(
            {"Cookie": cookies} if cookies else {},
            reconnection=True,
            reconnection_attempts=0,  # for ever, as a browser tab
            reconnection_delay=0.2,
            reconnection_delay_max=1.0,
        )
        self.sio.on("connect", self._on_connect, namespace=NAMESPACE)
        self.sio.on("disconnect", self._on_disconnect, namespace=NAMESPACE)
        self.sio.on("event", self._on_update, namespace=NAMESPACE)
        self.sio.on("new_token", self._on_new_token, namespace=NAMESPACE)

    def _url(self) -> str:
        return f"{self.base}?token={self.token}"

    async def _on_connect(self) -> None:
        self.connected.set()

    async def _on_disconnect(self, *_reason: Any) -> None:
        self.connected.clear()
        self.stats.drops += 1
        if self._waiting is not None and not self._waiting.done():
            self._waiting.set_exception(Dropped())

    async def _on_update(self, update: dict[str, Any]) -> None:
        # An event can bring several updates (a delta, then its client-side events): the
        # one that answers is the one `until` recognises.
        waiting = self._waiting
        if waiting is not None and not waiting.done() and self._until(update):
            waiting.set_result(update)

    async def _on_new_token(self, token: str) -> None:
        # The app did not find this tab's token free: a fresh one, and so a fresh state (a
        # browser adopts it the same way). Counted: the fault test wants none.
        self.stats.new_tokens += 1
        self.stats.new_token_at.append((time.monotonic(), self.stats.drops))
        self.token = token
        self.sio.connection_url = self._url()

    async def connect(self) -> None:
        await self.sio.connect(
            self._url(),
            socketio_path=NAMESPACE,
            namespaces=[NAMESPACE],
            transports=["websocket"],
            wait_timeout=30,
        )
        await asyncio.wait_for(self.connected.wait(), 30)

    async def close(self) -> None:
        await self.sio.disconnect()

    async def send(
        self,
        name: str,
        path: str,
        until: Callable[[dict[str, Any]], bool] = lambda update: True,
        **payload: Any,
    ) -> dict[str, Any]:
        """Emit one event (again after a drop or a time-out) until an update answers it: the
        first for which `until` is true."""
        first_failure = 0.0
        while True:
            await asyncio.wait_for(self.connected.wait(), RECONNECT_TIMEOUT_S)
            loop = asyncio.get_running_loop()
            self._until = until
            self._waiting = waiting = loop.create_future()
            try:
                await self.sio.emit(
                    "event",
                    {
                        "name": name,
                        "payload": payload,
                        "router_data": {"pathname": path, "asPath": path},
                    },
                    namespace=NAMESPACE,
                )
                update = await asyncio.wait_for(waiting, EVENT_TIMEOUT_S)
            except (Dropped, TimeoutError, socketio.exceptions.BadNamespaceError):
                first_failure = first_failure or time.monotonic()
                self.stats.resent += 1
                await asyncio.sleep(0.05)
                continue
            finally:
                self._waiting = None
            if first_failure:
                took = time.monotonic() - first_failure
                self.stats.recoveries.append(took)
                self.stats.longest_recovery_s = max(self.stats.longest_recovery_s, took)
            return update


def state_delta(update: dict[str, Any], state_full_name: str) -> dict[str, Any]:
    """The part of a delta for one state, with Reflex's field markers taken off."""
    raw = update.get("delta", {}).get(state_full_name, {})
    return {k.removesuffix("_rx_state_"): v for k, v in raw.items()}


def answered_by(state_full_name: str, *keys: str) -> Callable[[dict[str, Any]], bool]:
    """`until` for an event whose handler always sets one of `keys` of its state."""
    return lambda update: any(k in state_delta(update, state_full_name) for k in keys)


def redirected(update: dict[str, Any]) -> bool:
    return any(e.get("name") == "_redirect" for e in update.get("events", []))
