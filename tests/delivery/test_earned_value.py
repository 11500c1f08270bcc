"""Earned value on a small hand-made traditional project, every figure worked out by hand."""

from __future__ import annotations

from datetime import date

import pytest

from pmo_saas.db import tenant_session
from pmo_saas.delivery.earned_value import earned_value, schedule_share
from pmo_saas.delivery.services import plan as plan_services
from pmo_saas.delivery.services import plan_views
from pmo_saas.kernel import clock
from pmo_saas.kernel.errors import ValidationFailed
from tests.delivery.builders import add_item, at
from tests.delivery.plan_builders import funded_initiative, spend


def test_the_arithmetic_by_hand():
    # 30 of 90 days elapsed: PV = 90,000 x 1/3 = 30,000; 4 of 16 units done: EV = 22,500;
    # AC 25,000: SPI = 22,500 / 30,000 = 0.75, CPI = 0.9, EAC = 90,000 / 0.9 = 100,000.
    ev = earned_value(
        bac=90_000,
        start=date(2026, 1, 1),
        end=date(2026, 4, 1),
        scope=16,
        done=4,
        actual_cost=25_000,
        on=date(2026, 1, 31),
    )
    assert ev.pv == pytest.approx(30_000)
    assert ev.ev == pytest.approx(22_500)
    assert ev.spi == pytest.approx(0.75)
    assert ev.cpi == pytest.approx(0.9)
    assert ev.eac == pytest.approx(100_000)
    # Before the start nothing is planned (SPI undefined), after the end everything is.
    assert schedule_share(date(2026, 1, 1), date(2026, 4, 1), date(2025, 12, 1)) == 0.0
    assert schedule_share(date(2026, 1, 1), date(2026, 4, 1), date(2026, 5, 1)) == 1.0
    early = earned_value(
        bac=10,
        start=date(2026, 1, 1),
        end=date(2026, 2, 1),
        scope=1,
        done=0,
        actual_cost=0,
        on=date(2025, 12, 1),
    )
    assert (early.pv, early.spi, early.cpi, early.eac) == (0.0, None, None, None)


def test_a_traditional_project_shows_pv_ev_ac_spi_cpi(org_a):
    _pid, iid = funded_initiative(org_a, cost=100_000, tranches=1)
    with tenant_session(org_a) as session:
        plan_services.set_approach(
            session=session, ctx=org_a, initiative_id=iid, approach="traditional"
        )
        plan_services.set_baseline(
            session=session,
            ctx=org_a,
            initiative_id=iid,
            scope="10",
            start="2026-01-01",
            end="2026-05-01",
            budget="100,000",
        )
    # Done by 2 March: estimates 2 and 3 and one without an estimate (counts 1) = 6 of 10.
    clock.freeze(at("2026-02-10 09:00"))
    add_item(org_a, iid, "Design", status="done", estimate="2")
    add_item(org_a, iid, "Build", status="done", estimate="3")
    add_item(org_a, iid, "Docs", status="done")
    add_item(org_a, iid, "Open", status="doing", estimate="4")
    clock.freeze(at("2026-03-10 09:00"))
    add_item(org_a, iid, "Done later", status="done", estimate="4")
    spend(org_a, iid, "2026-01", 20_000)
    spend(org_a, iid, "2026-02", 28_000)
    spend(org_a, iid, "2026-04", 30_000)  # after the day: not in AC
    with tenant_session(org_a) as session:
        view = plan_views.initiative_plan(
            session=session, ctx=org_a, initiative_id=iid, on=date(2026, 3, 2)
        )
    ev = view.earned_value
    assert ev is not None
    # 60 of 120 days: PV = 50,000; EV = 100,000 x 6/10 = 60,000; AC = 48,000.
    assert (ev.pv, ev.ev, ev.ac) == (50_000, 60_000, 48_000)
    assert (ev.spi, ev.cpi, ev.eac) == (1.2, 1.25, 80_000)
    assert (ev.scope_done, ev.scope) == (6, 10)
    with tenant_session(org_a) as session:
        rows = plan_views.portfolio_delivery(
            session=session, ctx=org_a, portfolio_id=view.portfolio_id, on=date(2026, 3, 2)
        )
    assert [(r.approach, r.spi, r.cpi) for r in rows] == [("traditional", "1.20", "1.25")]


def test_a_baseline_is_for_traditional_projects_and_checked(org_a):
    _pid, iid = funded_initiative(org_a)
    with pytest.raises(ValidationFailed, match="Only traditional"), tenant_session(org_a) as s:
        plan_services.set_baseline(
            session=s,
            ctx=org_a,
            initiative_id=iid,
            scope=5,
            start="2026-01-01",
            end="2026-02-01",
            budget=10,
        )
    with tenant_session(org_a) as session:
        plan_services.set_approach(
            session=session, ctx=org_a, initiative_id=iid, approach="traditional"
        )
    with pytest.raises(ValidationFailed, match="ends after"), tenant_session(org_a) as s:
        plan_services.set_baseline(
            session=s,
            ctx=org_a,
            initiative_id=iid,
            scope=5,
            start="2026-02-01",
            end="2026-01-01",
            budget=10,
        )
