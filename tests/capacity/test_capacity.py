"""Capacity arithmetic checked by hand, allocations of funded initiatives only,
over-allocation per team and value stream, the CSV, and the other organisation kept out."""

from __future__ import annotations

import pytest

from pmo_saas.capacity.services import allocations, capacity, view
from pmo_saas.db import tenant_session
from pmo_saas.kernel.errors import Forbidden, NotFound, ValidationFailed
from pmo_saas.kernel.roles import Role
from tests import factories
from tests.assessments.helpers import person
from tests.capacity.helpers import allocate as _allocate
from tests.capacity.helpers import funded_initiatives
from tests.capacity.helpers import set_capacity as _set


def _view(ctx):
    with tenant_session(ctx) as session:
        return view.capacity_view(session=session, ctx=ctx)


def test_demand_vs_capacity_by_hand(org_a):
    coach = person(org_a, Role.COACH)
    alpha = factories.make_team(org_a, "Alpha")
    beta = factories.make_team(org_a, "Beta")
    ids = funded_initiatives(org_a, {"Checkout": "Retail", "Search": "Retail", "Ledger": "Finance"})
    # Alpha: 5 people x 48 days = 240; Beta: 3.5 x 40 = 140 (Q1), Alpha Q2: 4 x 50 = 200.
    assert _set(coach, alpha, "2027-Q1", 5, 48, "Retail").person_days == 240
    assert _set(coach, beta, "2027q1", "3,5", "40", "Finance").person_days == 140
    _set(coach, alpha, "2027-Q2", 4, 50, "Retail")
    # Alpha Q1: 150 + 100 = 250 > 240 (over by 10); Beta Q1: 90 of 140; Alpha Q2: 120 of 200.
    _allocate(coach, ids["Checkout"], alpha, "2027-Q1", 150)
    _allocate(coach, ids["Search"], alpha, "2027-Q1", 100)
    _allocate(coach, ids["Ledger"], beta, "2027-Q1", 90)
    _allocate(coach, ids["Checkout"], alpha, "2027-Q2", 120)
    # Beta also does Search work in Q2 without any capacity entered: over-allocated.
    _allocate(coach, ids["Search"], beta, "2027-Q2", 10)
    result = _view(org_a)
    assert result.quarters == ["2027-Q1", "2027-Q2"]
    teams = {(r.name, r.quarter): r for r in result.teams}
    assert (teams["Alpha", "2027-Q1"].capacity, teams["Alpha", "2027-Q1"].demand) == (240, 250)
    assert teams["Alpha", "2027-Q1"].free == -10 and teams["Alpha", "2027-Q1"].over
    assert teams["Alpha", "2027-Q1"].load_percent == 104  # 250 / 240 = 104.2 %
    assert not teams["Beta", "2027-Q1"].over and teams["Beta", "2027-Q1"].free == 50
    assert not teams["Alpha", "2027-Q2"].over and teams["Alpha", "2027-Q2"].load_percent == 60
    assert teams["Beta", "2027-Q2"].over and teams["Beta", "2027-Q2"].load_percent is None
    assert result.over_allocated == 2
    streams = {(r.name, r.quarter): r for r in result.streams}
    # Retail Q1: capacity Alpha 240, demand Checkout 150 + Search 100 = 250: over.
    assert (streams["Retail", "2027-Q1"].capacity, streams["Retail", "2027-Q1"].demand) == (
        240,
        250,
    )
    assert streams["Retail", "2027-Q1"].over
    assert (streams["Finance", "2027-Q1"].capacity, streams["Finance", "2027-Q1"].demand) == (
        140,
        90,
    )
    # Retail Q2: Alpha's 200 against Checkout 120 + Search 10 (done by Beta) = 130.
    assert (streams["Retail", "2027-Q2"].capacity, streams["Retail", "2027-Q2"].demand) == (
        200,
        130,
    )


def test_an_allocation_replaces_the_same_slot_and_can_be_removed(org_a):
    team = factories.make_team(org_a, "Alpha")
    ids = funded_initiatives(org_a, {"Checkout": "Retail"})
    _set(org_a, team, "2027-Q1", 2, 10)
    _allocate(org_a, ids["Checkout"], team, "2027-Q1", 30)
    row = _allocate(org_a, ids["Checkout"], team, "2027-Q1", 15)
    assert [(r.demand, r.over) for r in _view(org_a).teams] == [(15, False)]
    with tenant_session(org_a) as session:
        allocations.remove_allocation(session=session, ctx=org_a, allocation_id=row.id)
        assert allocations.list_allocations(session=session, ctx=org_a) == []


def test_bad_input_and_roles_are_refused(org_a):
    team = factories.make_team(org_a, "Alpha")
    ids = funded_initiatives(org_a, {"Checkout": "Retail"}, unfunded="Someday")
    member = person(org_a, Role.MEMBER)
    with pytest.raises(Forbidden):
        _set(member, team, "2027-Q1", 1, 1)
    with pytest.raises(Forbidden):
        _allocate(member, ids["Checkout"], team, "2027-Q1", 1)
    with pytest.raises(ValidationFailed, match="form 2027-Q1"):
        _set(org_a, team, "2027-Q5", 1, 1)
    with pytest.raises(ValidationFailed, match="people"):
        _set(org_a, team, "2027-Q1", "many", 1)
    with pytest.raises(ValidationFailed, match="from 0 to 92"):
        _set(org_a, team, "2027-Q1", 1, 100)
    with pytest.raises(ValidationFailed, match="from 0"):
        _allocate(org_a, ids["Checkout"], team, "2027-Q1", -5)
    with pytest.raises(ValidationFailed, match="funded"):
        _allocate(org_a, ids["Someday"], team, "2027-Q1", 5)
    with pytest.raises(NotFound):
        _allocate(org_a, 987654, team, "2027-Q1", 5)
    with tenant_session(org_a) as session:
        choices = allocations.funded_choices(session=session, ctx=org_a)
    assert [c.label for c in choices] == ["Checkout"]


def test_capacity_csv_export(org_a):
    team = factories.make_team(org_a, "=Alpha")
    ids = funded_initiatives(org_a, {"Checkout": "Retail"})
    _set(org_a, team, "2027-Q1", 2.5, 20, "Retail")
    _allocate(org_a, ids["Checkout"], team, "2027-Q1", 60)
    with tenant_session(org_a) as session:
        text = view.export_capacity_csv(session=session, ctx=org_a)
    assert text.splitlines() == [
        "team,quarter,people,days_per_person,value_stream,capacity,demand",
        "'=Alpha,2027-Q1,2.5,20,Retail,50,60",
    ]


def test_another_organisation_cannot_read_or_change_capacity(org_a, org_b):
    team_a = factories.make_team(org_a, "Alpha")
    team_b = factories.make_team(org_b, "Beta")
    ids = funded_initiatives(org_a, {"Checkout": "Retail"})
    _set(org_a, team_a, "2027-Q1", 2, 10)
    row = _allocate(org_a, ids["Checkout"], team_a, "2027-Q1", 5)
    with pytest.raises(NotFound):
        _set(org_b, team_a, "2027-Q1", 9, 9)
    with pytest.raises(NotFound):
        _allocate(org_b, ids["Checkout"], team_b, "2027-Q1", 5)  # not their initiative
    with pytest.raises(NotFound):
        _allocate(org_b, ids["Checkout"], team_a, "2027-Q1", 5)
    with pytest.raises(NotFound), tenant_session(org_b) as session:
        allocations.remove_allocation(session=session, ctx=org_b, allocation_id=row.id)
    with tenant_session(org_b) as session:
        assert capacity.list_capacity(session=session, ctx=org_b) == []
        assert allocations.list_allocations(session=session, ctx=org_b) == []
        assert view.export_capacity_csv(session=session, ctx=org_b).count("\n") == 1
    assert _view(org_b).teams == []
    assert [(r.capacity, r.demand) for r in _view(org_a).teams] == [(20, 5)]
