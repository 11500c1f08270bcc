"""/healthz checks the database and Redis and says which failed."""

from __future__ import annotations

import os
import socket

from sqlalchemy import create_engine
from starlette.testclient import TestClient

from pmo_saas.api import build_api
from pmo_saas.ops import health
from pmo_saas.settings import get_settings


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_healthy_database_and_redis_when_configured():
    response = TestClient(build_api()).get("/healthz")
    assert response.status_code == 200
    expected_redis = "ok" if os.environ.get("PMO_TEST_REDIS_URL") else "not configured"
    assert response.json() == {"status": "ok", "database": "ok", "redis": expected_redis}


def test_unreachable_redis_is_named_with_503(monkeypatch):
    port = _closed_port()
    monkeypatch.setattr(get_settings(), "redis_url", f"redis://:hunter2pw@127.0.0.1:{port}/0")
    response = TestClient(build_api()).get("/healthz")
    assert response.status_code == 503
    body = response.json()
    assert body["status"] == "failed" and body["database"] == "ok"
    assert body["redis"].startswith("failed: ")
    assert "hunter2pw" not in response.text


def test_unreachable_database_is_named_with_503(monkeypatch):
    port = _closed_port()
    dead = create_engine(f"postgresql+psycopg://postgres:hunter2pw@127.0.0.1:{port}/nothing")
    monkeypatch.setattr(health, "get_engine", lambda: dead)
    monkeypatch.setattr(get_settings(), "redis_url", "")
    response = TestClient(build_api()).get("/healthz")
    assert response.status_code == 503
    body = response.json()
    assert body == {"status": "failed", "database": body["database"], "redis": "not configured"}
    assert body["database"].startswith("failed: OperationalError")
    assert "hunter2pw" not in response.text
