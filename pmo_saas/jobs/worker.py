"""`python -m pmo_saas.manage worker`: the huey consumer running the jobs on their schedule."""

from __future__ import annotations

import logging
import os
import signal
import threading
import time

from pmo_saas.settings import get_settings

log = logging.getLogger("pmo_saas.jobs")


def _stop_when_parent_exits() -> None:
    """scripts/run starts the worker, then becomes the app: when the app ends, so do we."""
    parent = os.getppid()

    def watch() -> None:
        while os.getppid() == parent:
            time.sleep(1)
        log.info("worker: the app (pid %s) stopped, stopping", parent)
        os.kill(os.getpid(), signal.SIGINT)  # huey's graceful stop: running jobs finish

    threading.Thread(target=watch, name="parent-watch", daemon=True).start()


def run_worker(
    *, workers: int | None = None, periodic: bool = True, stop_with_parent: bool = False
) -> int:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(levelname)s %(message)s")
    import pmo_saas.models  # noqa: F401  (every table known before a job runs)
    from pmo_saas.jobs import tasks  # registers the tasks with huey
    from pmo_saas.jobs.runner import huey

    settings = get_settings()
    where = "Redis" if settings.redis_url else f"SQLite {huey.storage.filename}"  # type: ignore[attr-defined]
    log.info("worker: queue %r on %s, jobs %s", huey.name, where, ", ".join(sorted(tasks.RUNNERS)))
    consumer = huey.create_consumer(
        workers=workers or settings.jobs_workers, worker_type="thread", periodic=periodic
    )
    if stop_with_parent:
        _stop_when_parent_exits()
    consumer.run()
    return 0
