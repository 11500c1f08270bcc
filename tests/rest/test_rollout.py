"""The roll-out and programme endpoints: the roadmap, a wave's progress, the flat cells, the
pilot comparison and the programmes' roll-up, paged; the other organisation's key sees none
of it and gets 404 for one of its waves or programmes; a member's key gets no progress."""

from __future__ import annotations

from tests import factories
from tests.assessments.helpers import answered_round
from tests.portfolio.builders import make_initiative, make_portfolio
from tests.programmes.helpers import programme
from tests.rest.helpers import bearer, client, make_key
from tests.rollout.helpers import criterion, wave


def test_roadmap_progress_and_comparison(org_a, org_b):
    alpha, beta = factories.make_team(org_a, "Alpha"), factories.make_team(org_a, "Beta")
    pilot = wave(org_a, "Pilot", [alpha, beta], pilot=True)
    wave(org_a, "Wave 1", [])
    criterion(org_a, pilot, kind="exit", metric="maturity", key="flow", threshold=3)
    answered_round(org_a, {alpha: [(4, 4, 3)], beta: [(2, 3, 5)]})
    _, key = make_key(org_a)
    api, auth = client(), bearer(key)
    listed = api.get("/api/v1/rollout/waves", headers=auth).json()
    assert [w["title"] for w in listed] == ["Pilot", "Wave 1"]
    assert [
        w["title"] for w in api.get("/api/v1/rollout/waves?limit=1&offset=1", headers=auth).json()
    ] == ["Wave 1"]
    one = api.get(f"/api/v1/rollout/waves/{pilot}/progress", headers=auth).json()
    assert {t["team_name"]: t["ready"] for t in one["teams"]} == {"Alpha": True, "Beta": False}
    cells = api.get("/api/v1/rollout/progress", headers=auth).json()
    assert sorted((c["team_name"], c["status"], c["value"]) for c in cells) == [
        ("Alpha", "met", 4.0),
        ("Beta", "not_met", 2.5),
    ]
    compared = api.get("/api/v1/rollout/comparison", headers=auth).json()
    assert compared["pilot_teams"] == 2 and compared["maturity"][0]["pilot"]["mean"] is None
    _, member_key = make_key(org_a, role="member")
    assert api.get("/api/v1/rollout/progress", headers=bearer(member_key)).status_code == 403
    _, other = make_key(org_b)
    assert api.get("/api/v1/rollout/waves", headers=bearer(other)).json() == []
    assert (
        api.get(f"/api/v1/rollout/waves/{pilot}/progress", headers=bearer(other)).status_code == 404
    )


def test_programmes_rollup(org_a, org_b):
    pid = make_portfolio(org_a, "Retail")
    a = make_initiative(org_a, pid, "A checkout", cost=1_000)
    prog = programme(org_a, pid, "Digital store", [a], budget=5_000)
    _, key = make_key(org_a)
    api, auth = client(), bearer(key)
    (listed,) = api.get("/api/v1/programmes", headers=auth).json()
    assert (listed["name"], listed["initiatives"], listed["total_cost"]) == (
        "Digital store",
        1,
        1000,
    )
    one = api.get(f"/api/v1/programmes/{prog}", headers=auth).json()
    assert [line["title"] for line in one["lines"]] == ["A checkout"]
    _, other = make_key(org_b)
    assert api.get("/api/v1/programmes", headers=bearer(other)).json() == []
    assert api.get(f"/api/v1/programmes/{prog}", headers=bearer(other)).status_code == 404
