"""Funding within team capacity through the services: the best set with and without it, from
the capacity entered and the allocations made; another organisation's capacity never counts."""

from __future__ import annotations

import pytest
from sqlmodel import select

from pmo_saas.capacity.services import allocations
from pmo_saas.db import tenant_session
from pmo_saas.identity.models import Team
from pmo_saas.kernel.errors import NotFound
from pmo_saas.portfolio.services import capacity_funding, initiatives
from tests import factories
from tests.capacity.helpers import allocate as _allocate
from tests.capacity.helpers import alpha_over_capacity, funding_portfolio
from tests.capacity.helpers import set_capacity as _capacity


def _compare(ctx, pid):
    with tenant_session(ctx) as session:
        return capacity_funding.compare_capacity_funding(session=session, ctx=ctx, portfolio_id=pid)


def test_capacity_arithmetic_by_hand(org_a):
    pid, _ = alpha_over_capacity(org_a)
    result = _compare(org_a, pid)
    # Budget alone: all three (cost 300 of 300), value 8 + 5 + 3 = 16.
    assert result.budget_only.funded == ["A", "B", "C"]
    assert result.budget_only.total_value == pytest.approx(16)
    # Within 40 person-days: A + C = 30 + 10 = 40 fits (value 11); A + B = 50 does not;
    # B + C = 30 fits but is worth 8. So B is dropped.
    assert sorted(result.within_capacity.funded) == ["A", "C"]
    assert result.within_capacity.total_value == pytest.approx(11)
    assert result.within_capacity.total_cost == 200
    assert result.dropped == ["B"] and result.added == []
    assert result.teams_constrained == 1


def test_a_second_quarter_and_more_capacity_lift_the_limit(org_a):
    pid, ids = alpha_over_capacity(org_a)
    beta = factories.make_team(org_a, "Beta")
    # B's work moves to Beta in Q2 (no capacity entered there yet: it cannot be funded).
    _allocate(org_a, ids["B"], beta, "2027-Q2", 5)
    with tenant_session(org_a) as session:
        rows = allocations.list_allocations(session=session, ctx=org_a)
        b_q1 = next(r.id for r in rows if r.initiative_title == "B" and r.quarter == "2027-Q1")
        allocations.remove_allocation(session=session, ctx=org_a, allocation_id=b_q1)
    assert "B" not in _compare(org_a, pid).within_capacity.funded
    # Beta Q2: 1 person x 5 days = 5 person-days, exactly what B asks.
    _capacity(org_a, beta, "2027-Q2", 1, 5)
    result = _compare(org_a, pid)
    assert result.within_capacity.funded == ["A", "B", "C"] and result.dropped == []


def test_without_capacity_entered_both_sides_agree(org_a):
    pid, _ = funding_portfolio(org_a)
    result = _compare(org_a, pid)
    assert result.budget_only.funded == result.within_capacity.funded == ["A", "B", "C"]
    assert result.teams_constrained == 0


def test_a_must_over_capacity_is_explained_on_its_side(org_a):
    pid, ids = alpha_over_capacity(org_a)
    with tenant_session(org_a) as session:
        initiatives.update_initiative(
            session=session, ctx=org_a, initiative_id=ids["A"], data={"moscow": "must"}
        )
    alpha = next(t for t in _team_ids(org_a) if t[1] == "Alpha")[0]
    _allocate(org_a, ids["A"], alpha, "2027-Q1", 45)
    result = _compare(org_a, pid)
    assert result.budget_only.count == 3
    assert "45 person-days of Alpha in 2027-Q1" in result.within_capacity.error
    assert result.within_capacity.count == 0 and result.dropped == []


def _team_ids(ctx):
    with tenant_session(ctx) as session:
        return [(t.id, t.name) for t in session.exec(select(Team)).all()]


def test_the_other_organisations_capacity_never_constrains(org_a, org_b):
    pid_a, _ = alpha_over_capacity(org_a)
    # Org B has a team called Alpha too, with plenty of capacity in the same quarter, and its
    # own portfolio whose allocations ask far more than org A's capacity.
    pid_b, ids_b = funding_portfolio(org_b)
    alpha_b = factories.make_team(org_b, "Alpha")
    _capacity(org_b, alpha_b, "2027-Q1", 100, 90)
    for title in ("A", "B", "C"):
        _allocate(org_b, ids_b[title], alpha_b, "2027-Q1", 1000)
    a = _compare(org_a, pid_a)
    assert sorted(a.within_capacity.funded) == ["A", "C"]  # org B's 9,000 days do not help
    b = _compare(org_b, pid_b)
    assert b.within_capacity.funded == ["A", "B", "C"]  # 3,000 of 9,000: org A's 40 do not bind
    with pytest.raises(NotFound):
        _compare(org_b, pid_a)
