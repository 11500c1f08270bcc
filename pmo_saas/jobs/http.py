"""What the job runner adds to the HTTP side: its figures on `/metrics`.

The worker is a process of its own (`manage worker`), and the app runs as several replicas,
so counters kept in memory by the process that ran a job would never reach the process that
answers a scrape. Instead `JobRunCollector` reads the `JobRun` table at scrape time: every
app process reports the same totals, whoever ran the job, and they survive restarts. (A
Prometheus scraping every replica gets one copy per replica: aggregate them with `max`, not
`sum`.) No routes of its own; `pmo_saas.api.build_api` registers `collectors`.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator

from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.registry import Collector
from sqlalchemy.exc import SQLAlchemyError

from pmo_saas.db import system_session
from pmo_saas.jobs.schedule import JOBS
from pmo_saas.jobs.services import run_totals

log = logging.getLogger("pmo_saas.jobs")
# runs, failures, items, running, last run, last success, readable
_Families = tuple[
    CounterMetricFamily,
    CounterMetricFamily,
    CounterMetricFamily,
    GaugeMetricFamily,
    GaugeMetricFamily,
    GaugeMetricFamily,
    GaugeMetricFamily,
]


class JobRunCollector(Collector):
    """Job runs, failures, runs in progress, items done and last run times, per job."""

    def describe(self) -> Iterator[Metric]:
        """The metric names, read by the registry when the collector is registered: without
        this, prometheus-client calls `collect` then, a database read at import time (in a
        process that may fork its workers afterwards)."""
        return iter(self._families())

    @staticmethod
    def _families() -> _Families:
        runs = CounterMetricFamily("pmo_job_runs", "Background job runs started.", labels=["job"])
        failures = CounterMetricFamily(
            "pmo_job_failures",
            "Background job runs that failed (an error, or cut off by a killed worker).",
            labels=["job"],
        )
        items = CounterMetricFamily(
            "pmo_job_items", "What background job runs finished (mails, rows...).", labels=["job"]
        )
        running = GaugeMetricFamily("pmo_job_running", "Job runs in progress.", labels=["job"])
        last_run = GaugeMetricFamily(
            "pmo_job_last_run_timestamp_seconds", "When the job last started.", labels=["job"]
        )
        last_ok = GaugeMetricFamily(
            "pmo_job_last_success_timestamp_seconds",
            "When the job's last successful run started.",
            labels=["job"],
        )
        readable = GaugeMetricFamily(
            "pmo_job_metrics_up", "1 if the job-run table could be read for this scrape."
        )
        return (runs, failures, items, running, last_run, last_ok, readable)

    def collect(self) -> Iterator[Metric]:
        runs, failures, items, running, last_run, last_ok, readable = self._families()
        try:
            with system_session() as session:
                totals = run_totals(session)
        except SQLAlchemyError:
            log.exception("job metrics: the job-run table could not be read")
            readable.add_metric([], 0)
            yield readable
            return
        readable.add_metric([], 1)
        names = sorted({spec.name for spec in JOBS} | set(totals))
        for name in names:
            total = totals.get(name)
            runs.add_metric([name], total.runs if total else 0)
            failures.add_metric([name], total.failed if total else 0)
            items.add_metric([name], total.items if total else 0)
            running.add_metric([name], total.running if total else 0)
            if total and total.last_started:
                last_run.add_metric([name], total.last_started.timestamp())
            if total and total.last_ok_started:
                last_ok.add_metric([name], total.last_ok_started.timestamp())
        yield from (runs, failures, items, running, last_run, last_ok, readable)


collectors: list[Collector] = [JobRunCollector()]
routes: list[object] = []
