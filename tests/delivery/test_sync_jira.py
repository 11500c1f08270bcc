"""Sync against the Jira-Cloud-like loopback peer: first sync with the history at Jira's own
times, an incremental sync that asks only for what changed, a renamed status arriving
unmapped, a deleted issue marked removed (its history kept), and a peer that fails."""

from __future__ import annotations

import pytest

from pmo_saas.delivery.sync import models as m
from tests.delivery.sync_helpers import (
    connect_jira,
    connection,
    history,
    items,
    mappings,
    new_initiative,
    peers_allowed,
    set_map,
    sync,
    synced,
)
from tests.peers.jira_peer import JiraPeer, jira_peer


@pytest.fixture
def jira(monkeypatch: pytest.MonkeyPatch):
    peer = jira_peer()
    peer.reset(page=2, timezone="Europe/Berlin")
    with peers_allowed(monkeypatch, timeout=1.5):
        yield peer


def _seed(peer: JiraPeer) -> list[str]:
    a = peer.add("Basket", "2026-11-02T09:00:00+00:00")
    b = peer.add("Payment", "2026-11-02T10:00:00+00:00", kind="Task")
    c = peer.add("Receipt", "2026-11-03T09:00:00+00:00", kind="Epic")
    peer.move(a, "In Progress", "2026-11-03T10:00:00+00:00")
    peer.move(a, "Done", "2026-11-05T16:00:00+00:00")
    peer.move(b, "In Progress", "2026-11-04T08:30:00+00:00")
    return [a, b, c]


def _searches(log: list[dict]) -> list[dict]:
    return [r for r in log if r["path"] == "/rest/api/3/search/jql"]


def _changelogs(log: list[dict]) -> set[str]:
    return {r["path"].split("/")[5] for r in log if r["path"].endswith("/changelog")}


def test_first_sync_imports_items_and_their_history_at_jiras_times(org_a, jira):
    a, b, c = _seed(jira)
    iid = new_initiative(org_a)
    cid = connect_jira(org_a, jira, iid)
    jira.clear_log()

    run = sync(org_a, cid)

    assert run.status == m.OK and run.error == ""
    assert (run.fetched, run.created, run.updated, run.removed, run.unmapped) == (3, 3, 0, 0, 0)
    got = items(org_a)
    assert {k: (w.title, w.kind, w.status, w.source) for k, w in got.items()} == {
        a: ("Basket", "story", "done", "jira"),
        b: ("Payment", "task", "doing", "jira"),
        c: ("Receipt", "epic", "backlog", "jira"),
    }
    assert history(org_a, a) == [
        (None, "backlog", "2026-11-02 09:00"),
        ("backlog", "doing", "2026-11-03 10:00"),
        ("doing", "done", "2026-11-05 16:00"),
    ]
    assert got[a].cycle_days == pytest.approx(2.25)  # 3 Nov 10:00 -> 5 Nov 16:00
    assert mappings(org_a, iid) == {"To Do": "backlog", "In Progress": "doing", "Done": "done"}
    log = jira.log()
    assert {r["auth"] for r in log} == {"Basic"}
    # Three issues with a page of two: the changed-items search took two pages.
    changed_pages = [r for r in _searches(log) if "summary" in r["query"]["fields"]]
    assert len(changed_pages) == 2 and "nextPageToken" in changed_pages[1]["query"]
    assert "updated >=" not in changed_pages[0]["query"]["jql"]
    assert _changelogs(log) == {a, b, c}
    assert connection(org_a, cid).status == m.OK


def test_second_sync_asks_only_for_what_changed_since_the_last(org_a, jira):
    _, b, _ = _seed(jira)
    iid = new_initiative(org_a)
    cid = connect_jira(org_a, jira, iid)
    sync(org_a, cid)
    jira.move(b, "Done", "2026-11-20T11:15:00+00:00")
    d = jira.add("Refund", "2026-11-20T12:00:00+00:00")
    jira.clear_log()

    run = sync(org_a, cid)

    assert (run.status, run.fetched, run.created, run.updated) == (m.OK, 2, 1, 1)
    log = jira.log()
    changed = [r for r in _searches(log) if "summary" in r["query"]["fields"]]
    # The cursor is a's last change (5 Nov 16:00 UTC), asked in the account's zone (Berlin).
    assert changed[0]["query"]["jql"] == (
        'project = "PROJ" AND updated >= "2026-11-05 17:00" ORDER BY updated ASC'
    )
    assert _changelogs(log) == {b, d}  # not a (listed again at the cursor) nor c
    assert history(org_a, b)[-1] == ("doing", "done", "2026-11-20 11:15")
    assert items(org_a)[d].status == "backlog"
    assert len(items(org_a)) == 4

    jira.clear_log()
    assert sync(org_a, cid).fetched == 0  # nothing changed: nothing read again
    assert _changelogs(jira.log()) == set()


def test_a_renamed_status_arrives_unmapped_and_mapping_it_moves_the_items(org_a, jira):
    a, b, _ = _seed(jira)
    iid = new_initiative(org_a)
    cid = connect_jira(org_a, jira, iid)
    sync(org_a, cid)
    jira.rename_status("In Progress", "In Development")  # b sits there: not "updated"
    jira.move(b, "Code Review", "2026-11-10T09:00:00+00:00")
    e = jira.add("Vouchers", "2026-11-10T10:00:00+00:00")
    jira.move(e, "In Development", "2026-11-11T10:00:00+00:00")

    run = sync(org_a, cid)

    assert run.status == m.OK and run.unmapped == 2
    assert mappings(org_a, iid) == {
        "Code Review": "",
        "In Development": "",
        "Done": "done",
        "In Progress": "doing",
        "To Do": "backlog",
    }
    got = items(org_a)
    assert got[b].status == "doing" and got[e].status == "backlog"  # kept, not dropped
    assert synced(org_a)[b].external_status == "Code Review"
    assert connection(org_a, cid).status == m.OK

    assert set_map(org_a, iid, "Code Review", "waiting") == 1
    assert set_map(org_a, iid, "In Development", "doing") == 1
    got = items(org_a)
    assert got[b].status == "waiting" and got[e].status == "doing"
    assert history(org_a, b)[-1] == ("doing", "waiting", "2026-11-10 09:00")
    assert history(org_a, e)[-1] == ("backlog", "doing", "2026-11-11 10:00")
    # The next sync moves items reaching a mapped status by itself.
    jira.move(a, "Code Review", "2026-11-12T09:00:00+00:00")
    assert sync(org_a, cid).unmapped == 0
    assert items(org_a)[a].status == "waiting"


def test_a_deleted_issue_is_marked_removed_and_keeps_its_history(org_a, jira):
    a, b, _c = _seed(jira)
    iid = new_initiative(org_a)
    cid = connect_jira(org_a, jira, iid)
    sync(org_a, cid)
    jira.delete(a)

    run = sync(org_a, cid)

    assert (run.status, run.removed) == (m.OK, 1)
    links = synced(org_a)
    assert links[a].removed_at is not None and links[b].removed_at is None
    assert items(org_a)[a].status == "done"  # the item and its history stay
    assert len(history(org_a, a)) == 3
    assert sync(org_a, cid).removed == 0  # marked once


@pytest.mark.parametrize("failure", [{"status": 500}, {"delay": 3}], ids=["500", "timeout"])
def test_a_failing_peer_gives_a_clear_error_loses_nothing_and_the_next_sync_recovers(
    org_a, jira, failure
):
    _a, b, _c = _seed(jira)
    iid = new_initiative(org_a)
    cid = connect_jira(org_a, jira, iid)
    sync(org_a, cid)
    before = {k: (w.status, w.title) for k, w in items(org_a).items()}
    cursor = connection(org_a, cid).cursor
    jira.move(b, "Done", "2026-11-21T09:00:00+00:00")
    jira.fail(times=3, **failure)

    run = sync(org_a, cid)

    assert run.status == m.FAILED
    expected = "answered 500" if "status" in failure else "did not answer within 1.5 seconds"
    assert expected in run.error and "Nothing was changed" in run.error
    conn = connection(org_a, cid)
    assert (conn.status, conn.last_error, conn.cursor) == (m.FAILED, run.error, cursor)
    assert conn.locked_until is None  # the lease is released: the next sync may start
    assert {k: (w.status, w.title) for k, w in items(org_a).items()} == before

    jira.fail(times=0)
    recovered = sync(org_a, cid)
    assert (recovered.status, recovered.updated) == (m.OK, 1)
    assert items(org_a)[b].status == "done"
    assert connection(org_a, cid).last_error == ""


def test_refused_credentials_and_unknown_projects_are_said_plainly(org_a, jira):
    from pmo_saas.delivery.sync import services
    from pmo_saas.delivery.sync.outbound import SyncFailed

    iid = new_initiative(org_a)
    base = {"ctx": org_a, "initiative_id": iid, "kind": m.JIRA, "base_url": jira.base}
    with pytest.raises(SyncFailed, match="refused the credentials"):
        services.connect_source(**base, project="PROJ", account=jira.email, token="wrong-token-123")
    with pytest.raises(SyncFailed, match="does not know that project"):
        services.connect_source(**base, project="NOPE", account=jira.email, token=jira.token)


def test_removing_a_connection_keeps_its_items_and_unmapping_moves_nothing(org_a, jira):
    from sqlmodel import select

    from pmo_saas.db import tenant_session
    from pmo_saas.delivery.sync import services

    a, _, _ = _seed(jira)
    iid = new_initiative(org_a)
    cid = connect_jira(org_a, jira, iid)
    sync(org_a, cid)
    assert set_map(org_a, iid, "Done", "") == 0
    assert mappings(org_a, iid)["Done"] == "" and items(org_a)[a].status == "done"
    with tenant_session(org_a) as session:
        services.remove_connection(session=session, ctx=org_a, connection_id=cid)
    with tenant_session(org_a) as session:
        for table in (m.SyncConnection, m.StatusMapping, m.SyncRun, m.SyncedItem):
            assert session.exec(select(table)).all() == []
    assert len(items(org_a)) == 3 and len(history(org_a, a)) == 3
