"""/metrics: Prometheus text for the operator only (bearer token or loopback without proxy)."""

from __future__ import annotations

import asyncio
import contextlib
import os
import subprocess
import sys
import time

from prometheus_client import REGISTRY
from pydantic import SecretStr
from reflex_base.event import Event
from starlette.testclient import TestClient

from pmo_saas.api import build_api
from pmo_saas.ops import metrics
from pmo_saas.settings import get_settings
from tests.state_harness import run

LOOPBACK = ("127.0.0.1", 50000)
OUTSIDE = ("203.0.113.9", 50000)


def _client(client: tuple[str, int]) -> TestClient:
    return TestClient(build_api(), client=client)


def _sample(name: str, labels: dict[str, str]) -> float:
    return REGISTRY.get_sample_value(name, labels) or 0.0


def test_without_a_token_only_direct_loopback_callers_get_metrics(monkeypatch):
    monkeypatch.setattr(get_settings(), "metrics_token", SecretStr(""))
    assert _client(OUTSIDE).get("/metrics").status_code == 403
    proxied = _client(LOOPBACK).get("/metrics", headers={"x-forwarded-for": "203.0.113.9"})
    assert proxied.status_code == 403
    local = _client(LOOPBACK)
    local.get("/healthz")
    response = local.get("/metrics")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/plain")
    assert (
        'pmo_http_request_duration_seconds_count{method="GET",route="/healthz",status="200"}'
        in (response.text)
    )
    for name in ("pmo_event_duration_seconds", "pmo_connected_sessions", "pmo_job_runs_total"):
        assert f"# TYPE {name}" in response.text


def test_with_a_token_the_bearer_is_required_even_on_loopback(monkeypatch):
    monkeypatch.setattr(get_settings(), "metrics_token", SecretStr("metrics-token-for-tests-42"))
    local = _client(LOOPBACK)
    assert local.get("/metrics").status_code == 403
    wrong = local.get("/metrics", headers={"authorization": "Bearer not-the-token"})
    assert wrong.status_code == 403
    good = {"authorization": "Bearer metrics-token-for-tests-42"}
    assert _client(OUTSIDE).get("/metrics", headers=good).status_code == 200


def test_http_latency_is_labelled_by_route_template_not_raw_path(monkeypatch):
    client = _client(LOOPBACK)
    labels = {"method": "GET", "route": "unmatched", "status": "404"}
    before = _sample("pmo_http_request_duration_seconds_count", labels)
    client.get("/no/such/page-123")
    client.get("/no/such/page-456")
    assert _sample("pmo_http_request_duration_seconds_count", labels) == before + 2


def test_event_latency_is_observed_when_the_event_task_ends():
    name = "reflex___state____state.pmo_saas___ops_test____probe_state.do_thing"
    labels = {"handler": "pmo_saas___ops_test____probe_state.do_thing", "outcome": "ok"}
    failed = {**labels, "outcome": "error"}
    before = _sample("pmo_event_duration_seconds_count", labels)
    before_failed = _sample("pmo_event_duration_seconds_count", failed)
    middleware = metrics.EventMetricsMiddleware()

    async def handle(fail: bool) -> None:
        assert await middleware.preprocess(None, None, Event(name=name)) is None
        await asyncio.sleep(0.01)
        if fail:
            raise RuntimeError("handler failed")

    async def scenario() -> None:
        await asyncio.create_task(handle(False))
        with contextlib.suppress(RuntimeError):
            await asyncio.create_task(handle(True))
        await asyncio.sleep(0)  # done callbacks run on the next loop turn

    run(scenario())  # in its own thread: the browser tests' Playwright loop may run in this one
    assert _sample("pmo_event_duration_seconds_count", labels) == before + 1
    assert _sample("pmo_event_duration_seconds_count", failed) == before_failed + 1
    assert _sample("pmo_event_duration_seconds_sum", labels) >= 0.01


def _scrape() -> str:
    response = _client(LOOPBACK).get("/metrics")
    assert response.status_code == 200
    return response.text


def _value(text: str, line_start: str) -> float:
    (line,) = [line for line in text.splitlines() if line.startswith(line_start + " ")]
    return float(line.rsplit(" ", 1)[1])


def test_job_runs_and_failures_run_by_another_process_reach_metrics(monkeypatch):
    """The worker is its own process: a job run there shows on this process's /metrics."""
    monkeypatch.setattr(get_settings(), "metrics_token", SecretStr(""))
    before = _scrape()
    assert _value(before, 'pmo_job_runs_total{job="purge_expired"}') == 0
    assert _value(before, "pmo_job_metrics_up") == 1
    script = (
        "from datetime import timedelta\n"
        "from pmo_saas.jobs import services, tasks\n"
        "tasks.run_purge_expired()\n"
        "def broken(progress):\n"
        "    progress.done(2)\n"
        "    raise RuntimeError('mail server down')\n"
        "services.run_job('retry_mail', broken, lease=timedelta(minutes=1))\n"
    )
    subprocess.run([sys.executable, "-c", script], check=True, env=os.environ.copy(), timeout=120)

    after = _scrape()
    assert _value(after, 'pmo_job_runs_total{job="purge_expired"}') == 1
    assert _value(after, 'pmo_job_failures_total{job="purge_expired"}') == 0
    assert _value(after, 'pmo_job_runs_total{job="retry_mail"}') == 1
    assert _value(after, 'pmo_job_failures_total{job="retry_mail"}') == 1
    assert _value(after, 'pmo_job_items_total{job="retry_mail"}') == 2
    assert _value(after, 'pmo_job_running{job="retry_mail"}') == 0
    last = _value(after, 'pmo_job_last_success_timestamp_seconds{job="purge_expired"}')
    assert abs(last - time.time()) < 300
    assert 'pmo_job_last_success_timestamp_seconds{job="retry_mail"}' not in after
    # every scheduled job is listed, run or not
    assert _value(after, 'pmo_job_runs_total{job="coaching_digest"}') == 0


def test_a_job_run_in_this_process_counts_once_however_often_the_api_is_built(monkeypatch):
    from pmo_saas.jobs import tasks

    monkeypatch.setattr(get_settings(), "metrics_token", SecretStr(""))
    build_api()  # a second build registers no second collector (no duplicate series)
    tasks.run_prune_rate_counters()
    tasks.run_prune_rate_counters()
    text = _scrape()
    assert _value(text, 'pmo_job_runs_total{job="prune_rate_counters"}') == 2
    assert text.count('pmo_job_runs_total{job="prune_rate_counters"}') == 1
