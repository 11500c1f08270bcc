"""Reflex's Redis token manager, told when a replica has died.

Reflex records in Redis which instance holds each tab's socket (a key that lives an hour) and
hands a tab whose token is recorded there a fresh token: that stops a duplicated browser tab
from sharing its state. A replica killed with SIGKILL never deletes its records, so every tab
that reconnects to another replica would get a fresh token, that is a fresh, empty state (a
respondent's open form gone). Here every instance keeps a heartbeat key alive for a few
seconds; a token recorded for an instance whose heartbeat has lapsed is taken over with its
state, while a token held by a live instance still gets a fresh one (after waiting a few
seconds for it to lapse or be released: a duplicated tab connects that much later).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import pickle
from typing import Any

from reflex.utils.token_manager import RedisTokenManager

log = logging.getLogger(__name__)

HEARTBEAT_S = 1.0
HEARTBEAT_TTL_S = 3  # an instance silent this long is taken for dead


def _alive_key(instance_id: str) -> str:
    return f"pmo_instance_alive_{instance_id}"


class FailoverTokenManager(RedisTokenManager):
    """A RedisTokenManager whose instances beat; a dead instance's tokens are free again."""

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

    async def _owner_gone(self, key: str) -> bool | None:
        """True: the record names an instance that stopped beating; None: no record (or
        our own); False: a live instance holds the token."""
        raw = await self.redis.get(key)
        if not raw:
            return None
        record: Any = pickle.loads(raw)  # noqa: S301 (Reflex's own record, in our Redis)
        owner = getattr(record, "instance_id", "")
        if not owner or owner == self.instance_id:
            return None
        return not await self.redis.exists(_alive_key(owner))

    async def _release_if_owner_dead(self, token: str) -> None:
        """A tab reconnecting from a replica that has just died finds that replica's heartbeat
        still alive for a moment: wait for it to lapse (or for the record to be deleted by
        an owner that saw the disconnect) before Reflex decides on a duplicate tab."""
        key = self._get_redis_key(token)
        deadline = asyncio.get_running_loop().time() + HEARTBEAT_TTL_S + 1
        while (gone := await self._owner_gone(key)) is False:
            if asyncio.get_running_loop().time() > deadline:
                return  # a live tab with this token: Reflex hands out a fresh one
            await asyncio.sleep(0.25)
        if gone:
            log.info("tab reconnected from a dead instance: its token is taken over")
            await self.redis.delete(key)

    async def link_token_to_sid(self, token: str, sid: str) -> str | None:
        try:
            await self._ensure_beating()
            await self._release_if_owner_dead(token)
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
    """Swap the event namespace's Redis token manager (when Redis is used) for ours."""
    namespace = getattr(app, "event_namespace", None)
    current = getattr(namespace, "_token_manager", None)
    if isinstance(current, RedisTokenManager) and not isinstance(current, FailoverTokenManager):
        namespace._token_manager = FailoverTokenManager(current.redis)  # type: ignore[union-attr]
