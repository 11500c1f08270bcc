"""The delivery plan endpoints: reads of plan vs actual, the portfolio's table and value
realised; writes (RAG with its required reason, spend, a measured result) through the
services; a viewer key, a read key and another organisation are refused."""

from __future__ import annotations

from sqlmodel import select

from pmo_saas.db import tenant_session
from pmo_saas.delivery.plan_models import InitiativePlan, RagChange
from pmo_saas.delivery.services import value
from tests.delivery.plan_builders import funded_initiative
from tests.rest.helpers import bearer, client, make_key


def test_plan_reads_and_writes(org_a, org_b):
    pid, iid = funded_initiative(org_a, cost=90_000)
    with tenant_session(org_a) as session:
        kr = value.add_key_result(
            session=session,
            ctx=org_a,
            initiative_id=iid,
            title="Sign-ups",
            target=200,
            due_on="2027-01-31",
        )
    _, key = make_key(org_a, "read_write")
    api, auth = client(), bearer(key)
    plan = api.get(f"/api/v1/initiatives/{iid}/plan", headers=auth)
    assert plan.status_code == 200
    assert (plan.json()["planned_budget"], len(plan.json()["tranches"])) == (90_000, 3)

    no_reason = api.put(
        f"/api/v1/initiatives/{iid}/rag", json={"rag": "amber", "reason": " "}, headers=auth
    )
    assert no_reason.status_code == 422
    assert "a RAG status needs a reason" in no_reason.json()["message"]
    done = api.put(
        f"/api/v1/initiatives/{iid}/rag", json={"rag": "amber", "reason": "Late"}, headers=auth
    )
    assert (done.status_code, done.json()["rag"], done.json()["rag_reason"]) == (
        200,
        "amber",
        "Late",
    )
    spent = api.put(
        f"/api/v1/initiatives/{iid}/spend",
        json={"month": "2026-01", "amount": 40_000},
        headers=auth,
    )
    assert spent.json()["tranche_check"]["over_released"] == 10_000
    table = api.get(f"/api/v1/portfolios/{pid}/delivery-plan", headers=auth).json()
    assert [(r["rag"], r["spent"], r["flagged"]) for r in table] == [("amber", 40_000, True)]
    result = api.post(
        f"/api/v1/key-results/{kr}/results",
        json={"value": 50, "measured_on": "2026-03-01"},
        headers=auth,
    )
    assert result.status_code == 201
    assert result.json()["rows"][0]["achievement"] == 0.25
    realised = api.get(f"/api/v1/portfolios/{pid}/value-realised", headers=auth).json()
    assert realised["rows"][0]["realised_value"] == round(
        0.25 * realised["rows"][0]["promised_value"], 2
    )

    # A read key, a viewer key and the other organisation change nothing.
    _, read = make_key(org_a, "read")
    _, viewer = make_key(org_a, "read_write", name="Viewer key", role="viewer")
    _, theirs = make_key(org_b, "read_write", name="Theirs")
    body = {"rag": "red", "reason": "Planted"}
    assert (
        api.put(f"/api/v1/initiatives/{iid}/rag", json=body, headers=bearer(read)).status_code
        == 403
    )
    assert (
        api.put(f"/api/v1/initiatives/{iid}/rag", json=body, headers=bearer(viewer)).status_code
        == 403
    )
    assert (
        api.put(f"/api/v1/initiatives/{iid}/rag", json=body, headers=bearer(theirs)).status_code
        == 404
    )
    assert api.get(f"/api/v1/initiatives/{iid}/plan", headers=bearer(theirs)).status_code == 404
    assert (
        api.get(f"/api/v1/portfolios/{pid}/value-realised", headers=bearer(theirs)).status_code
        == 404
    )
    with tenant_session(org_a) as session:
        assert [r.rag for r in session.exec(select(RagChange)).all()] == ["amber"]


def test_a_published_plans_forecast_is_read_and_hidden_from_another_organisation(org_a, org_b):
    _pid, iid = funded_initiative(org_a, cost=90_000)
    with tenant_session(org_a) as session:
        plan_id = session.exec(
            select(InitiativePlan.published_plan_id).where(InitiativePlan.initiative_id == iid)
        ).one()
    _, key = make_key(org_a, "read")
    _, theirs = make_key(org_b, "read", name="Theirs")
    api = client()
    got = api.get(f"/api/v1/published-plans/{plan_id}/forecast", headers=bearer(key))
    assert got.status_code == 200
    body = got.json()
    assert (body["published_plan_id"], body["initiatives"]) == (plan_id, 1)
    assert body["forecast"]["enough"] is False  # no work items, no history
    assert body["forecast"]["sentence"] == "No work items yet: nothing to forecast."
    other = api.get(f"/api/v1/published-plans/{plan_id}/forecast", headers=bearer(theirs))
    assert other.status_code == 404
