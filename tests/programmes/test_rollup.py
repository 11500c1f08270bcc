"""A programme's roll-up of its initiatives (every figure worked out by hand below), and who
may group initiatives; another organisation's programmes and initiatives are unreachable."""

from __future__ import annotations

from datetime import date

import pytest

from pmo_saas.db import tenant_session
from pmo_saas.kernel.errors import Conflict, Forbidden, NotFound, ValidationFailed
from pmo_saas.kernel.roles import Role
from pmo_saas.portfolio.services import risks as risk_services
from pmo_saas.programmes.services import programmes, rollup
from tests import factories
from tests.assessments.helpers import person
from tests.capacity.helpers import allocate, set_capacity
from tests.delivery.plan_builders import adopt, set_rag
from tests.portfolio.builders import make_initiative, make_portfolio, wsjf
from tests.programmes.helpers import programme

DATES = {"start_date": "2027-01-01", "end_date": "2027-06-30"}


def _risk(ctx, portfolio_id, initiative_id, title, p, i, status="open"):
    with tenant_session(ctx) as session:
        return risk_services.create_risk(
            session=session,
            ctx=ctx,
            portfolio_id=portfolio_id,
            data={
                "title": title,
                "probability": p,
                "impact": i,
                "initiative_id": initiative_id,
                "status": status,
            },
        )


def _portfolio(ctx):
    pid = make_portfolio(ctx, "Retail", budget=200_000)
    ids = {
        "A": make_initiative(
            ctx, pid, "A checkout", cost=100_000, scores=wsjf(8, 5, 3, 5),
            status="implementing", **DATES,
        ),
        "B": make_initiative(ctx, pid, "B search", cost=80_000, scores=wsjf(5, 5, 3, 5), **DATES),
        "C": make_initiative(ctx, pid, "C loyalty", cost=500_000, **DATES),  # unscored
        "D": make_initiative(ctx, pid, "D outside", cost=10_000, scores=wsjf(3, 3, 3, 3), **DATES),
    }  # fmt: skip
    adopt(ctx, pid)  # funds A, B and D (190,000 of 200,000); C has no value, so stays out
    return pid, ids


def test_rollup_of_status_funding_risks_delivery_and_capacity(org_a):
    pid, ids = _portfolio(org_a)
    prog = programme(org_a, pid, "Digital store", [ids["A"], ids["B"], ids["C"]], budget="150,000")
    set_rag(org_a, ids["A"], "amber", "Payment provider late")
    _risk(org_a, pid, ids["A"], "Provider slips", 4, 5)  # exposure 20
    _risk(org_a, pid, ids["B"], "Index size", 2, 3)  # 6
    _risk(org_a, pid, ids["B"], "Old licence", 5, 5, status="closed")  # closed: not counted
    _risk(org_a, pid, ids["D"], "Not ours", 5, 5)  # D is in no programme
    x, y = factories.make_team(org_a, "X"), factories.make_team(org_a, "Y")
    set_capacity(org_a, x, "2027-Q1", 5, 10)  # 50 person-days
    set_capacity(org_a, y, "2027-Q1", 3, 10)  # 30
    allocate(org_a, ids["A"], x, "2027-Q1", 30)
    allocate(org_a, ids["B"], y, "2027-Q1", 20)
    allocate(org_a, ids["D"], x, "2027-Q1", 25)  # X's other work counts in its demand
    allocate(org_a, ids["A"], x, "2027-Q2", 10)  # no capacity entered for Q2: over
    with tenant_session(org_a) as session:
        r = rollup.programme_rollup(
            session=session, ctx=org_a, programme_id=prog, on=date(2027, 2, 1)
        )
    assert (r.name, r.portfolio_name, r.currency, r.initiatives) == (
        "Digital store",
        "Retail",
        "EUR",
        3,
    )
    assert {c.key: c.count for c in r.columns} == {"funnel": 2, "implementing": 1}
    assert {c.label: c.count for c in r.rags} == {"Amber": 1, "Not set": 2}
    # Funding: A 100,000 + B 80,000 funded = 180,000 > the 150,000 budget; all three 680,000.
    assert (r.budget, r.total_cost, r.funded, r.funded_cost) == (150_000, 680_000, 2, 180_000)
    assert r.over_budget and r.funding_label == "180,000 EUR funded of 150,000 EUR (over budget)"
    assert (r.open_risks, r.top_exposure) == (2, 20)
    assert [(k.title, k.exposure) for k in r.risks] == [("Provider slips", 20), ("Index size", 6)]
    delivery = {c.key: c.count for c in r.delivery}
    assert sum(delivery.values()) == 2 and delivery.get("at_risk") == 1  # A is amber
    assert r.forecast_late == 0  # no work items, so no forecast yet
    # Capacity: Q1 ours 30 + 20 = 50 of X + Y's 80, their demand 30 + 25 + 20 = 75: not over;
    # Q2 ours 10, capacity 0, demand 10: over.
    assert [(q.quarter, q.allocated, q.capacity, q.demand, q.over) for q in r.quarters] == [
        ("2027-Q1", 50.0, 80.0, 75.0, False),
        ("2027-Q2", 10.0, 0.0, 10.0, True),
    ]
    assert (r.allocated, r.over_quarters) == (60.0, 1)
    assert {line.title: line.funded for line in r.lines} == {
        "A checkout": True,
        "B search": True,
        "C loyalty": False,
    }
    with tenant_session(org_a) as session:
        text = rollup.export_programmes_csv(session=session, ctx=org_a)
    assert (
        "Digital store,Retail,3,Funnel 2; Implementing 1,Amber 1; Not set 2,"
        "150000,680000,2,180000,yes,2,20" in text
    )


def test_grouping_rules_and_roles(org_a):
    pid, ids = _portfolio(org_a)
    other = make_portfolio(org_a, "Other")
    stray = make_initiative(org_a, other, "Elsewhere")
    first = programme(org_a, pid, "First", [ids["A"]])
    second = programme(org_a, pid, "Second")
    with tenant_session(org_a) as session:
        with pytest.raises(Conflict, match="already in"):
            programmes.add_initiative(
                session=session, ctx=org_a, programme_id=second, initiative_id=ids["A"]
            )
        with pytest.raises(ValidationFailed):
            programmes.add_initiative(
                session=session, ctx=org_a, programme_id=second, initiative_id=stray
            )
        with pytest.raises(Conflict):
            programmes.create_programme(session=session, ctx=org_a, portfolio_id=pid, name="first")
        choices = programmes.initiative_choices(session=session, ctx=org_a, programme_id=second)
    assert [c.label for c in choices] == ["B search", "C loyalty", "D outside"]
    member = person(org_a)
    viewer = person(org_a, Role.VIEWER)
    with tenant_session(member) as session:
        with pytest.raises(Forbidden):
            programmes.create_programme(session=session, ctx=member, portfolio_id=pid, name="Mine")
        with pytest.raises(Forbidden):
            programmes.remove_initiative(
                session=session, ctx=member, programme_id=first, initiative_id=ids["A"]
            )
    with tenant_session(viewer) as session:
        assert [r.name for r in rollup.list_rollups(session=session, ctx=viewer)] == [
            "First",
            "Second",
        ]
    with tenant_session(org_a) as session:
        programmes.delete_programme(session=session, ctx=org_a, programme_id=first)
        programmes.add_initiative(
            session=session, ctx=org_a, programme_id=second, initiative_id=ids["A"]
        )


def test_another_organisation_cannot_reach_programmes_or_bring_initiatives(org_a, org_b):
    pid, ids = _portfolio(org_a)
    mine = programme(org_a, pid, "Digital store", [ids["A"]])
    b_portfolio = make_portfolio(org_b, "B folio")
    b_initiative = make_initiative(org_b, b_portfolio, "Theirs")
    b_prog = programme(org_b, b_portfolio, "B programme")
    with tenant_session(org_b) as session:
        assert [r.name for r in rollup.list_rollups(session=session, ctx=org_b)] == ["B programme"]
        for call in (
            lambda: rollup.programme_rollup(session=session, ctx=org_b, programme_id=mine),
            lambda: programmes.delete_programme(session=session, ctx=org_b, programme_id=mine),
            lambda: programmes.add_initiative(
                session=session, ctx=org_b, programme_id=mine, initiative_id=b_initiative
            ),
            lambda: programmes.add_initiative(
                session=session, ctx=org_b, programme_id=b_prog, initiative_id=ids["B"]
            ),
            lambda: programmes.create_programme(
                session=session, ctx=org_b, portfolio_id=pid, name="X"
            ),
        ):
            with pytest.raises(NotFound):
                call()
    with tenant_session(org_a) as session:
        r = rollup.programme_rollup(session=session, ctx=org_a, programme_id=mine)
    assert r.initiatives == 1


def test_every_rollup_read_together_equals_each_read_alone(org_a):
    """The list reads all programmes at once: nothing of one programme (risks, allocations,
    delivery) leaks into another's, across two portfolios sharing a team."""
    pid, ids = _portfolio(org_a)
    other = make_portfolio(org_a, "Wholesale", budget=50_000)
    e = make_initiative(org_a, other, "E portal", cost=40_000, scores=wsjf(8, 5, 3, 5), **DATES)
    adopt(org_a, other)
    store = programme(org_a, pid, "Store", [ids["A"], ids["B"]], budget="150,000")
    programme(org_a, pid, "Loyalty", [ids["C"]])
    trade = programme(org_a, other, "Trade", [e], budget="30,000")
    programme(org_a, other, "Empty")
    set_rag(org_a, e, "red", "Supplier gone")
    _risk(org_a, pid, ids["A"], "Provider slips", 4, 5)
    _risk(org_a, other, e, "Supplier", 3, 3)
    x = factories.make_team(org_a, "X")
    set_capacity(org_a, x, "2027-Q1", 2, 10)  # 20 person-days
    allocate(org_a, ids["A"], x, "2027-Q1", 12)
    allocate(org_a, e, x, "2027-Q1", 10)  # X's demand 22 > 20 for both programmes
    on = date(2027, 2, 1)
    with tenant_session(org_a) as session:
        together = rollup.list_rollups(session=session, ctx=org_a, on=on)
        alone = [
            rollup.programme_rollup(session=session, ctx=org_a, programme_id=r.id, on=on)
            for r in together
        ]
    assert [r.name for r in together] == ["Empty", "Loyalty", "Store", "Trade"]
    assert together == alone
    by_id = {r.id: r for r in together}
    assert [k.title for k in by_id[store].risks] == ["Provider slips"]
    assert [k.title for k in by_id[trade].risks] == ["Supplier"]
    assert [(q.allocated, q.capacity, q.demand, q.over) for q in by_id[trade].quarters] == [
        (10.0, 20.0, 22.0, True)
    ]
    assert by_id[trade].over_budget and {c.key: c.count for c in by_id[trade].delivery} == {
        "late": 1
    }
    assert by_id[store].allocated == 12.0 and by_id[store].over_quarters == 1
