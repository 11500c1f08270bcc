"""Call Reflex state handlers as the websocket would, without a browser.

`state_for(cls, token=..., path=...)` builds a state tree whose router carries the browser's
request headers (with the HttpOnly session cookie) and the page URL; `run(coro)` runs the
scenario on a fresh event loop in a worker thread (the browser tests' Playwright keeps a loop
running in the main thread).
"""

from __future__ import annotations

import asyncio
import contextvars
from collections.abc import Coroutine
from concurrent.futures import ThreadPoolExecutor
from typing import Any, TypeVar

from reflex.istate.data import RouterData
from reflex.state import BaseState, State

import pmo_saas.pmo_saas  # noqa: F401  (registers every page and state)

T = TypeVar("T")
S = TypeVar("S", bound=BaseState)


def run(coroutine: Coroutine[Any, Any, T]) -> T:
    context = contextvars.copy_context()  # Reflex keeps its registry in a context variable
    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(context.run, asyncio.run, coroutine).result()


async def state_for(cls: type[S], *, token: str, path: str) -> S:
    root = State(_reflex_internal_init=True)
    root.router = RouterData.from_router_data(
        {
            "headers": {"cookie": f"theme=dark; pmo_session={token}", "origin": "http://test"},
            "pathname": path,
            "asPath": path,
            "query": {},
        }
    )
    return await root.get_state(cls)
