"""Call Reflex state handlers as the websocket would, without a browser.

`state_for(cls, token=..., path=...)` builds a state tree for a socket connection whose
handshake carried the HttpOnly session cookie (registered with the app's socket.io server, as
a real handshake is: see `pmo_saas.identity.auth_state`) and the page URL; `run(coro)` runs the
scenario on a fresh event loop in a worker thread (the browser tests' Playwright keeps a loop
running in the main thread).
"""

from __future__ import annotations

import asyncio
import contextvars
import secrets
from collections.abc import Coroutine
from concurrent.futures import ThreadPoolExecutor
from typing import Any, TypeVar

import reflex as rx
from reflex.istate.data import RouterData
from reflex.state import BaseState, State

import pmo_saas.pmo_saas  # (registers every page and state)
from pmo_saas.security_headers import HANDSHAKE_KEY, SecurityMiddleware

T = TypeVar("T")
S = TypeVar("S", bound=BaseState)


def run(coroutine: Coroutine[Any, Any, T]) -> T:
    context = contextvars.copy_context()  # Reflex keeps its registry in a context variable
    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(context.run, asyncio.run, coroutine).result()


async def _through_security_middleware(headers: list[tuple[bytes, bytes]]) -> dict[str, Any]:
    """The ASGI scope the app behind `SecurityMiddleware` receives for a websocket handshake."""
    seen: dict[str, Any] = {}

    async def inner(scope: Any, receive: Any, send: Any) -> None:
        seen.update(scope)

    async def receive() -> dict[str, Any]:
        return {"type": "websocket.connect"}

    async def send(message: Any) -> None:
        raise AssertionError(f"the middleware refused the handshake: {message}")

    scope = {"type": "websocket", "path": "/_event/", "headers": headers, "client": ("t", 1)}
    await SecurityMiddleware(inner)(scope, receive, send)
    return seen


async def connect_socket(cookie: str) -> str:
    """A socket connection of the app's socket.io server whose handshake sent `cookie`.

    The handshake scope goes through the app's own `SecurityMiddleware` (which moves the
    cookie out of the headers into `scope[HANDSHAKE_KEY]`), as a real handshake does.
    """
    sio = pmo_saas.pmo_saas.app.sio
    assert sio is not None
    scope = await _through_security_middleware(
        [(b"cookie", cookie.encode("latin-1")), (b"user-agent", b"state-harness")]
    )
    assert HANDSHAKE_KEY in scope
    eio_sid = "test-" + secrets.token_hex(8)
    sio.environ[eio_sid] = {"asgi.scope": scope}
    namespace = rx.config.get_config().get_event_namespace()
    return str(await sio.manager.connect(eio_sid, namespace))


def router_headers(sid: str) -> dict[str, str]:
    """The headers Reflex itself copies into every event's router data for socket `sid`."""
    app = pmo_saas.pmo_saas.app
    assert app.sio is not None and app.event_namespace is not None
    namespace = rx.config.get_config().get_event_namespace()
    environ = app.sio.get_environ(sid, namespace)
    assert environ is not None
    data = app.event_namespace._build_static_router_data(sid, environ)
    return dict(data["headers"])


async def state_for(
    cls: type[S], *, token: str, path: str, binding: str = "test-binding", sid: str = ""
) -> S:
    sid = sid or await connect_socket(f"theme=dark; pmo_session={token}; pmo_bind={binding}")
    root = State(_reflex_internal_init=True)
    root.router = RouterData.from_router_data(
        {
            "sid": sid,
            "headers": {"origin": "http://test"},
            "pathname": path,
            "asPath": path,
            "query": {},
        }
    )
    return await root.get_state(cls)
