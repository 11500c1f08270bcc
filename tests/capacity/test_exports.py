"""Allocations and demand vs capacity as CSV, checked by hand; a formula-like name is kept
as text; the other organisation's CSV holds only its header."""

from __future__ import annotations

import csv
import io

from pmo_saas.capacity.services import exports
from pmo_saas.db import tenant_session
from tests import factories
from tests.capacity.helpers import allocate, funded_initiatives, set_capacity

HEADER = ["initiative", "value_stream", "team", "quarter", "person_days"]


def _rows(ctx, fn):
    with tenant_session(ctx) as session:
        return list(csv.reader(io.StringIO(fn(session=session, ctx=ctx))))


def test_allocations_and_load_as_csv(org_a, org_b):
    alpha = factories.make_team(org_a, "=Alpha")
    ids = funded_initiatives(org_a, {"Checkout": "Retail", "Ledger": "Finance"})
    # =Alpha 2027-Q1: 3 people x 20 days = 60 person-days; 40 + 30 = 70 allocated: over by 10.
    set_capacity(org_a, alpha, "2027-Q1", 3, 20, "Retail")
    allocate(org_a, ids["Checkout"], alpha, "2027-Q1", 40)
    allocate(org_a, ids["Ledger"], alpha, "2027-Q1", 30)
    assert _rows(org_a, exports.export_allocations_csv) == [
        HEADER,
        ["Checkout", "Retail", "'=Alpha", "2027-Q1", "40"],
        ["Ledger", "Finance", "'=Alpha", "2027-Q1", "30"],
    ]
    load = _rows(org_a, exports.export_load_csv)
    assert load[0] == [
        "kind", "name", "quarter", "capacity", "demand", "free", "load_percent", "over"
    ]  # fmt: skip
    # 70 / 60 = 116.7 % -> 117; Retail has the team's 60 against Checkout's 40; Finance has
    # no capacity of its own against Ledger's 30 (over, no percentage).
    assert ["team", "'=Alpha", "2027-Q1", "60", "70", "-10", "117", "yes"] in load
    assert ["value stream", "Retail", "2027-Q1", "60", "40", "20", "67", "no"] in load
    assert ["value stream", "Finance", "2027-Q1", "0", "30", "-30", "", "yes"] in load
    assert _rows(org_b, exports.export_allocations_csv) == [HEADER]
    assert len(_rows(org_b, exports.export_load_csv)) == 1
