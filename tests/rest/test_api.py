"""The REST API: key lifecycle, tenancy, scopes, rate limit, writes through the services."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlmodel import col, select

from pmo_saas.db import system_session, tenant_session
from pmo_saas.identity.models import AuditEvent
from pmo_saas.kernel import clock
from pmo_saas.kernel.errors import Forbidden, NotFound, ValidationFailed
from pmo_saas.kernel.roles import Role
from pmo_saas.rest import keys as apikeys
from pmo_saas.rest.models import ApiKey, ApiRateCounter
from tests import factories
from tests.dashboard.helpers import initiative_ids, make_portfolio
from tests.rest.helpers import bearer, client, make_key


def test_key_is_shown_once_stored_hashed_listed_and_revoked(org_a):
    key_id, key = make_key(org_a, "read_write", "Power BI")
    assert key.startswith("pmo_") and len(key) > 40
    with system_session() as session:
        stored = session.exec(select(ApiKey).where(ApiKey.id == key_id)).one()
    assert stored.key_hash == apikeys.hash_key(key) and key not in stored.key_hash
    assert stored.prefix == key[:12]
    with tenant_session(org_a) as session:
        rows = apikeys.list_api_keys(session=session, ctx=org_a)
    assert [(r.name, r.scope, r.revoked) for r in rows] == [("Power BI", "read_write", False)]
    assert key not in rows[0].model_dump_json()  # the list never holds the key

    api = client()
    assert api.get("/api/v1/portfolios", headers=bearer(key)).status_code == 200
    with tenant_session(org_a) as session:
        apikeys.revoke_api_key(session=session, ctx=org_a, key_id=key_id)
        assert apikeys.list_api_keys(session=session, ctx=org_a)[0].revoked
        actions = session.exec(select(AuditEvent.action).order_by(col(AuditEvent.id))).all()
    assert "apikey.created" in actions and "apikey.revoked" in actions
    refused = api.get("/api/v1/portfolios", headers=bearer(key))
    assert refused.status_code == 401
    assert refused.headers["www-authenticate"] == "Bearer"


@pytest.mark.parametrize(
    "header", ["", "Bearer", "Bearer pmo_not-a-real-key", "Basic abc", "bearer " + "x" * 300]
)
def test_missing_or_unknown_keys_get_401(org_a, header):
    response = client().get("/api/v1/portfolios", headers={"Authorization": header})
    assert response.status_code == 401
    assert response.json()["error"] == "unauthorized"


@pytest.mark.parametrize("role", [Role.COACH, Role.MEMBER, Role.VIEWER])
def test_only_admins_manage_keys(org_a, role):
    person = factories.make_member(org_a, role)
    with tenant_session(person) as session:
        with pytest.raises(Forbidden):
            apikeys.create_api_key(session=session, ctx=person, name="x")
        with pytest.raises(Forbidden):
            apikeys.list_api_keys(session=session, ctx=person)


def test_admin_creates_keys_and_bad_input_is_refused(org_a):
    admin = factories.make_member(org_a, Role.ADMIN)
    with tenant_session(admin) as session:
        assert apikeys.create_api_key(session=session, ctx=admin, name="ok").row.scope == "read"
        with pytest.raises(ValidationFailed, match="name"):
            apikeys.create_api_key(session=session, ctx=admin, name="   ")
        with pytest.raises(ValidationFailed, match="read"):
            apikeys.create_api_key(session=session, ctx=admin, name="x", scope="admin")


def test_other_organisation_cannot_list_or_revoke_keys(org_a, org_b):
    key_id, key = make_key(org_a)
    with tenant_session(org_b) as session:
        assert apikeys.list_api_keys(session=session, ctx=org_b) == []
        with pytest.raises(NotFound):
            apikeys.revoke_api_key(session=session, ctx=org_b, key_id=key_id)
    assert client().get("/api/v1/portfolios", headers=bearer(key)).status_code == 200


def test_a_key_of_org_a_gets_404_for_org_b_objects(org_a, org_b):
    mine = make_portfolio(org_a, "Mine")
    theirs = make_portfolio(org_b, "Theirs")
    their_initiative = initiative_ids(org_b, theirs)[0]
    _, key = make_key(org_a, "read_write")
    api = client()
    listed = api.get("/api/v1/portfolios", headers=bearer(key)).json()
    assert [p["name"] for p in listed] == ["Mine"]
    assert api.get(f"/api/v1/portfolios/{mine}", headers=bearer(key)).status_code == 200
    for path in (
        f"/api/v1/portfolios/{theirs}",
        f"/api/v1/portfolios/{theirs}/initiatives",
        f"/api/v1/portfolios/{theirs}/ranking",
        f"/api/v1/portfolios/{theirs}/risks",
        f"/api/v1/initiatives/{their_initiative}",
        f"/api/v1/initiatives/{their_initiative}/governance",
    ):
        response = api.get(path, headers=bearer(key))
        assert response.status_code == 404, path
        assert response.json()["error"] == "not_found"
    # Writes to the other organisation's objects are "not found" too, and change nothing.
    patch = api.patch(
        f"/api/v1/initiatives/{their_initiative}", json={"title": "Hijacked"}, headers=bearer(key)
    )
    assert patch.status_code == 404
    post = api.post(
        f"/api/v1/portfolios/{theirs}/initiatives", json={"title": "Planted"}, headers=bearer(key)
    )
    assert post.status_code == 404
    with tenant_session(org_b) as session:
        from pmo_saas.portfolio.services import initiatives as initiative_services

        titles = [
            r.title
            for r in initiative_services.list_initiatives(
                session=session, ctx=org_b, portfolio_id=theirs
            )
        ]
    assert "Hijacked" not in titles and "Planted" not in titles


def test_a_read_key_is_refused_on_writes_before_anything_changes(org_a):
    portfolio_id = make_portfolio(org_a)
    initiative_id = initiative_ids(org_a, portfolio_id)[0]
    _, key = make_key(org_a, "read")
    api = client()
    for response in (
        api.post(
            f"/api/v1/portfolios/{portfolio_id}/initiatives",
            json={"title": "New"},
            headers=bearer(key),
        ),
        api.patch(f"/api/v1/initiatives/{initiative_id}", json={"title": "X"}, headers=bearer(key)),
        api.put(
            f"/api/v1/initiatives/{initiative_id}/scores",
            json={"scores": {"job_size": 3}},
            headers=bearer(key),
        ),
    ):
        assert response.status_code == 403
        assert "read-only" in response.json()["message"]
    assert len(initiative_ids(org_a, portfolio_id)) == 2
    assert api.get(f"/api/v1/initiatives/{initiative_id}", headers=bearer(key)).json()["title"] == (
        "Growth initiative 1"
    )


def test_read_write_key_creates_updates_and_scores_initiatives(org_a):
    portfolio_id = make_portfolio(org_a, initiatives=0)
    _, key = make_key(org_a, "read_write")
    api = client()
    created = api.post(
        f"/api/v1/portfolios/{portfolio_id}/initiatives",
        json={"title": "From Jira", "cost": 5000, "status": "ready", "moscow": "must"},
        headers=bearer(key),
    )
    assert created.status_code == 201, created.text
    body = created.json()
    assert (body["title"], body["cost"], body["status"], body["moscow"]) == (
        "From Jira",
        5000,
        "ready",
        "must",
    )
    updated = api.patch(
        f"/api/v1/initiatives/{body['id']}", json={"cost": 7000}, headers=bearer(key)
    )
    assert updated.status_code == 200 and updated.json()["cost"] == 7000
    scored = api.put(
        f"/api/v1/initiatives/{body['id']}/scores",
        json={"scores": {"job_size": 5, "business_value": 8}},
        headers=bearer(key),
    )
    assert scored.status_code == 200, scored.text
    assert scored.json()["scores"]["business_value"] == 8
    ranking = api.get(f"/api/v1/portfolios/{portfolio_id}/ranking", headers=bearer(key)).json()
    assert ranking["rows"][0]["initiative_id"] == body["id"]
    # Validation is the portfolio service's: clear messages, nothing half-written.
    bad = api.post(
        f"/api/v1/portfolios/{portfolio_id}/initiatives",
        json={"title": "Bad", "cost": -1},
        headers=bearer(key),
    )
    assert bad.status_code == 422 and "negative" in bad.json()["message"]
    dup = api.post(
        f"/api/v1/portfolios/{portfolio_id}/initiatives",
        json={"title": "From Jira"},
        headers=bearer(key),
    )
    assert dup.status_code == 409
    for raw in (b"{not json", b"[1, 2]", b'{"title": NaN}'):
        response = api.post(
            f"/api/v1/portfolios/{portfolio_id}/initiatives",
            content=raw,
            headers={**bearer(key), "Content-Type": "application/json"},
        )
        assert response.status_code in (400, 422), raw
    with tenant_session(org_a) as session:
        actions = session.exec(select(AuditEvent.action)).all()
    assert "initiative.created" in actions and "initiative.updated" in actions


def test_requests_are_rate_limited_per_key_in_the_database(org_a, monkeypatch):
    monkeypatch.setenv("PMO_API_RATE_PER_MINUTE", "3")
    _, key = make_key(org_a)
    _, other = make_key(org_a, name="other")
    api = client()
    codes = [api.get("/api/v1/portfolios", headers=bearer(key)).status_code for _ in range(4)]
    assert codes == [200, 200, 200, 429]
    limited = api.get("/api/v1/portfolios", headers=bearer(key))
    assert limited.headers["retry-after"] == "60"
    # Another key has its own budget.
    assert api.get("/api/v1/portfolios", headers=bearer(other)).status_code == 200
    with system_session() as session:
        counts = sorted(c.count for c in session.exec(select(ApiRateCounter)).all())
    # Refused requests are not counted (their transaction rolls back): 3 allowed, 1 other.
    assert counts == [1, 3]
    # A new minute starts a new count, and the key's past minutes are dropped.
    clock.freeze(clock.utcnow() + timedelta(minutes=1))
    assert api.get("/api/v1/portfolios", headers=bearer(key)).status_code == 200
    with system_session() as session:
        counts = sorted(c.count for c in session.exec(select(ApiRateCounter)).all())
    assert counts == [1, 1]


def test_aggregates_survey_results_and_plans_are_served(org_a):
    _, key = make_key(org_a)
    api = client()
    for path in ("/api/v1/assessments/rounds", "/api/v1/surveys", "/api/v1/coaching/plans"):
        response = api.get(path, headers=bearer(key))
        assert response.status_code == 200 and response.json() == [], path
    dashboard = api.get("/api/v1/dashboard", headers=bearer(key)).json()
    assert dashboard["statuses"]["total"] == 0
    assert api.get("/api/v1/surveys/999/results", headers=bearer(key)).status_code == 404
    assert (
        api.get("/api/v1/assessments/rounds/99999999999/heatmap", headers=bearer(key)).status_code
        == 404
    )


def test_openapi_document_lists_every_route():
    doc = client().get("/api/v1/openapi.json").json()
    assert doc["openapi"].startswith("3.")
    assert "/api/v1/portfolios/{portfolio_id}/initiatives" in doc["paths"]
    assert set(doc["paths"]["/api/v1/initiatives/{initiative_id}"]) == {"get", "patch"}
    assert doc["components"]["securitySchemes"]["bearerAuth"]["scheme"] == "bearer"
