"""REST API: what one request costs beyond its service, and a list read page by page.

One organisation with 2,000 initiatives (smoke: 50) in one portfolio, a coach key. Times, as
the median of 30 requests through the ASGI app in-process (no network): GET /portfolios (the
key check, rate counter, tenant transaction and JSON around a tiny service), the initiatives
list whole, the scoring-rounds list paged (limit=100), and building the OpenAPI document.

    python bench/rest_requests.py [--smoke]
"""

from __future__ import annotations

import os
import secrets
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from bench._size import smoke

SMOKE = smoke(__doc__)
N = 50 if SMOKE else 2000
RUNS = 5 if SMOKE else 30
_tmp = Path(tempfile.mkdtemp(prefix="pmo-bench-"))
os.environ.setdefault("PMO_DATABASE_URL", f"sqlite:///{_tmp / 'bench.db'}")
os.environ.setdefault("PMO_ENVIRONMENT", "test")
os.environ.setdefault("PMO_SECRET_KEY", "bench-secret-key-" + "x" * 40)
os.environ["PMO_API_RATE_PER_MINUTE"] = "1000000"
os.environ["PMO_SMTP_HOST"] = ""


def _median_ms(call: Callable[[], object]) -> float:
    times = []
    for _ in range(RUNS):
        start = time.perf_counter()
        call()
        times.append((time.perf_counter() - start) * 1000)
    return statistics.median(times)


def main() -> int:
    from sqlalchemy import insert
    from starlette.applications import Starlette
    from starlette.testclient import TestClient

    from pmo_saas.db import get_engine, tenant_session
    from pmo_saas.identity import services as identity
    from pmo_saas.manage import migrate
    from pmo_saas.portfolio.models import Initiative
    from pmo_saas.portfolio.services import portfolios as portfolio_services
    from pmo_saas.rest import http, keys
    from pmo_saas.rest.openapi import openapi_document

    migrate()
    user_id, slug = identity.sign_up(
        org_name="Bench",
        name="Bench",
        email="owner@example.com",
        password="Aa9-" + secrets.token_urlsafe(16),
    )
    ctx = identity.workspace_context(user_id=user_id, slug=slug)
    with tenant_session(ctx) as session:
        pid = portfolio_services.create_portfolio(session=session, ctx=ctx, name="Bench")
    with tenant_session(ctx) as session:  # bulk insert: the set-up is not what is measured
        session.execute(
            insert(Initiative),
            [
                {"org_id": ctx.org_id, "portfolio_id": pid, "title": f"Initiative {n}"}
                for n in range(N)
            ],
        )
        key = keys.create_api_key(session=session, ctx=ctx, name="bench").key
    api = TestClient(Starlette(routes=http.routes))
    headers = {"Authorization": f"Bearer {key}"}

    def get(path: str, **params: object) -> list[object]:
        response = api.get(f"/api/v1{path}", headers=headers, params=params)
        assert response.status_code == 200, response.text
        return response.json()  # type: ignore[no-any-return]

    assert len(get(f"/portfolios/{pid}/initiatives")) == N
    tiny = _median_ms(lambda: get("/portfolios"))
    whole = _median_ms(lambda: get(f"/portfolios/{pid}/initiatives"))
    paged = _median_ms(lambda: get(f"/portfolios/{pid}/scoring-rounds", limit=100))
    document = _median_ms(lambda: openapi_document(http.ENDPOINTS))
    get_engine().dispose()
    print(f"REST API, in-process, median of {RUNS} requests ({N:,} initiatives)")
    print(f"GET /portfolios (key check + transaction + JSON)  {tiny:7.1f} ms")
    print(f"GET /portfolios/{{id}}/initiatives, all {N:,}      {whole:7.1f} ms")
    print(f"GET /portfolios/{{id}}/scoring-rounds?limit=100    {paged:7.1f} ms")
    print(f"OpenAPI document ({len(http.ENDPOINTS)} endpoints)              {document:7.1f} ms")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
