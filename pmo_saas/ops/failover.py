"""Reflex's token managers, told when a tab's old socket is on its way out.

Reflex hands a tab a fresh client token (a fresh, empty state) when the tab's token is still
linked to another socket: that stops a duplicated browser tab from sharing its state. Two
honest cases look the same to it and lost their state:
- a reload: the new page's socket can connect before the server has handled the old page's
  disconnect (a busy event loop reads the two sockets in any order), so a phone user who
  reloads a survey form saw it vanish. Here a token linked to another socket of this
  instance waits a moment for that socket's disconnect; a duplicated tab keeps its socket
  open, so it still gets a fresh token, that moment later;
- a replica killed with SIGKILL never deletes its Redis records (keys that live an hour),
  so every tab reconnecting to another replica got a fresh token. Every instance keeps a
  heartbeat key alive for a few seconds; a token recorded for an instance whose heartbeat
  has lapsed is taken over with its state, while one held by a live instance still gets a
  fresh one (after waiting a few seconds for it to lapse or be released).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import pickle
from typing import Any

from reflex.utils.token_manager import LocalTokenManager, RedisTokenManager

log = logging.getLogger(__name__)

HEARTBEAT_S = 1.0
HEARTBEAT_TTL_S = 3  # an instance silent this long is taken for dead
RELOAD_GRACE_S = 3.0  # how long a reload's old socket may take to be seen going
_POLL_S = 0.05


def _alive_key(instance_id: str) -> str:
    return f"pmo_instance_alive_{instance_id}"


async def _linked_elsewhere_here(manager: LocalTokenManager, token: str, sid: str) -> None:
    """Wait (at most RELOAD_GRACE_S) while `token` is linked to another socket of this
    instance: a reload's old socket whose disconnect is still queued."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + RELOAD_GRACE_S
    while (record := manager.token_to_socket.get(token)) is not None and record.sid != sid:
        if loop.time() > deadline:
            return  # still open: a duplicated tab, which Reflex gives a fresh token
        await asyncio.sleep(_POLL_S)


class ReloadTolerantTokenManager(LocalTokenManager):
    """The single-process token manager, waiting for a reloaded tab's old socket to go."""

    async def link_token_to_sid(self, token: str, sid: str) -> str | None:
        await _linked_elsewhere_here(self, token, sid)
        return await super().link_token_to_sid(token, sid)


class FailoverTokenManager(RedisTokenManager):
    """A RedisTokenManager whose instances beat; a dead instance's tokens are free again,
    and a reloaded tab's old socket (here or on another live instance) is waited for."""

    _beating: asyncio.Task[None] | None = None

    async def _beat(self) -> None:
        while True:
            try:
                await self.redis.set(_alive_key(self.instance_id), b"1", ex=HEARTBEAT_TTL_S)
            except Exception as error:
                log.warning("instance heartbeat failed: %s", error)
            await asyncio.sleep(HEARTBEAT_S)

    async def _ensure_beating(self) -> None:
        if self._beating is None or self._beating.done():
            # The first beat before this instance records any socket of its own.
            await self.redis.set(_alive_key(self.instance_id), b"1", ex=HEARTBEAT_TTL_S)
            self._beating = asyncio.get_running_loop().create_task(self._beat())

    async def _owner_gone(self, key: str, sid: str) -> bool | None:
        """True: the record names an instance that stopped beating; None: no record (or
        this very socket's); False: a live socket may hold the token, here or elsewhere
        (this instance's own record outlives the local link by the disconnect's delete)."""
        raw = await self.redis.get(key)
        if not raw:
            return None
        record: Any = pickle.loads(raw)  # noqa: S301 (Reflex's own record, in our Redis)
        owner = getattr(record, "instance_id", "")
        if not owner or (owner == self.instance_id and getattr(record, "sid", "") == sid):
            return None
        if owner == self.instance_id:
            return False
        return not await self.redis.exists(_alive_key(owner))

    async def _release_if_owner_gone(self, token: str, sid: str) -> None:
        """Before Reflex decides on a duplicate tab, wait for the token's record to be
        deleted by an owner that saw the disconnect (a reload), or for a replica that has
        just died to stop beating (its heartbeat outlives it for a moment)."""
        key = self._get_redis_key(token)
        loop = asyncio.get_running_loop()
        deadline = loop.time() + max(RELOAD_GRACE_S, HEARTBEAT_TTL_S + 1)
        while (gone := await self._owner_gone(key, sid)) is False:
            if loop.time() > deadline:
                return  # a live tab with this token: Reflex hands out a fresh one
            await asyncio.sleep(_POLL_S)
        if gone:
            log.info("tab reconnected from a dead instance: its token is taken over")
            await self.redis.delete(key)

    async def link_token_to_sid(self, token: str, sid: str) -> str | None:
        try:
            await self._ensure_beating()
            await self._release_if_owner_gone(token, sid)
        except Exception as error:
            log.warning("token takeover check failed: %s", error)
        return await super().link_token_to_sid(token, sid)

    async def close(self) -> None:
        if self._beating is not None:
            self._beating.cancel()
            with contextlib.suppress(Exception):
                await self.redis.delete(_alive_key(self.instance_id))
        await super().close()


def install(app: Any) -> None:
    """Swap the event namespace's token manager (Redis or in-process) for ours."""
    namespace = getattr(app, "event_namespace", None)
    current = getattr(namespace, "_token_manager", None)
    if isinstance(current, (FailoverTokenManager, ReloadTolerantTokenManager)):
        return
    if isinstance(current, RedisTokenManager):
        namespace._token_manager = FailoverTokenManager(current.redis)  # type: ignore[union-attr]
    elif isinstance(current, LocalTokenManager):
        namespace._token_manager = ReloadTolerantTokenManager()  # type: ignore[union-attr]
