"""Incremental funding: tranches released (or stopped) by DSDM gate reviews, spend beyond the
released amount flagged; figures worked out by hand."""

from __future__ import annotations

import pytest
from sqlmodel import select

from pmo_saas.db import tenant_session
from pmo_saas.delivery.plan_models import FundingTranche
from pmo_saas.delivery.services import plan_views, tranches
from pmo_saas.kernel import clock
from pmo_saas.kernel.errors import ValidationFailed
from tests.delivery.builders import at
from tests.delivery.plan_builders import funded_initiative, gate, spend


def _view(ctx, iid):
    with tenant_session(ctx) as session:
        return plan_views.initiative_plan(session=session, ctx=ctx, initiative_id=iid)


def test_split_is_whole_and_adds_up():
    assert tranches.split_evenly(100, 3) == [33, 33, 34]
    assert tranches.split_evenly(90_000, 3) == [30_000, 30_000, 30_000]


def test_gates_release_hold_and_stop_tranches(org_a):
    clock.freeze(at("2026-03-15 09:00"))  # before the planned end (2026-06-30)
    _pid, iid = funded_initiative(org_a, cost=90_000, tranches=3)
    view = _view(org_a, iid)
    assert [(t.amount, t.status) for t in view.tranches] == [
        (30_000, "released"),
        (30_000, "planned"),
        (30_000, "planned"),
    ]
    review = gate(org_a, iid, "proceed", "2026-02-01")
    gate(org_a, iid, "hold", "2026-03-01")  # nothing released
    view = _view(org_a, iid)
    assert [(t.status, t.released_on, t.gate_review_id) for t in view.tranches[1:]] == [
        ("released", "2026-02-01", review),
        ("planned", "", None),
    ]
    # Released 60,000; spent 25,000 + 40,000 = 65,000: 5,000 beyond, flagged.
    spend(org_a, iid, "2026-01", 25_000)
    spend(org_a, iid, "2026-02", 40_000)
    check = _view(org_a, iid).tranche_check
    assert (check.released, check.spent, check.over_released, check.flagged) == (
        60_000,
        65_000,
        5_000,
        True,
    )
    assert check.message == "Spend is 5,000 beyond the 60,000 released so far."
    assert _view(org_a, iid).delivery == "at_risk"
    stopper = gate(org_a, iid, "stop", "2026-04-01")
    view = _view(org_a, iid)
    assert view.tranches[2].status == "stopped" and view.tranches[2].gate_review_id == stopper
    assert (view.tranche_check.released, view.tranche_check.stopped) == (60_000, 30_000)


def test_a_gate_without_a_plan_changes_nothing(org_a):
    from tests.portfolio.builders import make_initiative, make_portfolio

    iid = make_initiative(org_a, make_portfolio(org_a, "Unfunded"), "Idea")
    gate(org_a, iid, "proceed")
    with tenant_session(org_a) as session:
        assert session.exec(select(FundingTranche)).all() == []


def test_resplitting_keeps_released_tranches_and_must_add_up(org_a):
    _pid, iid = funded_initiative(org_a, cost=90_000, tranches=3)
    gate(org_a, iid, "proceed")
    with pytest.raises(ValidationFailed) as error, tenant_session(org_a) as session:
        tranches.set_tranches(session=session, ctx=org_a, initiative_id=iid, amounts=["10,000"])
    assert str(error.value) == (
        "The tranches add up to 70,000, the planned budget is 90,000 (released so far: 60,000)."
    )
    with tenant_session(org_a) as session:
        tranches.set_tranches(
            session=session, ctx=org_a, initiative_id=iid, amounts=["10,000", "20000"]
        )
    assert [(t.position, t.amount, t.status) for t in _view(org_a, iid).tranches] == [
        (1, 30_000, "released"),
        (2, 30_000, "released"),
        (3, 10_000, "planned"),
        (4, 20_000, "planned"),
    ]
