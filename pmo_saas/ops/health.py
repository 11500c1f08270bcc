"""`/healthz`: is the database reachable (`SELECT 1`), and Redis when one is configured?

200 with `{"status": "ok", "database": "ok", "redis": "ok"}`, or 503 saying which failed:
`{"status": "failed", "database": "ok", "redis": "failed: ConnectionError: ..."}`.
The container's HEALTHCHECK and the proxy's checks call it.
"""

from __future__ import annotations

import asyncio

from sqlalchemy import text
from starlette.requests import Request
from starlette.responses import JSONResponse

from pmo_saas.db import get_engine
from pmo_saas.ops.logs import redact
from pmo_saas.settings import get_settings

CHECK_TIMEOUT_S = 3.0


def _failed(error: BaseException) -> str:
    detail = str(error).strip().splitlines()[0][:200] if str(error).strip() else ""
    name = "timeout" if isinstance(error, TimeoutError) else type(error).__name__
    return redact(f"failed: {name}: {detail}" if detail else f"failed: {name}")


def _select_one() -> None:
    with get_engine().connect() as connection:
        connection.execute(text("SELECT 1"))


async def check_database() -> str:
    try:
        await asyncio.wait_for(asyncio.to_thread(_select_one), CHECK_TIMEOUT_S)
    except Exception as error:
        return _failed(error)
    return "ok"


async def check_redis(url: str) -> str:
    import redis.asyncio as aioredis

    client = aioredis.from_url(
        url, socket_connect_timeout=CHECK_TIMEOUT_S, socket_timeout=CHECK_TIMEOUT_S
    )
    try:
        await asyncio.wait_for(client.ping(), CHECK_TIMEOUT_S)  # type: ignore[arg-type]
    except Exception as error:
        return _failed(error)
    finally:
        await client.aclose()
    return "ok"


async def health_report() -> dict[str, str]:
    redis_url = get_settings().redis_url
    database, redis_state = await asyncio.gather(
        check_database(),
        check_redis(redis_url) if redis_url else asyncio.sleep(0, "not configured"),
    )
    report = {"database": database, "redis": redis_state}
    healthy = all(value in ("ok", "not configured") for value in report.values())
    return {"status": "ok" if healthy else "failed", **report}


async def healthz(_request: Request) -> JSONResponse:
    report = await health_report()
    return JSONResponse(report, status_code=200 if report["status"] == "ok" else 503)
