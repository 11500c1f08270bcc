"""Sync edge cases beyond the happy paths of test_sync_jira/github: a peer failing in the middle
of a paged read (after some pages answered), a long changelog read page by page, and what the
Connections page says when the peer answers 500 or times out (the items already imported
stay, the error is on the page and in the connection's row)."""

from __future__ import annotations

import pytest
from sqlmodel import select

from pmo_saas.db import tenant_session
from pmo_saas.delivery.pages.connections import ConnectionsState
from pmo_saas.delivery.sync import models as m
from pmo_saas.identity import services as identity
from pmo_saas.portfolio.models import Initiative
from tests.delivery.sync_helpers import (
    connect_github,
    connect_jira,
    connection,
    history,
    items,
    new_initiative,
    peers_allowed,
    sync,
)
from tests.delivery.test_sync_security import _follow
from tests.peers.github_peer import github_peer
from tests.peers.jira_peer import JiraPeer, jira_peer
from tests.state_harness import run, state_for


@pytest.fixture
def jira(monkeypatch: pytest.MonkeyPatch):
    peer = jira_peer()
    peer.reset(page=2)
    with peers_allowed(monkeypatch, timeout=1.5):
        yield peer


def _five(peer: JiraPeer) -> list[str]:
    keys = [peer.add(f"Item {n}", f"2026-11-0{n + 1}T09:00:00+00:00") for n in range(5)]
    peer.move(keys[0], "In Progress", "2026-11-07T09:00:00+00:00")
    return keys


def _search_pages(peer: JiraPeer) -> list[dict]:
    return [
        r
        for r in peer.log()
        if r["path"] == "/rest/api/3/search/jql" and "summary" in r["query"].get("fields", "")
    ]


def test_a_peer_failing_after_the_first_page_imports_nothing_then_everything(org_a, jira):
    keys = _five(jira)
    cid = connect_jira(org_a, jira, new_initiative(org_a))
    # myself, project, the first search page (2 items) and its changelogs answer; then 500.
    jira.fail(status=500, after=5, times=1)
    jira.clear_log()

    failed = sync(org_a, cid)

    assert failed.status == m.FAILED and "Jira answered 500" in failed.error
    assert len(_search_pages(jira)) == 2  # one page read, the second answered 500
    assert items(org_a) == {}  # nothing half-written
    assert connection(org_a, cid).cursor is None
    ok = sync(org_a, cid)
    assert (ok.status, ok.created) == (m.OK, 5)
    assert sorted(items(org_a)) == sorted(keys)


def test_an_incremental_sync_failing_mid_page_keeps_what_was_imported(org_a, jira):
    keys = _five(jira)
    cid = connect_jira(org_a, jira, new_initiative(org_a))
    sync(org_a, cid)
    before = {k: (w.status, w.title) for k, w in items(org_a).items()}
    cursor = connection(org_a, cid).cursor
    for n, key in enumerate(keys):
        jira.move(key, "Done", f"2026-11-2{n}T09:00:00+00:00")
    jira.fail(delay=3, after=6, times=1)  # a read on the second page times out

    failed = sync(org_a, cid)

    assert failed.status == m.FAILED and "did not answer within 1.5 seconds" in failed.error
    assert {k: (w.status, w.title) for k, w in items(org_a).items()} == before
    assert connection(org_a, cid).cursor == cursor
    assert (sync(org_a, cid).status, {w.status for w in items(org_a).values()}) == (
        m.OK,
        {"done"},
    )


def test_a_long_changelog_is_read_page_by_page(org_a, jira):
    key = jira.add("Busy", "2026-11-01T09:00:00+00:00")
    steps = ["In Progress", "Done", "In Progress", "Done", "In Progress"]
    for n, status in enumerate(steps):
        jira.move(key, status, f"2026-11-0{n + 2}T09:00:00+00:00")
    cid = connect_jira(org_a, jira, new_initiative(org_a))
    jira.clear_log()

    sync(org_a, cid)

    reads = [r["query"]["startAt"] for r in jira.log() if r["path"].endswith("/changelog")]
    assert reads == ["0", "2", "4"]  # the peer's changelog pages hold two entries
    assert [to for _from, to, _at in history(org_a, key)] == [
        "backlog",
        "doing",
        "done",
        "doing",
        "done",
        "doing",
    ]


def test_github_failing_in_the_middle_of_the_issue_pages_loses_nothing(org_a, monkeypatch):
    peer = github_peer()
    peer.reset(page=2)
    with peers_allowed(monkeypatch, timeout=1.5):
        for n in range(5):
            peer.add(f"Issue {n}", f"2026-11-0{n + 1}T09:00:00Z")
        cid = connect_github(org_a, peer, new_initiative(org_a))
        peer.fail(status=502, after=4, times=1)  # repo, page 1, its two event reads; page 2
        failed = sync(org_a, cid)
        assert failed.status == m.FAILED and "GitHub answered 502" in failed.error
        assert items(org_a) == {}
        assert sync(org_a, cid).created == 5


def _page_path(ctx, iid: int) -> str:
    with tenant_session(ctx) as session:
        pid = session.exec(select(Initiative.portfolio_id).where(Initiative.id == iid)).one()
    return f"/o/{ctx.org_slug}/portfolio/p/{pid}/delivery/{iid}/connections"


@pytest.mark.parametrize(
    ("failure", "said"),
    [({"status": 500}, "Jira answered 500"), ({"delay": 3}, "did not answer within 1.5")],
    ids=["500", "timeout"],
)
def test_the_page_says_why_a_sync_failed_and_keeps_the_items(org_a, jira, failure, said):
    _five(jira)
    iid = new_initiative(org_a)
    cid = connect_jira(org_a, jira, iid)
    sync(org_a, cid)
    before = {k: w.status for k, w in items(org_a).items()}
    jira.move("PROJ-2", "Done", "2026-11-21T09:00:00+00:00")
    jira.fail(times=3, **failure)
    browser = identity.start_session(user_id=org_a.user_id)

    async def scenario() -> None:
        state = await state_for(ConnectionsState, token=browser, path=_page_path(org_a, iid))
        await state.load()
        assert await state.sync_now(cid) is not None
        await _follow(state)
        assert state.syncing == 0 and state.notice == ""
        assert state.error.startswith("The sync failed: ") and said in state.error
        assert "Nothing was changed here" in state.error
        row = state.connections[0]
        assert row.status == m.FAILED and said in row.last_error
        assert [r.status for r in state.runs][:2] == [m.FAILED, m.OK]
        assert said in state.runs[0].error

    run(scenario())
    assert {k: w.status for k, w in items(org_a).items()} == before
    jira.fail(times=0)
