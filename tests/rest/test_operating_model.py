"""The operating-model endpoints: the playbook, a practice, the adoption matrix (flat), team
capacity, allocations and demand vs capacity per team and value stream, paged; the other
organisation's key sees none of it and gets 404 for one of its practices."""

from __future__ import annotations

from pmo_saas.db import tenant_session
from pmo_saas.practices.services import adoption, playbook
from tests import factories
from tests.capacity.helpers import allocate, funded_initiatives, set_capacity
from tests.rest.helpers import bearer, client, make_key


def _practice(ctx, title: str) -> int:
    with tenant_session(ctx) as session:
        return playbook.publish_practice(
            session=session,
            ctx=ctx,
            title=title,
            purpose="Start only ready work.",
            how_to="- agree it",
            dimension_keys=["flow"],
        )


def _adopt(ctx, practice_id, team_id, status, note=""):
    with tenant_session(ctx) as session:
        adoption.record_adoption(
            session=session,
            ctx=ctx,
            practice_id=practice_id,
            team_id=team_id,
            status=status,
            note=note,
        )


def _org_with_practices(ctx):
    ready = _practice(ctx, "Definition of Ready")
    standup = _practice(ctx, "Daily stand-up")
    alpha = factories.make_team(ctx, "Alpha")
    factories.make_team(ctx, "Beta")
    _adopt(ctx, ready, alpha, "adapted", "Twice a week")
    return ready, standup, alpha


def test_practices_and_the_adoption_matrix(org_a, org_b):
    ready, standup, _ = _org_with_practices(org_a)
    _, key = make_key(org_a)
    api, auth = client(), bearer(key)
    listed = api.get("/api/v1/practices", headers=auth)
    assert listed.status_code == 200
    assert [(p["title"], p["adopted_teams"]) for p in listed.json()] == [
        ("Daily stand-up", 0),
        ("Definition of Ready", 1),
    ]
    assert [
        p["title"] for p in api.get("/api/v1/practices?limit=1&offset=1", headers=auth).json()
    ] == ["Definition of Ready"]
    one = api.get(f"/api/v1/practices/{ready}", headers=auth).json()
    assert one["practice"]["title"] == "Definition of Ready"
    assert [(a["team_name"], a["status"], a["note"]) for a in one["adoption"]][:1] == [
        ("Alpha", "adapted", "Twice a week")
    ]
    cells = api.get("/api/v1/practice-adoption", headers=auth).json()
    # 2 teams x 2 practices, team by name, practice by title; no record = not started.
    assert [(c["team_name"], c["practice_title"], c["status"]) for c in cells] == [
        ("Alpha", "Daily stand-up", "not_started"),
        ("Alpha", "Definition of Ready", "adapted"),
        ("Beta", "Daily stand-up", "not_started"),
        ("Beta", "Definition of Ready", "not_started"),
    ]
    assert len(api.get("/api/v1/practice-adoption?limit=3", headers=auth).json()) == 3
    assert api.get("/api/v1/practice-adoption?limit=0", headers=auth).status_code == 422

    # Org B's key: its own (empty) playbook, and org A's practice is not found.
    _, theirs = make_key(org_b, name="Theirs")
    assert api.get("/api/v1/practices", headers=bearer(theirs)).json() == []
    assert api.get("/api/v1/practice-adoption", headers=bearer(theirs)).json() == []
    assert api.get(f"/api/v1/practices/{ready}", headers=bearer(theirs)).status_code == 404
    assert api.get(f"/api/v1/practices/{standup}", headers=bearer(theirs)).status_code == 404


def test_capacity_allocations_and_demand(org_a, org_b):
    alpha = factories.make_team(org_a, "Alpha")
    ids = funded_initiatives(org_a, {"Checkout": "Retail"})
    # Alpha 2027-Q1: 5 x 48 = 240 person-days; Checkout asks 250 of them: over by 10.
    set_capacity(org_a, alpha, "2027-Q1", 5, 48, "Retail")
    set_capacity(org_a, alpha, "2027-Q2", 2, 10, "Retail")
    allocate(org_a, ids["Checkout"], alpha, "2027-Q1", 250)
    _, key = make_key(org_a)
    api, auth = client(), bearer(key)
    capacity = api.get("/api/v1/capacity", headers=auth).json()
    assert [(c["team_name"], c["quarter"], c["person_days"]) for c in capacity] == [
        ("Alpha", "2027-Q1", 240),
        ("Alpha", "2027-Q2", 20),
    ]
    assert len(api.get("/api/v1/capacity?limit=1", headers=auth).json()) == 1
    rows = api.get("/api/v1/capacity/allocations", headers=auth).json()
    assert [(a["initiative_title"], a["team_name"], a["person_days"]) for a in rows] == [
        ("Checkout", "Alpha", 250)
    ]
    teams = api.get("/api/v1/capacity/teams", headers=auth).json()
    q1 = next(t for t in teams if t["quarter"] == "2027-Q1")
    assert (q1["capacity"], q1["demand"], q1["free"], q1["over"], q1["load_percent"]) == (
        240,
        250,
        -10,
        True,
        104,
    )
    streams = api.get("/api/v1/capacity/value-streams", headers=auth).json()
    assert [(s["name"], s["quarter"], s["over"]) for s in streams] == [
        ("Retail", "2027-Q1", True),
        ("Retail", "2027-Q2", False),
    ]

    _, theirs = make_key(org_b, name="Theirs")
    for path in ("capacity", "capacity/allocations", "capacity/teams", "capacity/value-streams"):
        response = api.get(f"/api/v1/{path}", headers=bearer(theirs))
        assert (response.status_code, response.json()) == (200, []), path
    assert api.get("/api/v1/capacity").status_code == 401


def test_skills_feedback_and_improvements(org_a, org_b):
    from pmo_saas.capacity.services import skills
    from pmo_saas.improvement import services as improvement
    from tests.improvement.helpers import answer, launch_feedback, scores
    from tests.surveys.helpers import close, smtp_delivery, team_with

    team, people = team_with(org_a, "Alpha", 5)
    ids = funded_initiatives(org_a, {"Checkout": "Retail"})
    set_capacity(org_a, team, "2027-Q1", 5, 48, "Retail")
    allocate(org_a, ids["Checkout"], team, "2027-Q1", 100)
    with tenant_session(org_a) as session:
        skills.set_member_skills(session=session, ctx=org_a, user_id=people[0].user_id,
                                 skills="python")  # fmt: skip
        skills.set_initiative_skills(session=session, ctx=org_a, initiative_id=ids["Checkout"],
                                     needs={"python": 3})  # fmt: skip
    with smtp_delivery():
        survey_id = launch_feedback(org_a)
        answer(people, [scores(4, 3, 2, 5)] * 5)
    close(org_a, survey_id)
    with tenant_session(org_a) as session:
        improvement.raise_item(session=session, ctx=org_a, title="Clearer funding",
                               survey_id=survey_id, question_key="funding")  # fmt: skip
    _, key = make_key(org_a)
    api, auth = client(), bearer(key)
    (gap,) = api.get("/api/v1/skills/teams", headers=auth).json()
    assert (gap["name"], gap["skill"], gap["have"], gap["need"], gap["short"]) == (
        "Alpha", "python", 1, 3, 2
    )  # fmt: skip
    (stream,) = api.get("/api/v1/skills/value-streams", headers=auth).json()
    assert (stream["name"], stream["short"]) == ("Retail", 2)
    assert api.get("/api/v1/skills/initiatives", headers=auth).json()[0]["people"] == 3
    assert any(p["skills"] == ["python"] for p in api.get("/api/v1/skills/people",
                                                           headers=auth).json())  # fmt: skip
    trend = api.get("/api/v1/pmo-feedback", headers=auth).json()
    assert trend["rounds"][0]["headline"] == 3.5
    assert trend["rounds"][0]["questions"]["reports"] == 2.0
    (item,) = api.get("/api/v1/improvements", headers=auth).json()
    assert (item["title"], item["question_label"]) == ("Clearer funding",
                                                       "Funding decisions are clear")  # fmt: skip

    _, theirs = make_key(org_b, name="Theirs")
    for path in ("skills/teams", "skills/value-streams", "skills/initiatives", "improvements"):
        response = api.get(f"/api/v1/{path}", headers=bearer(theirs))
        assert (response.status_code, response.json()) == (200, []), path
    assert api.get("/api/v1/pmo-feedback", headers=bearer(theirs)).json()["rounds"] == []
    _, member_key = make_key(org_a, name="Member key", role="member")
    assert api.get("/api/v1/pmo-feedback", headers=bearer(member_key)).status_code == 403
