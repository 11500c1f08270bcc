"""Every list of the REST API is paged the same way (`limit`, `offset`, a JSON array), read
from the OpenAPI document: each paged list reachable with a portfolio id (or none) is read
page by page with each organisation's key, and the pages add up to the whole list, which holds
none of the other organisation's rows."""

from __future__ import annotations

from typing import Any, get_origin

import pytest

from pmo_saas.kernel.context import TenantContext
from pmo_saas.rest.core import PREFIX
from pmo_saas.rest.http import ENDPOINTS
from tests.dashboard.helpers import make_portfolio
from tests.rest.helpers import bearer, client, make_key

PAGE = 2


def _paged_paths() -> list[str]:
    doc = client().get(f"{PREFIX}/openapi.json").json()
    paths = []
    for path, operations in doc["paths"].items():
        get = operations.get("get")
        names = {p["name"] for p in get["parameters"]} if get else set()
        path_ids = {p["name"] for p in get["parameters"] if p["in"] == "path"} if get else set()
        if {"limit", "offset"} <= names and path_ids <= {"portfolio_id"}:
            paths.append(path)
    return paths


def _fill(ctx: TenantContext, tag: str) -> tuple[str, int]:
    first = make_portfolio(ctx, f"{tag} one", initiatives=PAGE + 1)
    for n in ("two", "three"):
        make_portfolio(ctx, f"{tag} {n}", initiatives=1)
    return make_key(ctx)[1], first


def _read(key: str, path: str, **params: int) -> list[Any]:
    response = client().get(path, headers=bearer(key), params=params)
    assert response.status_code == 200, (path, response.text)
    rows = response.json()
    assert isinstance(rows, list), path
    return rows


def _pages(key: str, path: str) -> list[Any]:
    rows: list[Any] = []
    while True:
        page = _read(key, path, limit=PAGE, offset=len(rows))
        assert len(page) <= PAGE
        rows += page
        if len(page) < PAGE:
            return rows


def test_every_list_endpoint_is_paged() -> None:
    lists = [e.path for e in ENDPOINTS if e.method == "GET" and get_origin(e.response) is list]
    assert lists and all(e.paginated for e in ENDPOINTS if e.path in lists and e.method == "GET")


@pytest.mark.parametrize("mine_first", [True, False], ids=["org_a reads", "org_b reads"])
def test_lists_page_through_and_hold_only_the_callers_rows(
    org_a: TenantContext, org_b: TenantContext, mine_first: bool
) -> None:
    a, b = _fill(org_a, "Alpha"), _fill(org_b, "Beta")
    (key, portfolio_id), (other_key, other_portfolio) = (a, b) if mine_first else (b, a)
    longer_than_a_page = set()
    for template in _paged_paths():
        path = template.replace("{portfolio_id}", str(portfolio_id))
        whole = _read(key, path, limit=500)
        assert _pages(key, path) == whole, path
        if len(whole) > PAGE:
            longer_than_a_page.add(template)
        others = _read(other_key, template.replace("{portfolio_id}", str(other_portfolio)))
        theirs = {r["id"] for r in others if isinstance(r, dict) and "id" in r}
        assert not theirs & {r["id"] for r in whole if isinstance(r, dict) and "id" in r}, path
    assert {f"{PREFIX}/portfolios", f"{PREFIX}/portfolios/{{portfolio_id}}/initiatives"} <= (
        longer_than_a_page
    )
    portfolios = _read(key, f"{PREFIX}/portfolios")
    assert len(portfolios) == 3 and all(
        p["name"].startswith("Alpha" if mine_first else "Beta") for p in portfolios
    )
