"""Sync against the GitHub-like loopback peer: issues (not pull requests) with their status
over time from the issue events, `since` for the next sync, Link-header pages, a relabelled
status arriving unmapped, a deleted issue, and a peer that fails."""

from __future__ import annotations

import pytest

from pmo_saas.delivery.sync import models as m
from tests.delivery.sync_helpers import (
    connect_github,
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
from tests.peers.github_peer import GitHubPeer, github_peer


@pytest.fixture
def github(monkeypatch: pytest.MonkeyPatch):
    peer = github_peer()
    peer.reset(page=2)
    with peers_allowed(monkeypatch, timeout=1.5):
        yield peer


def _seed(peer: GitHubPeer) -> tuple[int, int, int]:
    one = peer.add("Search box", "2026-11-02T09:00:00Z")
    two = peer.add("Fix the crash", "2026-11-02T10:00:00Z", labels=["bug"])
    peer.add("Bump deps", "2026-11-02T11:00:00Z", pull=True)
    four = peer.add("Filters", "2026-11-03T09:00:00Z", labels=["epic"])
    peer.event(one, "labeled", "2026-11-03T10:00:00Z", label="status: in progress")
    peer.event(one, "closed", "2026-11-05T16:00:00Z")
    peer.event(two, "labeled", "2026-11-04T08:30:00Z", label="status: in progress")
    return one, two, four


def _listings(log: list[dict]) -> list[dict]:
    return [r for r in log if r["path"] == "/repos/acme/shop/issues"]


def _event_reads(log: list[dict]) -> set[int]:
    return {int(r["path"].split("/")[5]) for r in log if r["path"].endswith("/events")}


def test_first_sync_imports_issues_not_pull_requests_with_their_history(org_a, github):
    one, two, four = _seed(github)
    iid = new_initiative(org_a)
    cid = connect_github(org_a, github, iid)
    github.clear_log()

    run = sync(org_a, cid)

    assert (run.status, run.fetched, run.created, run.unmapped) == (m.OK, 3, 3, 0)
    got = items(org_a)
    assert {k: (w.title, w.kind, w.status, w.source) for k, w in got.items()} == {
        f"#{one}": ("Search box", "story", "done", "github"),
        f"#{two}": ("Fix the crash", "task", "doing", "github"),
        f"#{four}": ("Filters", "epic", "backlog", "github"),
    }
    assert history(org_a, f"#{one}") == [
        (None, "backlog", "2026-11-02 09:00"),
        ("backlog", "doing", "2026-11-03 10:00"),
        ("doing", "done", "2026-11-05 16:00"),
    ]
    assert mappings(org_a, iid) == {
        "open": "backlog",
        "status: in progress": "doing",
        "closed": "done",
    }
    log = github.log()
    assert {r["auth"] for r in log} == {"Bearer"}
    pages = _listings(log)
    assert len(pages) == 2 and pages[0]["query"]["state"] == "all"
    assert "since" not in pages[0]["query"] and pages[1]["query"]["page"] == "2"
    assert _event_reads(log) == {one, two, four}


def test_second_sync_asks_since_the_last_change_and_reads_only_changed_events(org_a, github):
    _, two, four = _seed(github)
    iid = new_initiative(org_a)
    cid = connect_github(org_a, github, iid)
    sync(org_a, cid)
    github.event(two, "closed", "2026-11-20T11:15:00Z")
    five = github.add("Sorting", "2026-11-20T12:00:00Z")
    github.clear_log()

    run = sync(org_a, cid)

    assert (run.status, run.fetched, run.created, run.updated) == (m.OK, 2, 1, 1)
    log = github.log()
    assert _listings(log)[0]["query"]["since"] == "2026-11-05T16:00:00Z"
    assert _event_reads(log) == {two, five}
    assert history(org_a, f"#{two}")[-1] == ("doing", "done", "2026-11-20 11:15")
    # No issue was deleted (the count says so): the whole list is not read.
    assert not [r for r in _listings(log) if "since" not in r["query"]]
    assert items(org_a)[f"#{four}"].status == "backlog"


def test_a_new_status_label_arrives_unmapped(org_a, github):
    _, two, _ = _seed(github)
    iid = new_initiative(org_a)
    cid = connect_github(org_a, github, iid)
    sync(org_a, cid)
    github.event(two, "unlabeled", "2026-11-10T09:00:00Z", label="status: in progress")
    github.event(two, "labeled", "2026-11-10T09:00:01Z", label="status: review")

    run = sync(org_a, cid)

    assert run.unmapped == 1
    assert mappings(org_a, iid)["status: review"] == ""
    assert items(org_a)[f"#{two}"].status == "doing"
    assert set_map(org_a, iid, "status: review", "waiting") == 1
    assert items(org_a)[f"#{two}"].status == "waiting"


def test_a_deleted_issue_is_marked_removed_and_keeps_its_history(org_a, github):
    one, two, _ = _seed(github)
    iid = new_initiative(org_a)
    cid = connect_github(org_a, github, iid)
    sync(org_a, cid)
    github.delete(one)
    github.clear_log()

    run = sync(org_a, cid)

    assert (run.status, run.removed) == (m.OK, 1)
    assert synced(org_a)[f"#{one}"].removed_at is not None
    assert synced(org_a)[f"#{two}"].removed_at is None
    assert len(history(org_a, f"#{one}")) == 3
    assert any("since" not in r["query"] for r in _listings(github.log()))  # the full list


@pytest.mark.parametrize("failure", [{"status": 502}, {"delay": 3}], ids=["502", "timeout"])
def test_a_failing_peer_gives_a_clear_error_and_the_next_sync_recovers(org_a, github, failure):
    _, two, _ = _seed(github)
    iid = new_initiative(org_a)
    cid = connect_github(org_a, github, iid)
    sync(org_a, cid)
    before = {k: w.status for k, w in items(org_a).items()}
    github.event(two, "closed", "2026-11-21T09:00:00Z")
    github.fail(times=1, **failure)

    run = sync(org_a, cid)

    assert run.status == m.FAILED
    expected = "GitHub answered 502" if "status" in failure else "GitHub did not answer within"
    assert expected in run.error
    assert connection(org_a, cid).last_error == run.error
    assert {k: w.status for k, w in items(org_a).items()} == before
    assert sync(org_a, cid).status == m.OK
    assert items(org_a)[f"#{two}"].status == "done"


def test_a_wrong_token_is_refused_at_connect(org_a, github):
    from pmo_saas.delivery.sync import services
    from pmo_saas.delivery.sync.outbound import SyncFailed

    with pytest.raises(SyncFailed, match=r"refused the credentials.*Bad credentials"):
        services.connect_source(
            ctx=org_a,
            initiative_id=new_initiative(org_a),
            kind=m.GITHUB,
            base_url=github.base,
            project=github.repo,
            token="ghp_wrong_token_000",
        )
