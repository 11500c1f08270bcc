"""`python -m pmo_saas.manage worker`: the huey consumer running the jobs on their schedule."""

from __future__ import annotations

import logging
import os
import signal
import threading
import time

from pmo_saas.settings import get_settings

log = logging.getLogger("pmo_saas.jobs")
_NOT_LISTENING = (signal.SIG_IGN, signal.SIG_DFL, signal.default_int_handler, None)


def _stop_when_parent_exits(parent: int) -> None:
    """scripts/run starts the worker, then `exec`s the app in its own place (pid `parent`):
    once we are no longer that process's child, the app has ended, and so do we."""

    def watch() -> None:
        while os.getppid() == parent:
            time.sleep(1)
        log.info("worker: the app (pid %s) stopped, stopping", parent)
        # Once the consumer listens (its own handler in place), a graceful stop: jobs finish.
        while signal.getsignal(signal.SIGINT) in _NOT_LISTENING:
            time.sleep(0.1)
        os.kill(os.getpid(), signal.SIGINT)

    threading.Thread(target=watch, name="parent-watch", daemon=True).start()


def run_worker(
    *, workers: int | None = None, periodic: bool = True, stop_with: int | None = None
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
    if stop_with is not None:
        _stop_when_parent_exits(stop_with)
    consumer.run()
    return 0
