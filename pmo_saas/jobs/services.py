"""Runs of background jobs: a lease so one job never runs twice at once, a `JobRun` row per
run (started, finished, ok/failed, items done, detail), and the admin page's overview.

`run_job(name, work)` is what every task calls: it takes the job's lease (or returns None when
another worker holds it), records the run, calls `work(progress)` and records the outcome.
`work` counts what it finished with `progress.done(n)`, so a run that fails mid-way still says
how far it got. After every run each function in `RUN_FINISHED_HOOKS` is called with the
finished run. (The Prometheus figures do not use the hooks: the worker is another process,
so `/metrics` reads `run_totals` from the JobRun table at scrape time; see jobs/http.py.)
"""

from __future__ import annotations

import logging
import os
import socket
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import CursorResult, or_, update
from sqlalchemy import select as sa_select
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, func, select

from pmo_saas.db import system_session
from pmo_saas.jobs.models import (
    OUTCOME_FAILED,
    OUTCOME_OK,
    OUTCOME_RUNNING,
    JobLock,
    JobRun,
)
from pmo_saas.jobs.schedule import JOBS
from pmo_saas.jobs.schemas import JobStatusRow
from pmo_saas.kernel.clock import as_utc, utcnow
from pmo_saas.kernel.context import TenantContext
from pmo_saas.kernel.roles import Role
from pmo_saas.ops import logs

log = logging.getLogger("pmo_saas.jobs")

DETAIL_MAX = 2000
INTERRUPTED = "interrupted: the worker stopped before the run finished"


@dataclass
class Progress:
    """What a run has finished so far, and a note for operators."""

    items: int = 0
    notes: list[str] = field(default_factory=list)

    def done(self, count: int = 1) -> None:
        self.items += count

    def note(self, text: str) -> None:
        self.notes.append(text)


@dataclass(frozen=True, slots=True)
class FinishedRun:
    job: str
    outcome: str
    items: int
    detail: str
    started_at: datetime
    finished_at: datetime


RUN_FINISHED_HOOKS: list[Callable[[FinishedRun], None]] = []


def _holder() -> str:
    return f"{socket.gethostname()}:{os.getpid()}:{threading.get_ident()}"[-64:]


def acquire_lease(job: str, *, ttl: timedelta, holder: str | None = None) -> bool:
    """Take the job's lease until now + ttl; False while another holder's lease is live."""
    now = utcnow()
    with system_session() as session:
        if session.get(JobLock, job) is None:
            try:
                with session.begin_nested():
                    session.add(JobLock(job=job))
            except IntegrityError:  # another worker created it at the same moment
                pass
    with system_session() as session:
        result = session.connection().execute(
            update(JobLock)
            .where(
                col(JobLock.job) == job,
                or_(col(JobLock.locked_until).is_(None), col(JobLock.locked_until) < now),
            )
            .values(holder=holder or _holder(), locked_until=now + ttl)
        )
        assert isinstance(result, CursorResult)
        return result.rowcount == 1


def release_lease(job: str, *, holder: str | None = None) -> None:
    """Give the lease back (only our own: an expired lease may have passed to another)."""
    with system_session() as session:
        session.connection().execute(
            update(JobLock)
            .where(col(JobLock.job) == job, col(JobLock.holder) == (holder or _holder()))
            .values(holder="", locked_until=None)
        )


def run_job(name: str, work: Callable[[Progress], None], *, lease: timedelta) -> FinishedRun | None:
    """Run `work` once as job `name`, recorded; None (nothing run) if the job is running.
    Its log lines share a request id of their own ("job-<name>-<hex>") and no actor."""
    with logs.bound(request_id=f"job-{name}-{logs.new_request_id()[:12]}"[:64]):
        return _run_job(name, work, lease=lease)


def _run_job(
    name: str, work: Callable[[Progress], None], *, lease: timedelta
) -> FinishedRun | None:
    holder = _holder()
    if not acquire_lease(name, ttl=lease, holder=holder):
        log.info("job %s is already running elsewhere: this run is skipped", name)
        return None
    try:
        started = utcnow()
        with system_session() as session:
            # We hold the lease: a run still "running" was cut off (its worker was killed).
            session.connection().execute(
                update(JobRun)
                .where(col(JobRun.job) == name, col(JobRun.outcome) == OUTCOME_RUNNING)
                .values(outcome=OUTCOME_FAILED, finished_at=started, detail=INTERRUPTED)
            )
            row = JobRun(job=name, started_at=started)
            session.add(row)
            session.flush()
            run_id = row.id
        progress = Progress()
        outcome = OUTCOME_OK
        try:
            work(progress)
        except Exception as error:  # a failed run is recorded, never lost in a log
            log.exception("job %s failed", name)
            outcome = OUTCOME_FAILED
            progress.note(f"{type(error).__name__}: {error}")
        finished = utcnow()
        detail = "\n".join(progress.notes)[:DETAIL_MAX]
        with system_session() as session:
            stored = session.get(JobRun, run_id)
            assert stored is not None
            stored.finished_at, stored.outcome = finished, outcome
            stored.items, stored.detail = progress.items, detail
        run = FinishedRun(name, outcome, progress.items, detail, started, finished)
    finally:
        release_lease(name, holder=holder)
    for hook in RUN_FINISHED_HOOKS:
        try:
            hook(run)
        except Exception:
            log.exception("job run hook %r failed", hook)
    return run


# --- what admins see -------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class LastRun:
    job: str
    started_at: datetime
    finished_at: datetime | None
    outcome: str


def last_runs(session: Session) -> dict[str, LastRun]:
    """The latest run of every job that has run (job name, times, outcome: nothing else)."""
    latest = (
        select(JobRun.job, func.max(JobRun.id).label("last_id")).group_by(JobRun.job).subquery()
    )
    rows = session.exec(select(JobRun).join(latest, col(JobRun.id) == latest.c.last_id)).all()
    return {
        r.job: LastRun(
            r.job,
            as_utc(r.started_at),
            as_utc(r.finished_at) if r.finished_at else None,
            r.outcome,
        )
        for r in rows
    }


@dataclass(frozen=True, slots=True)
class JobTotals:
    runs: int
    failed: int
    running: int
    items: int
    last_started: datetime | None
    last_ok_started: datetime | None


def run_totals(session: Session) -> dict[str, JobTotals]:
    """Per job over its recorded runs: how many, failed, running, items, last start times."""
    rows = (
        session.connection()
        .execute(
            sa_select(
                col(JobRun.job),
                col(JobRun.outcome),
                func.count(),
                func.coalesce(func.sum(col(JobRun.items)), 0),
                func.max(col(JobRun.started_at)),
            ).group_by(col(JobRun.job), col(JobRun.outcome))
        )
        .all()
    )
    grouped: dict[str, dict[str, tuple[int, int, datetime | None]]] = {}
    for job, outcome, count, items, started in rows:
        grouped.setdefault(job, {})[outcome] = (
            int(count),
            int(items),
            as_utc(started) if started else None,
        )
    totals = {}
    for job, by_outcome in grouped.items():
        starts = [s for _, _, s in by_outcome.values() if s is not None]
        totals[job] = JobTotals(
            runs=sum(c for c, _, _ in by_outcome.values()),
            failed=by_outcome.get(OUTCOME_FAILED, (0, 0, None))[0],
            running=by_outcome.get(OUTCOME_RUNNING, (0, 0, None))[0],
            items=sum(i for _, i, _ in by_outcome.values()),
            last_started=max(starts) if starts else None,
            last_ok_started=by_outcome.get(OUTCOME_OK, (0, 0, None))[2],
        )
    return totals


def _when(moment: datetime | None) -> str:
    return moment.strftime("%Y-%m-%d %H:%M UTC") if moment else ""


def job_overview(*, session: Session, ctx: TenantContext) -> list[JobStatusRow]:
    """Admins: every job's schedule, last run and outcome (runs are system-wide, so only the
    job's name, times and ok/failed: no counts or detail that could describe another org)."""
    ctx.require(Role.ADMIN)
    now = utcnow()
    last = last_runs(session)
    rows = []
    for spec in JOBS:
        run = last.get(spec.name)
        rows.append(
            JobStatusRow(
                name=spec.name,
                title=spec.title,
                schedule=spec.when,
                last_run=_when(run.started_at) if run else "",
                outcome=run.outcome if run else "never run",
                next_run=_when(spec.next_run(now)),
            )
        )
    return rows
