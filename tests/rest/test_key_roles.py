"""A key acts with the role chosen when it was made: never above its creator's; coach unless
chosen otherwise (what every key did before roles were chosen)."""

from __future__ import annotations

import pytest
from sqlalchemy import func
from sqlmodel import select

from pmo_saas.db import system_session, tenant_session
from pmo_saas.identity import services as identity
from pmo_saas.kernel.context import TenantContext
from pmo_saas.kernel.errors import Forbidden, ValidationFailed
from pmo_saas.kernel.roles import Role
from pmo_saas.portfolio.models import Initiative
from pmo_saas.rest import keys
from pmo_saas.rest.pages import ApiKeysState
from tests import factories
from tests.dashboard.helpers import initiative_ids, make_portfolio
from tests.rest.helpers import bearer, client, make_key
from tests.state_harness import run, state_for


def _initiatives() -> int:
    with system_session() as session:
        return session.exec(select(func.count()).select_from(Initiative)).one()


def test_a_viewer_key_reads_but_cannot_write(org_a: TenantContext) -> None:
    portfolio_id = make_portfolio(org_a, initiatives=1)
    initiative_id = initiative_ids(org_a, portfolio_id)[0]
    _, key = make_key(org_a, "read_write", role="viewer")
    api = client()
    listed = api.get(f"/api/v1/portfolios/{portfolio_id}/initiatives", headers=bearer(key))
    assert listed.status_code == 200 and len(listed.json()) == 1
    before = _initiatives()
    writes = [
        api.post(
            f"/api/v1/portfolios/{portfolio_id}/initiatives",
            json={"title": "Sneaky"},
            headers=bearer(key),
        ),
        api.patch(
            f"/api/v1/initiatives/{initiative_id}", json={"title": "Renamed"}, headers=bearer(key)
        ),
        api.put(
            f"/api/v1/initiatives/{initiative_id}/scores",
            json={"scores": {"business_value": 5}},
            headers=bearer(key),
        ),
    ]
    assert [w.status_code for w in writes] == [403, 403, 403]
    assert {w.json()["error"] for w in writes} == {"forbidden"}
    assert _initiatives() == before
    shown = api.get(f"/api/v1/initiatives/{initiative_id}", headers=bearer(key)).json()
    assert shown["title"] != "Renamed" and "business_value" not in shown["scores"]


def test_a_coach_key_still_writes_and_a_viewer_key_cannot_read_team_results(
    org_a: TenantContext,
) -> None:
    portfolio_id = make_portfolio(org_a, initiatives=0)
    _, coach_key = make_key(org_a, "read_write")  # no role chosen: coach, as keys always were
    _, viewer_key = make_key(org_a, "read_write", role="viewer")
    api = client()
    created = api.post(
        f"/api/v1/portfolios/{portfolio_id}/initiatives",
        json={"title": "Allowed"},
        headers=bearer(coach_key),
    )
    assert created.status_code == 201
    team_id = factories.make_team(org_a, "Alpha")
    for key, status in ((viewer_key, 403), (coach_key, 404)):  # no such round: past the role
        got = api.get(
            f"/api/v1/assessments/rounds/{2**31 - 1}/teams/{team_id}", headers=bearer(key)
        )
        assert got.status_code == status


def test_a_key_cannot_be_made_above_its_creators_role(org_a: TenantContext) -> None:
    admin = factories.make_member(org_a, Role.ADMIN)
    with tenant_session(admin) as session:
        with pytest.raises(Forbidden, match="above your own"):
            keys.create_api_key(session=session, ctx=admin, name="x", role="owner")
        with pytest.raises(ValidationFailed, match="viewer"):
            keys.create_api_key(session=session, ctx=admin, name="x", role="boss")
        made = keys.create_api_key(session=session, ctx=admin, name="ok", role="admin")
        assert made.row.role == "admin"
    # an owner may not hand out owner either
    with tenant_session(org_a) as session, pytest.raises(ValidationFailed, match="viewer"):
        keys.create_api_key(session=session, ctx=org_a, name="x", role="owner")
    assert keys.authenticate(f"Bearer {made.key}").role == "admin"


def test_the_keys_page_creates_a_key_with_the_chosen_role(org_a: TenantContext) -> None:
    admin = factories.make_member(org_a, Role.ADMIN)
    token = identity.start_session(user_id=admin.user_id)
    path = f"/o/{org_a.org_slug}/dashboard/api-keys"

    async def scenario() -> tuple[list[tuple[str, str]], str]:
        page = await state_for(ApiKeysState, token=token, path=path)
        await page.create({"name": "Board pack", "scope": "Read only", "role": "viewer"})
        made = [(r.name, r.role) for r in page.rows]
        await page.create({"name": "Too high", "scope": "Read only", "role": "owner"})
        return made, page.error

    made, error = run(scenario())
    assert made == [("Board pack", "viewer")]
    assert "above your own" in error
    with tenant_session(admin) as session:
        assert [r.name for r in keys.list_api_keys(session=session, ctx=admin)] == ["Board pack"]
