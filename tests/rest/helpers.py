"""REST API test helpers: API keys and a client for the API's routes."""

from __future__ import annotations

from starlette.applications import Starlette
from starlette.testclient import TestClient

from pmo_saas.db import tenant_session
from pmo_saas.kernel.context import TenantContext
from pmo_saas.rest import http, keys


def make_key(
    ctx: TenantContext, scope: str = "read", name: str = "BI tool", role: str = "coach"
) -> tuple[int, str]:
    with tenant_session(ctx) as session:
        created = keys.create_api_key(session=session, ctx=ctx, name=name, scope=scope, role=role)
    return created.row.id, created.key


def client() -> TestClient:
    return TestClient(Starlette(routes=http.routes))


def bearer(key: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {key}"}
