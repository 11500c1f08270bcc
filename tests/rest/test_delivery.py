"""The delivery progress endpoints: work items, status history, flow with the forecast (an
initiative's and the portfolio's) and sync connections, read with a key; another
organisation's ids are 404 and its rows never appear; the CSV exports carry the same data."""

from __future__ import annotations

import csv
import io

import pytest

from pmo_saas.db import tenant_session
from pmo_saas.delivery.services import exports
from pmo_saas.kernel import clock
from pmo_saas.kernel.errors import NotFound
from tests.delivery.builders import NOW, at, hand_made_history
from tests.portfolio.builders import make_initiative, make_portfolio
from tests.rest.helpers import bearer, client, make_key


def _world(ctx):
    pid = make_portfolio(ctx, "Delivery")
    iid = make_initiative(ctx, pid, "Checkout", end_date="2026-06-30")
    hand_made_history(ctx, iid)
    return pid, iid


def test_work_items_history_and_flow_read_through_the_api(org_a):
    pid, iid = _world(org_a)
    api, auth = client(), bearer(make_key(org_a)[1])
    base = f"/api/v1/initiatives/{iid}"

    items = api.get(f"{base}/work-items?limit=3", headers=auth)
    assert items.status_code == 200 and len(items.json()) == 3
    every = api.get(f"{base}/work-items?limit=100", headers=auth).json()
    assert sorted(i["title"] for i in every) == list("ABCDEFGHX")
    assert {i["title"]: i["done"] for i in every}["A"] == "2026-02-05"

    history = api.get(f"{base}/status-history?limit=500", headers=auth).json()
    x = [(h["from_status"], h["to_status"], h["at"][:16]) for h in history if h["title"] == "X"]
    assert x == [
        ("", "doing", "2026-02-16T09:00"),
        ("doing", "waiting", "2026-02-17T09:00"),
        ("waiting", "doing", "2026-02-19T09:00"),
        ("doing", "done", "2026-02-20T09:00"),
    ]
    assert {h["source"] for h in history} >= {"manual", "import"}
    assert [h["at"] for h in history] == sorted(h["at"] for h in history)

    clock.freeze(at(NOW))
    flow = api.get(f"{base}/flow", headers=auth).json()
    assert (flow["figures"]["done_items"], flow["figures"]["open_items"]) == (6, 3)
    assert flow["planned_end"] == "2026-06-30"
    assert flow["forecast"]["remaining"] == 3 and flow["forecast"]["history"]
    assert flow["cfd"] and flow["throughput"] and flow["cycle_points"]
    whole = api.get(f"/api/v1/portfolios/{pid}/flow", headers=auth).json()
    assert [(i["title"], i["done_items"], i["open_items"]) for i in whole["initiatives"]] == [
        ("Checkout", 6, 3)
    ]
    stream = api.get(f"/api/v1/portfolios/{pid}/flow?value_stream=None+such", headers=auth)
    assert stream.json()["initiatives"] == []

    conns = api.get(f"{base}/sync-connections", headers=auth).json()
    assert conns["connections"] == [] and conns["initiative_title"] == "Checkout"


def test_another_organisations_delivery_is_not_found_and_never_listed(org_a, org_b):
    pid, iid = _world(org_a)
    api, auth_b = client(), bearer(make_key(org_b)[1])
    for path in (
        f"/initiatives/{iid}/work-items",
        f"/initiatives/{iid}/status-history",
        f"/initiatives/{iid}/flow",
        f"/initiatives/{iid}/sync-connections",
        f"/portfolios/{pid}/flow",
    ):
        answer = api.get("/api/v1" + path, headers=auth_b)
        assert answer.status_code == 404, path
        assert "Checkout" not in answer.text
    # B's own portfolio flow holds none of A's items.
    pid_b = make_portfolio(org_b, "Mine")
    mine = api.get(f"/api/v1/portfolios/{pid_b}/flow", headers=auth_b).json()
    assert mine["figures"]["done_items"] == 0 and mine["initiatives"] == []


def _table(text: str) -> list[list[str]]:
    return list(csv.reader(io.StringIO(text)))


def test_the_csv_exports_carry_items_history_and_flow(org_a, org_b):
    _pid, iid = _world(org_a)
    clock.freeze(at(NOW))
    with tenant_session(org_a) as session:
        items = _table(exports.export_work_items_csv(session=session, ctx=org_a, initiative_id=iid))
        moves = _table(
            exports.export_status_history_csv(session=session, ctx=org_a, initiative_id=iid)
        )
        flow = _table(exports.export_flow_csv(session=session, ctx=org_a, initiative_id=iid))
    assert items[0][:7] == ["title", "kind", "status", "estimate", "created_at", "started_at",
                            "done_at"]  # fmt: skip
    assert {r[0]: (r[2], r[6]) for r in items[1:]}["B"] == ("done", "2026-02-13")
    assert len(items) == 10
    assert [c for c in next(r for r in moves if r[1] == "X" and r[4] == "Waiting")[:5]] == [
        "2026-02-17T09:00:00+00:00",
        "X",
        "",
        "In progress",
        "Waiting",
    ]
    figures = {r[0]: r[1] for r in flow[1:]}
    assert figures["done items"] == "6" and figures["planned end"] == "2026-06-30"
    assert figures["forecast remaining"] == "3" and "forecast 85%" in figures
    assert any(k.startswith("throughput week of ") for k in figures)

    for export in (
        exports.export_work_items_csv,
        exports.export_status_history_csv,
        exports.export_flow_csv,
    ):
        with pytest.raises(NotFound), tenant_session(org_b) as session:
            export(session=session, ctx=org_b, initiative_id=iid)
