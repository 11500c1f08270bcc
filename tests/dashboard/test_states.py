"""Dashboard page states check session and role on the server, whatever the page shows."""

from __future__ import annotations

from sqlalchemy import func
from sqlmodel import select

from pmo_saas.dashboard import share
from pmo_saas.dashboard.models import ShareLink
from pmo_saas.dashboard.pages.dashboard import DashboardState
from pmo_saas.dashboard.pages.shared import SharedDashboardState
from pmo_saas.dashboard.pages.sharing import SharingState
from pmo_saas.db import system_session, tenant_session
from pmo_saas.identity import services as identity
from pmo_saas.kernel.roles import Role
from pmo_saas.rest.models import ApiKey
from pmo_saas.rest.pages import ApiKeysState
from tests import factories
from tests.dashboard.helpers import make_portfolio
from tests.state_harness import connect_socket, run, state_for


def _count(model) -> int:
    with system_session() as session:
        return session.exec(select(func.count()).select_from(model)).one()


def test_a_member_is_refused_keys_and_sharing_but_reads_the_dashboard(org_a):
    make_portfolio(org_a, initiatives=2)
    member = factories.make_member(org_a, Role.MEMBER)
    token = identity.start_session(user_id=member.user_id)
    base = f"/o/{org_a.org_slug}/dashboard"

    async def scenario():
        keys = await state_for(ApiKeysState, token=token, path=f"{base}/api-keys")
        await keys.load()
        assert keys.error == "This needs the admin role or higher." and keys.rows == []
        await keys.create({"name": "sneaky", "scope": "Read and write"})
        assert keys.created_name == "" and "admin" in keys.error
        links = await state_for(SharingState, token=token, path=f"{base}/sharing")
        await links.create({"label": "leak", "days": "30"})
        assert links.created_name == "" and "admin" in links.error
        dashboard = await state_for(DashboardState, token=token, path=base)
        await dashboard.load()
        assert dashboard.error == "" and dashboard.initiatives_total == 2

    run(scenario())
    assert _count(ApiKey) == 0 and _count(ShareLink) == 0


def test_signed_out_and_other_org_get_nothing(org_a, org_b):
    make_portfolio(org_a, initiatives=2)
    outsider = identity.start_session(user_id=org_b.user_id)

    async def scenario():
        state = await state_for(DashboardState, token="", path=f"/o/{org_a.org_slug}/dashboard")
        await state.load()
        assert state.error and not state.loaded
        other = await state_for(
            DashboardState, token=outsider, path=f"/o/{org_a.org_slug}/dashboard"
        )
        await other.load()
        assert "not found" in other.error and other.initiatives_total == 0

    run(scenario())


def test_the_share_page_needs_no_session_and_refuses_bad_tokens(org_a):
    make_portfolio(org_a, initiatives=3)
    with tenant_session(org_a) as session:
        created = share.create_share_link(session=session, ctx=org_a, label="Board")

    async def scenario():
        good_socket = await connect_socket(f"pmo_share={created.token}")
        good = await state_for(SharedDashboardState, token="", path="/shared", sid=good_socket)
        await good.load()
        assert good.loaded and good.initiatives_total == 3
        bad_socket = await connect_socket("pmo_share=guessed")
        bad = await state_for(SharedDashboardState, token="", path="/shared", sid=bad_socket)
        await bad.load()
        assert not bad.loaded and "not valid" in bad.error and bad.initiatives_total == 0

    run(scenario())


def test_csv_download_from_the_dashboard_page(org_a):
    make_portfolio(org_a, initiatives=2)
    token = identity.start_session(user_id=org_a.user_id)

    async def scenario():
        state = await state_for(DashboardState, token=token, path=f"/o/{org_a.org_slug}/dashboard")
        spec = await state.download_csv("statuses")
        assert state.error == "" and spec is not None
        assert "dashboard-statuses.csv" in str(spec)
        assert await state.download_csv("members") is None
        assert "not found" in state.error

    run(scenario())
