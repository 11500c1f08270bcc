"""The REST API's budgeting sessions: the service's visibility and anonymity, over HTTP."""

from __future__ import annotations

from pmo_saas.kernel.roles import Role
from tests import factories
from tests.portfolio.builders import allocate, make_budget_session, make_initiative, make_portfolio
from tests.rest.helpers import bearer, client, make_key


def _session(org):
    pid = make_portfolio(org, budget=100)
    make_initiative(org, pid, "R", value_stream="Retail", cost=10)
    make_initiative(org, pid, "W", value_stream="Wholesale", cost=10)
    ann = factories.make_member(org, Role.MEMBER, name="Ann Able")
    bob = factories.make_member(org, Role.MEMBER, name="Bob Bold")
    sid = make_budget_session(org, pid, [ann, bob, org], name="Split")
    for who, retail in ((ann, 30), (bob, 80), (org, 50)):
        allocate(who, sid, {"Retail": retail, "Wholesale": 100 - retail})
    return pid, sid, ann, bob


def test_names_to_a_facilitators_key_anonymous_to_a_stakeholders(org_a):
    """A key acts for its creator (an admin) with the key's role: with role member, the
    owner is one stakeholder among others and sees no names."""
    pid, sid, _, _ = _session(org_a)
    api = client()
    _id, owner_key = make_key(org_a, "read", role="admin")
    _id, member_key = make_key(org_a, "read", role="member")
    named = api.get(f"/api/v1/budgeting-sessions/{sid}/allocations", headers=bearer(owner_key))
    assert named.status_code == 200
    assert {r["stakeholder"] for r in named.json()} == {"Ann Able", "Bob Bold", "Org A Owner"}
    anon = api.get(f"/api/v1/budgeting-sessions/{sid}/allocations", headers=bearer(member_key))
    assert anon.status_code == 200
    assert {r["stakeholder"] for r in anon.json()} == {"You", "Stakeholder 1", "Stakeholder 2"}
    assert "Bob" not in anon.text and "Ann" not in anon.text
    one = api.get(f"/api/v1/budgeting-sessions/{sid}", headers=bearer(member_key)).json()
    assert one["progress"] == [] and one["spread"][0]["count"] == 3 and not one["facilitator"]
    listed = api.get(f"/api/v1/portfolios/{pid}/budgeting-sessions", headers=bearer(member_key))
    assert [s["id"] for s in listed.json()] == [sid]


def test_strangers_and_the_other_organisation_get_404(org_a, org_b):
    pid, sid, _, _ = _session(org_a)
    api = client()
    curious = factories.make_member(org_a, Role.ADMIN)  # not invited
    _id, curious_key = make_key(curious, "read", role="member")  # acting as a member
    _id, other_key = make_key(org_b, "read", role="admin")
    for key in (curious_key, other_key):
        for url in (f"/api/v1/budgeting-sessions/{sid}",
                    f"/api/v1/budgeting-sessions/{sid}/allocations"):  # fmt: skip
            assert api.get(url, headers=bearer(key)).status_code == 404, (key, url)
    listed = api.get(f"/api/v1/portfolios/{pid}/budgeting-sessions", headers=bearer(curious_key))
    assert listed.status_code == 200 and listed.json() == []
    theirs = api.get(f"/api/v1/portfolios/{pid}/budgeting-sessions", headers=bearer(other_key))
    assert theirs.status_code == 404


def test_a_stakeholder_who_has_not_allocated_waits_for_the_spread(org_a):
    pid = make_portfolio(org_a, budget=100)
    make_initiative(org_a, pid, "R", value_stream="Retail", cost=10)
    sid = make_budget_session(org_a, pid, [org_a], name="S")
    _id, key = make_key(org_a, "read", role="member")
    api = client()
    got = api.get(f"/api/v1/budgeting-sessions/{sid}", headers=bearer(key)).json()
    assert got["spread"] is None and got["may_allocate"]
    refused = api.get(f"/api/v1/budgeting-sessions/{sid}/allocations", headers=bearer(key))
    assert refused.status_code == 403
