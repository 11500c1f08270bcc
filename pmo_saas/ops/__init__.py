"""Operations: health check, Prometheus metrics, JSON logs with redaction, backups.

`install(app)` hooks the Reflex event metrics into the app; `http_routes` and `http_middleware`
are mounted by `pmo_saas.api.build_api()`.
"""

from __future__ import annotations

from typing import Any

from starlette.middleware import Middleware
from starlette.routing import Route

from pmo_saas.ops import health, logs, memory, metrics

http_routes = [
    Route("/healthz", health.healthz, methods=["GET"]),
    Route("/metrics", metrics.metrics_endpoint, methods=["GET"]),
]
http_middleware = [Middleware(metrics.HttpMetricsMiddleware)]


def install(app: Any) -> None:
    """Called once by the module that holds `app`: logging, event metrics, session gauge."""
    logs.configure_logging()
    metrics.install(app)
    app.register_lifespan_task(memory.freeze_startup_heap)
