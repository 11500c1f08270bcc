"""What sync must never do: reach a private or plain-http address in production (SSRF), hand
the API token to the browser or keep it in clear, let a viewer or member connect or sync, or
let another organisation read or change a connection, its map or its runs."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import text
from sqlmodel import select

from pmo_saas.db import system_session, tenant_session
from pmo_saas.delivery.pages.connections import ConnectionsState
from pmo_saas.delivery.sync import engine, services
from pmo_saas.delivery.sync import models as m
from pmo_saas.delivery.sync.outbound import check_url, clean_base_url, open_token
from pmo_saas.identity import services as identity
from pmo_saas.kernel.errors import Forbidden, NotFound, ValidationFailed
from pmo_saas.kernel.roles import Role
from pmo_saas.settings import Settings, get_settings
from tests import factories
from tests.delivery.sync_helpers import (
    connect_jira,
    items,
    new_initiative,
    peers_allowed,
    set_map,
    sync,
)
from tests.peers.jira_peer import JiraPeer, jira_peer
from tests.state_harness import run, state_for


@pytest.fixture
def jira(monkeypatch: pytest.MonkeyPatch):
    peer = jira_peer()
    peer.reset(page=50)
    with peers_allowed(monkeypatch):
        yield peer


def _seeded(peer: JiraPeer) -> None:
    key = peer.add("Basket", "2026-11-02T09:00:00+00:00")
    peer.move(key, "In Review", "2026-11-03T09:00:00+00:00")


# ---------------------------------------------------------------- SSRF


def test_production_settings_refuse_plain_http_and_private_addresses() -> None:
    assert Settings().delivery_sync_allow_private_networks is False
    assert get_settings().delivery_sync_allowed_networks == ""
    for url in (
        "http://example.com",
        "https://127.0.0.1:8443",
        "https://localhost",
        "https://[::1]/",
        "https://10.1.2.3",
        "https://192.168.0.10",
        "https://169.254.169.254/latest/meta-data",
        "https://[::ffff:127.0.0.1]",
        "ftp://example.com",
    ):
        with pytest.raises(ValidationFailed):
            clean_base_url(url)
    with pytest.raises(ValidationFailed, match="without a query or credentials"):
        clean_base_url("https://user:pw@example.com")


def test_a_connection_to_the_loopback_peer_is_refused_without_the_test_setting(org_a):
    peer = jira_peer()
    peer.reset()
    peer.clear_log()
    with pytest.raises(ValidationFailed, match="must start with https"):
        connect_jira(org_a, peer, new_initiative(org_a))
    assert peer.log() == []  # not one request left


def test_allowed_networks_let_only_those_through(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PMO_DELIVERY_SYNC_ALLOWED_NETWORKS", "127.0.0.0/8")
    get_settings.cache_clear()
    try:
        check_url("http://127.0.0.1:9/rest")
        with pytest.raises(ValidationFailed, match="private, loopback"):
            check_url("https://10.0.0.1/rest")
    finally:
        monkeypatch.delenv("PMO_DELIVERY_SYNC_ALLOWED_NETWORKS")
        get_settings.cache_clear()


# ---------------------------------------------------------------- the token


def test_the_token_is_stored_encrypted_and_only_masked_in_what_pages_read(org_a, jira):
    _seeded(jira)
    iid = new_initiative(org_a)
    cid = connect_jira(org_a, jira, iid)
    sync(org_a, cid)
    with system_session() as session:
        stored = session.exec(select(m.SyncConnection)).one()
        raw = session.execute(text("SELECT * FROM syncconnection")).mappings().one()
    assert jira.token not in json.dumps({k: str(v) for k, v in raw.items()})
    assert open_token(stored.token_encrypted) == jira.token
    with tenant_session(org_a) as session:
        view = services.connections_view(session=session, ctx=org_a, initiative_id=iid)
    dumped = view.model_dump_json()
    assert jira.token not in dumped and "token_encrypted" not in dumped
    assert view.connections[0].token == "••••" + jira.token[-4:]


def test_the_connections_page_state_never_holds_the_token(org_a, jira):
    _seeded(jira)
    iid = new_initiative(org_a)
    token = identity.start_session(user_id=org_a.user_id)
    with tenant_session(org_a) as session:
        from pmo_saas.portfolio.models import Initiative

        pid = session.exec(select(Initiative.portfolio_id).where(Initiative.id == iid)).one()
    path = f"/o/{org_a.org_slug}/portfolio/p/{pid}/delivery/{iid}/connections"
    form = {
        "kind": "jira",
        "base_url": jira.base,
        "project": jira.project,
        "account": jira.email,
        "token": jira.token,
    }

    async def scenario() -> None:
        state = await state_for(ConnectionsState, token=token, path=path)
        await state.load()
        await state.connect(form)
        assert state.error == "" and state.connections[0].token.startswith("••••")
        assert await state.sync_now(state.connections[0].id) is not None
        assert state.syncing == state.connections[0].id
        await _follow(state)
        assert state.syncing == 0 and "Synced: 1 new" in state.notice
        assert [r.external for r in state.mappings] == ["In Review", "To Do"]
        serialized = json.dumps(state.dict(), default=str)
        assert jira.token not in serialized
        assert jira.token not in repr(state.__dict__)
        assert jira.token not in json.dumps(state.get_delta(), default=str)

    run(scenario())


async def _follow(state: ConnectionsState) -> None:
    """Run the background handler in place (the harness has no event processor)."""
    await ConnectionsState.follow_sync.fn(_Direct(state))  # type: ignore[attr-defined]


class _Direct:
    """`async with self` for a state outside the event processor: a no-op lock."""

    def __init__(self, state: ConnectionsState) -> None:
        object.__setattr__(self, "_state", state)

    def __getattr__(self, name: str):
        return getattr(object.__getattribute__(self, "_state"), name)

    def __setattr__(self, name: str, value) -> None:
        setattr(object.__getattribute__(self, "_state"), name, value)

    async def __aenter__(self):
        return self

    async def __aexit__(self, *exc) -> None:
        return None


# ---------------------------------------------------------------- roles


@pytest.mark.parametrize("role", [Role.VIEWER, Role.MEMBER])
def test_viewers_and_members_cannot_connect_sync_or_map(org_a, jira, role):
    _seeded(jira)
    iid = new_initiative(org_a)
    cid = connect_jira(org_a, jira, iid)
    sync(org_a, cid)
    other = factories.make_member(org_a, role)
    with pytest.raises(Forbidden):
        connect_jira(other, jira, iid)
    with pytest.raises(Forbidden):
        engine.sync_connection(ctx=other, connection_id=cid)
    assert engine.sync_for_page(ctx=other, connection_id=cid).refused.startswith("Only coaches")
    with pytest.raises(Forbidden):
        set_map(other, iid, "In Review", "waiting")
    with pytest.raises(Forbidden), tenant_session(other) as session:
        services.remove_connection(session=session, ctx=other, connection_id=cid)
    with tenant_session(other) as session:  # they may read
        view = services.connections_view(session=session, ctx=other, initiative_id=iid)
    assert len(view.connections) == 1 and len(view.runs) == 1


def test_a_coach_may_connect_and_sync(org_a, jira):
    _seeded(jira)
    coach = factories.make_member(org_a, Role.COACH)
    cid = connect_jira(coach, jira, new_initiative(org_a))
    assert sync(coach, cid).status == m.OK


# ---------------------------------------------------------------- tenancy


def test_another_organisation_cannot_see_or_change_a_connection(org_a, org_b, jira):
    _seeded(jira)
    iid = new_initiative(org_a)
    cid = connect_jira(org_a, jira, iid)
    first = sync(org_a, cid)
    with tenant_session(org_a) as session:
        mapping_id = services.list_mappings(session=session, ctx=org_a, initiative_id=iid)[0].id
    calls = [
        lambda s: services.connections_view(session=s, ctx=org_b, initiative_id=iid),
        lambda s: services.list_connections(session=s, ctx=org_b, initiative_id=iid),
        lambda s: services.list_mappings(session=s, ctx=org_b, initiative_id=iid),
        lambda s: services.recent_runs(session=s, ctx=org_b, initiative_id=iid),
        lambda s: services.run_progress(session=s, ctx=org_b, run_id=first.id),
        lambda s: services.set_mapping(session=s, ctx=org_b, mapping_id=mapping_id, column="done"),
        lambda s: services.remove_connection(session=s, ctx=org_b, connection_id=cid),
    ]
    for call in calls:
        with pytest.raises(NotFound), tenant_session(org_b) as session:
            call(session)
    with pytest.raises(NotFound):
        engine.sync_connection(ctx=org_b, connection_id=cid)
    with pytest.raises(NotFound):
        connect_jira(org_b, jira, iid)  # into A's initiative
    with pytest.raises(NotFound):
        services.replace_token(ctx=org_b, connection_id=cid, account=jira.email, token="x" * 20)
    with tenant_session(org_b) as session:
        assert services.due_connection_ids(session=session, ctx=org_b) == []
        for table in (m.SyncConnection, m.StatusMapping, m.SyncRun, m.SyncedItem):
            assert session.exec(select(table)).all() == []
    # And A's rows are as they were.
    with tenant_session(org_a) as session:
        view = services.connections_view(session=session, ctx=org_a, initiative_id=iid)
    assert [c.id for c in view.connections] == [cid] and len(view.mappings) == 2
    assert list(items(org_a)) == ["PROJ-1"]


def test_the_scheduled_job_syncs_every_organisations_connections(org_a, org_b, jira):
    from pmo_saas.jobs.tasks import run_delivery_sync

    _seeded(jira)
    connect_jira(org_a, jira, new_initiative(org_a))
    connect_jira(org_b, jira, new_initiative(org_b))
    finished = run_delivery_sync()
    assert finished is not None and finished.outcome == "ok" and finished.items == 2
    assert list(items(org_a)) == ["PROJ-1"] and list(items(org_b)) == ["PROJ-1"]


def test_a_viewer_on_the_connections_page_cannot_connect_or_sync(org_a, jira):
    from pmo_saas.portfolio.models import Initiative

    _seeded(jira)
    iid = new_initiative(org_a)
    cid = connect_jira(org_a, jira, iid)
    viewer = factories.make_member(org_a, Role.VIEWER)
    token = identity.start_session(user_id=viewer.user_id)
    with tenant_session(org_a) as session:
        pid = session.exec(select(Initiative.portfolio_id).where(Initiative.id == iid)).one()
    path = f"/o/{org_a.org_slug}/portfolio/p/{pid}/delivery/{iid}/connections"

    async def scenario() -> None:
        state = await state_for(ConnectionsState, token=token, path=path)
        await state.load()
        assert state.error == "" and [c.id for c in state.connections] == [cid]
        await state.connect(
            {
                "kind": "jira",
                "base_url": jira.base,
                "project": "OTHER",
                "account": jira.email,
                "token": jira.token,
            }
        )
        assert "coach" in state.error.lower()
        assert await state.sync_now(cid) is None
        assert state.syncing == 0 and "coach" in state.error.lower()

    run(scenario())
    with tenant_session(org_a) as session:
        assert len(services.list_connections(session=session, ctx=org_a, initiative_id=iid)) == 1
        assert services.recent_runs(session=session, ctx=org_a, initiative_id=iid) == []
