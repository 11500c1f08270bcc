"""Prometheus metrics at `/metrics`: HTTP and Reflex event latency, connected sessions, jobs.

Per-process metrics (prometheus-client's default registry, no multiprocess mode): each app
process answers for itself, except collectors that domains' http modules declare
(`collectors`), which read shared state at scrape time (jobs: the job-run table). The
deployment runs one backend worker per container (`GRANIAN_WORKERS=1`, deploy/compose.yaml)
and Prometheus scrapes every replica, so a scrape always sees one whole process. Several
workers in one container would each answer for themselves, whichever the request reached.

`/metrics` is not for the world: with `PMO_METRICS_TOKEN` set it needs
`Authorization: Bearer <token>`; without one it answers only loopback callers that did not
come through a proxy (no X-Forwarded-For). The nginx configuration also refuses it.
"""

from __future__ import annotations

import asyncio
import hmac
import ipaddress
import time
from collections.abc import Iterable
from typing import Any

from prometheus_client import (
    CONTENT_TYPE_LATEST,
    REGISTRY,
    Gauge,
    Histogram,
    generate_latest,
)
from prometheus_client.registry import Collector
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.routing import Mount, Route
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from pmo_saas.ops import logs
from pmo_saas.settings import get_settings

HTTP_REQUEST_SECONDS = Histogram(
    "pmo_http_request_duration_seconds",
    "HTTP request latency by route template and status.",
    ["method", "route", "status"],
)
EVENT_SECONDS = Histogram(
    "pmo_event_duration_seconds",
    "Reflex event handling latency (from taking the state lock to the last delta), by handler.",
    ["handler", "outcome"],
)
CONNECTED_SESSIONS = Gauge(
    "pmo_connected_sessions", "Browser tabs connected over the websocket to this process."
)
# Job runs and failures (pmo_job_runs_total, pmo_job_failures_total, ...) come from the
# jobs domain's collector (pmo_saas/jobs/http.py), which reads the job-run table at scrape
# time: the worker is another process, so counters in this one would never see its runs.
_registered: set[str] = set()


def register_collectors(collectors: Iterable[Collector]) -> None:
    """Add a domain's collectors to the default registry, once per class (build_api may run
    more than once in a process)."""
    for collector in collectors:
        name = f"{type(collector).__module__}.{type(collector).__qualname__}"
        if name not in _registered:
            REGISTRY.register(collector)
            _registered.add(name)


_STATE_PREFIX = "reflex___state____state."


def route_template(scope: Scope) -> str:
    """The matched route's path template (`/o/{slug}`), never the raw path (unbounded labels)."""
    route = scope.get("route")
    if isinstance(route, Route):
        return route.path
    if isinstance(route, Mount):
        return (route.path or "") + "/*" if route.path else "frontend"
    return "unmatched"


class HttpMetricsMiddleware:
    """Pure ASGI: times HTTP requests, binds a request id for logs, echoes it as X-Request-ID."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] not in ("http", "websocket"):
            await self.app(scope, receive, send)
            return
        incoming = ""
        for key, value in scope.get("headers") or []:
            if key == b"x-request-id":
                incoming = value.decode("latin-1")
        request_id = logs.new_request_id(incoming)
        logs.bind_request(request_id)
        if scope["type"] == "websocket":
            await self.app(scope, receive, send)
            return
        status = 500
        started = time.perf_counter()

        async def send_with_id(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                message.setdefault("headers", [])
                message["headers"] = [
                    *message["headers"],
                    (b"x-request-id", request_id.encode()),
                ]
            await send(message)

        try:
            await self.app(scope, receive, send_with_id)
        finally:
            HTTP_REQUEST_SECONDS.labels(
                scope.get("method", ""), route_template(scope), str(status)
            ).observe(time.perf_counter() - started)


def handler_label(event_name: str) -> str:
    return event_name.removeprefix(_STATE_PREFIX)


class EventMetricsMiddleware:
    """Reflex middleware: each event runs in a task of its own; its end closes the timer."""

    async def preprocess(self, app: Any, state: Any, event: Any) -> None:
        logs.bind_request(logs.new_request_id())
        task = asyncio.current_task()
        if task is None:
            return None
        started = time.perf_counter()
        handler = handler_label(getattr(event, "name", "") or "unknown")

        def observe(done: asyncio.Task) -> None:
            outcome = "cancelled" if done.cancelled() else ("error" if done.exception() else "ok")
            EVENT_SECONDS.labels(handler, outcome).observe(time.perf_counter() - started)
            logs.clear_actor()  # runs in the event's context: nothing of this event outlives it

        task.add_done_callback(observe)
        return None

    async def postprocess(self, app: Any, state: Any, event: Any, update: Any) -> Any:
        return update


def _connected_sessions(app: Any) -> float:
    namespace = getattr(app, "event_namespace", None)
    if namespace is None:
        return 0.0
    return float(len(namespace.sid_to_token))


def install(app: Any) -> None:
    app.add_middleware(EventMetricsMiddleware())
    CONNECTED_SESSIONS.set_function(lambda: _connected_sessions(app))


def _is_loopback(host: str | None) -> bool:
    try:
        return bool(host) and ipaddress.ip_address(host or "").is_loopback
    except ValueError:
        return False


def metrics_allowed(request: Request) -> bool:
    token = get_settings().metrics_token.get_secret_value()
    if token:
        header = request.headers.get("authorization", "")
        scheme, _, given = header.partition(" ")
        return scheme.lower() == "bearer" and hmac.compare_digest(given.strip(), token)
    proxied = "x-forwarded-for" in request.headers or "forwarded" in request.headers
    return not proxied and _is_loopback(request.client.host if request.client else None)


async def metrics_endpoint(request: Request) -> Response:
    if not metrics_allowed(request):
        return PlainTextResponse(
            "metrics need a bearer token (PMO_METRICS_TOKEN) or a loopback caller",
            status_code=403,
        )
    return Response(generate_latest(), media_type=CONTENT_TYPE_LATEST)
