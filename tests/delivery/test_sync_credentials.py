"""A connection's API token: replaced through the "Replace token" dialog (checked with the other
side first, the old one never used again, audited), and never anywhere a browser or an API
client could read it: page state, REST answers, CSV exports, audit lines."""

from __future__ import annotations

import json

import pytest
from sqlmodel import select

from pmo_saas.db import system_session, tenant_session
from pmo_saas.delivery.pages.connections import ConnectionsState
from pmo_saas.delivery.sync import models as m
from pmo_saas.delivery.sync import services
from pmo_saas.delivery.sync.outbound import SyncFailed, open_token
from pmo_saas.identity import services as identity
from pmo_saas.identity.models import AuditEvent
from pmo_saas.kernel.errors import Forbidden
from pmo_saas.kernel.roles import Role
from pmo_saas.portfolio.models import Initiative
from tests import factories
from tests.delivery.sync_helpers import (
    connect_jira,
    connection,
    new_initiative,
    peers_allowed,
    sync,
)
from tests.peers.jira_peer import jira_peer
from tests.rest.helpers import bearer, client, make_key
from tests.state_harness import run, state_for

NEW_TOKEN = "jira-rotated-token-ZYXW9876"


@pytest.fixture
def jira(monkeypatch: pytest.MonkeyPatch):
    peer = jira_peer()
    peer.reset(page=50)
    peer.add("Basket", "2026-11-02T09:00:00+00:00")
    with peers_allowed(monkeypatch, timeout=2):
        yield peer


def _audit(ctx) -> list[AuditEvent]:
    with tenant_session(ctx) as session:
        rows = session.exec(select(AuditEvent).order_by(AuditEvent.id)).all()
        session.expunge_all()
    return list(rows)


def test_a_replaced_token_is_checked_first_and_the_old_one_is_never_used_again(org_a, jira):
    iid = new_initiative(org_a)
    cid = connect_jira(org_a, jira, iid)
    assert sync(org_a, cid).status == m.OK
    old_sealed = connection(org_a, cid).token_encrypted

    jira.rotate_token(NEW_TOKEN)  # Jira revoked the old token
    refused = sync(org_a, cid)
    assert refused.status == m.FAILED and "refused the credentials" in refused.error

    # A wrong new token is refused by Jira before anything is stored.
    with pytest.raises(SyncFailed, match="refused the credentials"):
        services.replace_token(ctx=org_a, connection_id=cid, account="", token="not-it-1234")
    assert connection(org_a, cid).token_encrypted == old_sealed

    services.replace_token(ctx=org_a, connection_id=cid, account="", token=NEW_TOKEN)
    conn = connection(org_a, cid)
    assert open_token(conn.token_encrypted) == NEW_TOKEN and conn.token_hint == "9876"
    assert conn.account == jira.email  # blank: kept
    jira.clear_log()
    assert sync(org_a, cid).status == m.OK
    assert {r["auth"] for r in jira.log()} == {"Basic"}

    replaced = [a for a in _audit(org_a) if a.action == "delivery.sync_token_replaced"]
    assert [(a.target, a.detail) for a in replaced] == [
        ("Jira Cloud PROJ", f"token ••••9876, account {jira.email}")
    ]


@pytest.mark.parametrize("role", [Role.VIEWER, Role.MEMBER])
def test_viewers_and_members_cannot_replace_a_token(org_a, jira, role):
    cid = connect_jira(org_a, jira, new_initiative(org_a))
    before = connection(org_a, cid).token_encrypted
    with pytest.raises(Forbidden):
        services.replace_token(
            ctx=factories.make_member(org_a, role), connection_id=cid, account="", token=NEW_TOKEN
        )
    assert connection(org_a, cid).token_encrypted == before


def _page_path(ctx, iid: int) -> str:
    with tenant_session(ctx) as session:
        pid = session.exec(select(Initiative.portfolio_id).where(Initiative.id == iid)).one()
    return f"/o/{ctx.org_slug}/portfolio/p/{pid}/delivery/{iid}/connections"


def test_the_replace_token_dialog_sends_the_token_to_the_service_only(org_a, jira):
    iid = new_initiative(org_a)
    cid = connect_jira(org_a, jira, iid)
    jira.rotate_token(NEW_TOKEN)
    browser = identity.start_session(user_id=org_a.user_id)
    seen: list[str] = []

    async def scenario() -> None:
        state = await state_for(ConnectionsState, token=browser, path=_page_path(org_a, iid))
        await state.load()
        state.open_token_dialog(cid)
        assert (state.token_connection_id, state.token_project) == (cid, "PROJ")
        await state.replace_token({"new_account": "", "new_token": "wrong-token-0000"})
        assert "refused the credentials" in state.error and state.token_connection_id == cid
        seen.append(json.dumps(state.dict(), default=str))
        await state.replace_token({"new_account": "", "new_token": NEW_TOKEN})
        assert state.error == "" and "Token replaced for PROJ" in state.notice
        assert state.token_connection_id == 0  # the dialog shuts
        assert state.connections[0].token == "••••9876"
        seen.append(json.dumps(state.dict(), default=str))
        seen.append(json.dumps(state.get_delta(), default=str))
        seen.append(repr(state.__dict__))

    run(scenario())
    assert all(NEW_TOKEN not in s and "wrong-token-0000" not in s for s in seen)
    assert open_token(connection(org_a, cid).token_encrypted) == NEW_TOKEN


def test_no_api_answer_csv_or_audit_line_carries_a_token(org_a, jira):
    """After connecting, syncing and replacing: every GET of the REST API that this
    organisation's ids reach, every delivery CSV, and every audit line, read as they leave."""
    from pmo_saas.delivery.services import exports, plan_views
    from pmo_saas.rest.http import ENDPOINTS

    iid = new_initiative(org_a)
    cid = connect_jira(org_a, jira, iid)
    sync(org_a, cid)
    jira.rotate_token(NEW_TOKEN)
    services.replace_token(ctx=org_a, connection_id=cid, account="", token=NEW_TOKEN)
    sync(org_a, cid)
    secrets = (jira.token, NEW_TOKEN, connection(org_a, cid).token_encrypted)
    with tenant_session(org_a) as session:
        pid = session.exec(select(Initiative.portfolio_id).where(Initiative.id == iid)).one()

    ids = {"portfolio_id": pid, "initiative_id": iid}
    _, key = make_key(org_a)
    api, auth = client(), bearer(key)
    bodies = []
    for endpoint in ENDPOINTS:
        if endpoint.method != "GET" or not set(endpoint.ids) <= set(ids):
            continue
        answer = api.get("/api/v1" + endpoint.path.format(**ids), headers=auth)
        assert answer.status_code in (200, 422), endpoint.path  # 422: a required query
        bodies.append(answer.text)
    assert any("••••9876" in b for b in bodies)  # the connections endpoint was read
    with tenant_session(org_a) as session:
        bodies += [
            exports.export_work_items_csv(session=session, ctx=org_a, initiative_id=iid),
            exports.export_status_history_csv(session=session, ctx=org_a, initiative_id=iid),
            exports.export_flow_csv(session=session, ctx=org_a, initiative_id=iid),
            plan_views.export_delivery_csv(session=session, ctx=org_a, portfolio_id=pid),
        ]
    with system_session() as session:
        bodies += [
            f"{a.action} {a.target} {a.detail}"
            for a in session.exec(select(AuditEvent).where(AuditEvent.org_id == org_a.org_id))
        ]
    assert len(bodies) > 10
    leaked = [b[:200] for b in bodies if any(s in b for s in secrets)]
    assert leaked == []
