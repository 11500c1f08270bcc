"""`python -m pmo_saas.manage worker` is a real huey consumer: started as its own process, it
takes a task from the queue (SQLite in a temp dir, or Redis when the run has PMO_REDIS_URL)
and runs it against the database; and the queue's storage follows the settings."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from huey import PriorityRedisHuey, SqliteHuey
from huey.storage import PriorityRedisStorage, SqliteStorage

from pmo_saas.jobs import tasks
from pmo_saas.jobs.runner import build_huey, sqlite_queue_path
from pmo_saas.kernel.context import TenantContext
from pmo_saas.settings import PROJECT_ROOT, Settings, get_settings
from tests.jobs.helpers import add_sessions, count_sessions, runs


def test_the_worker_process_runs_a_queued_task_end_to_end(
    org_a: TenantContext, tmp_path: Path
) -> None:
    add_sessions(org_a, expired=2, live=1)
    settings = get_settings()
    queue = tasks.huey  # this run's queue; the worker builds the same from the same settings
    expected = PriorityRedisStorage if settings.redis_url else SqliteStorage
    assert isinstance(queue.storage, expected) and not queue.immediate

    log = tmp_path / "worker.log"
    with log.open("wb") as out:
        worker = subprocess.Popen(
            [sys.executable, "-m", "pmo_saas.manage", "worker", "--workers", "1", "--no-periodic"],
            cwd=PROJECT_ROOT,
            env=dict(os.environ),
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    try:
        result = tasks.run_job_now("purge_expired")  # enqueued, not run here
        assert result is not None
        value = result.get(blocking=True, timeout=60)  # bounded: the worker's cold start
        assert value == {
            "job": "purge_expired",
            "outcome": "ok",
            "items": 2,
            "detail": "2 sessions, 0 sign-in tickets, 0 password resets, 0 share links",
        }
    finally:
        worker.send_signal(signal.SIGINT)  # huey's graceful stop
        try:
            code = worker.wait(timeout=20)
        except subprocess.TimeoutExpired:
            worker.kill()
            code = worker.wait()
    output = log.read_text()
    assert code == 0, output
    assert count_sessions() == 1
    assert [r.outcome for r in runs("purge_expired")] == ["ok"]
    assert f"queue {settings.jobs_queue_name!r} on " in output
    where = "Redis" if settings.redis_url else f"SQLite {sqlite_queue_path(settings)}"
    assert f"on {where}," in output


def test_a_redis_url_selects_the_redis_storage() -> None:
    queue = build_huey(
        Settings(redis_url="redis://127.0.0.1:6390/3", jobs_queue_name="pmo-unit", _env_file=None)
    )
    assert isinstance(queue, PriorityRedisHuey)
    assert isinstance(queue.storage, PriorityRedisStorage)
    kwargs = queue.storage.conn.connection_pool.connection_kwargs
    assert (kwargs["host"], kwargs["port"], kwargs["db"]) == ("127.0.0.1", 6390, 3)
    assert queue.name == "pmo-unit"


def test_without_redis_the_queue_is_a_sqlite_file_beside_the_embedded_database(
    tmp_path: Path,
) -> None:
    database = tmp_path / "data" / "app.db"
    settings = Settings(redis_url="", database_url=f"sqlite:///{database}", _env_file=None)
    assert sqlite_queue_path(settings) == database.with_name("jobs.db")
    queue = build_huey(settings)
    assert isinstance(queue, SqliteHuey) and isinstance(queue.storage, SqliteStorage)
    assert Path(queue.storage.filename) == database.with_name("jobs.db")
    postgres = Settings(redis_url="", database_url="postgresql://u@127.0.0.1/db", _env_file=None)
    assert sqlite_queue_path(postgres) == PROJECT_ROOT / ".data" / "jobs.db"


@pytest.mark.parametrize("app_seconds", [0, 6], ids=["app-ends-first", "worker-ready-first"])
def test_a_worker_started_beside_the_app_stops_when_the_app_stops(
    tmp_path: Path, app_seconds: int
) -> None:
    """As scripts/run does: the worker in the background, then `exec` the app in its place;
    the app ends before the worker is ready, or after (then the worker was serving)."""
    pid_file = tmp_path / "worker.pid"
    script = (
        f'"{sys.executable}" -m pmo_saas.manage worker --no-periodic --stop-with $$ '
        f'> "{tmp_path / "worker.log"}" 2>&1 & echo $! > "{pid_file}"; exec sleep {app_seconds}'
    )
    app = subprocess.Popen(["bash", "-c", script], cwd=PROJECT_ROOT, env=dict(os.environ))
    assert app.wait(timeout=30) == 0
    worker_pid = int(pid_file.read_text())
    deadline = time.monotonic() + 20
    while _alive(worker_pid) and time.monotonic() < deadline:
        time.sleep(0.2)
    assert not _alive(worker_pid), (tmp_path / "worker.log").read_text()
    assert "stopped, stopping" in (tmp_path / "worker.log").read_text()


def _alive(pid: int) -> bool:
    """Running: an exited worker waiting to be reaped (a zombie) has stopped. Once the app
    ended, the worker is adopted by whatever reaps orphans here, which may be slow to do it
    (seen on a loaded machine: 'Consumer exiting.' logged, the pid still there 20 s on)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except FileNotFoundError:
        return False
    return stat.rpartition(")")[2].split()[0] != "Z"
