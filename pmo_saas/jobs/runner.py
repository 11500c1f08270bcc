"""The huey instance, built from settings: Redis when PMO_REDIS_URL is set (shared by every
app and worker process), else a SQLite file beside the embedded database (one machine).

Why huey: a maintained, small task queue with periodic (crontab) tasks and exactly these two
storages, SQLite for the embedded default and Redis for deployments, plus a consumer process
(`python -m pmo_saas.manage worker`); no broker to run for the embedded default.
"""

from __future__ import annotations

from pathlib import Path

from huey import Huey, PriorityRedisHuey, SqliteHuey
from sqlalchemy.engine import make_url

from pmo_saas.settings import PROJECT_ROOT, Settings, get_settings


def sqlite_queue_path(settings: Settings) -> Path:
    if settings.jobs_sqlite_path:
        return Path(settings.jobs_sqlite_path)
    url = make_url(settings.database_url)
    if url.drivername.startswith("sqlite") and url.database and url.database != ":memory:":
        return Path(url.database).with_name("jobs.db")
    return PROJECT_ROOT / ".data" / "jobs.db"


def build_huey(settings: Settings | None = None, *, immediate: bool = False) -> Huey:
    settings = settings or get_settings()
    name = settings.jobs_queue_name
    if settings.redis_url:
        return PriorityRedisHuey(name, url=settings.redis_url, utc=True, immediate=immediate)
    path = sqlite_queue_path(settings)
    path.parent.mkdir(parents=True, exist_ok=True)
    return SqliteHuey(name, filename=str(path), utc=True, immediate=immediate)


huey = build_huey()
