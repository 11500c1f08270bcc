"""Work items removed at the source (a synced item its peer no longer lists) or deleted by hand
count nowhere: not in WIP or its age, throughput, cycle and lead times, the CFD, the items a
forecast says remain, or earned value. The hand-made history of test_flow.py, every figure
worked out again by hand without the removed items."""

from __future__ import annotations

from datetime import date

import pytest

from pmo_saas.db import tenant_session
from pmo_saas.delivery.services import flow as flow_services
from pmo_saas.delivery.services import plan as plan_services
from pmo_saas.delivery.services import plan_views, workitems
from pmo_saas.delivery.sync import models as m
from pmo_saas.kernel import clock
from pmo_saas.kernel.errors import Forbidden, NotFound
from pmo_saas.kernel.roles import Role
from tests import factories
from tests.delivery.builders import NOW, add_item, at, hand_made_history
from tests.delivery.plan_builders import funded_initiative
from tests.delivery.sync_helpers import connect_jira, items, new_initiative, peers_allowed, sync
from tests.peers.jira_peer import jira_peer
from tests.portfolio.builders import make_initiative, make_portfolio


def _ids(ctx, initiative_id) -> dict[str, int]:
    with tenant_session(ctx) as session:
        rows = workitems.list_work_items(session=session, ctx=ctx, initiative_id=initiative_id)
    return {r.title: r.id for r in rows}


def _delete(ctx, item_id: int) -> None:
    with tenant_session(ctx) as session:
        workitems.delete_work_item(session=session, ctx=ctx, work_item_id=item_id)


def _views(ctx, pid, iid):
    with tenant_session(ctx) as session:
        one = flow_services.initiative_flow(
            session=session, ctx=ctx, initiative_id=iid, seed=1, runs=500
        )
        whole = flow_services.portfolio_flow(
            session=session, ctx=ctx, portfolio_id=pid, seed=1, runs=500
        )
        stream = flow_services.portfolio_flow(
            session=session, ctx=ctx, portfolio_id=pid, value_stream="Shop", seed=1, runs=500
        )
    return one, whole, stream


def test_items_deleted_by_hand_leave_every_flow_figure(org_a):
    pid = make_portfolio(org_a)
    iid = make_initiative(org_a, pid, "Checkout", value_stream="Shop")
    hand_made_history(org_a, iid)
    ids = _ids(org_a, iid)
    clock.freeze(at(NOW))
    for title in ("X", "C", "G", "H"):
        _delete(org_a, ids[title])
    assert sorted(_ids(org_a, iid)) == ["A", "B", "D", "E", "F"]
    # The initiative's view (its history), the portfolio's (its roll-up) and the value
    # stream's (its initiatives' history) all agree.
    one, whole, stream = _views(org_a, pid, iid)
    for view in (one, whole, stream):
        # Left: A 02-02..02-05, B ..02-13, D ..02-26, E ..03-03 (this week); F doing since 03-01.
        assert [(w.week, w.done) for w in view.throughput] == [
            ("2026-02-02", 1),
            ("2026-02-09", 1),
            ("2026-02-16", 0),  # X was that week's only completion
            ("2026-02-23", 1),
        ]
        f = view.figures
        assert (f.done_items, f.open_items) == (4, 1)
        # Cycle 2 (A), 4 (B), 7 (E), 10 (D): ranks ceil(.5*4)=2, ceil(.85*4)=4, 4.
        assert f.cycle == {"50": "4.0 days", "85": "10.0 days", "95": "10.0 days"}
        # Lead 3, 11, 17, 22.
        assert f.lead == {"50": "11.0 days", "85": "22.0 days", "95": "22.0 days"}
        # G (waiting, 7.5 days old) is gone: F alone, 3.5 days.
        assert (f.wip, f.wip_age_median, f.wip_age_oldest) == (1, "3.5 days", "3.5 days")
        # X's 2 days of waiting are gone: 23 days worked of 23.
        assert f.efficiency == "100%"
        assert {p.title for p in view.cycle_points} == {"A", "B", "D", "E"}
        cfd = {p.day: p for p in view.cfd}
        d = cfd["2026-02-10"]  # A done; B in progress (C gone); D and E in the backlog
        assert (d.backlog, d.ready, d.doing, d.waiting, d.done) == (2, 0, 1, 0, 1)
        d = cfd["2026-02-18"]  # A, B done; D in progress; E, F in the backlog (X, G gone)
        assert (d.backlog, d.ready, d.doing, d.waiting, d.done) == (2, 0, 1, 0, 2)
        d = cfd["2026-03-04"]
        assert (d.backlog, d.ready, d.doing, d.waiting, d.done) == (0, 0, 1, 0, 4)
        assert view.forecast.remaining == 1  # F; H and G no longer remain
    assert [(r.title, r.done_items, r.open_items) for r in whole.initiatives] == [
        ("Checkout", 4, 1)
    ]


def test_a_deleted_item_cannot_be_moved_and_deleting_twice_changes_nothing(org_a, org_b):
    pid = make_portfolio(org_a)
    iid = make_initiative(org_a, pid, "Checkout")
    clock.freeze(at(NOW))
    item = add_item(org_a, iid, "Gone", status="doing")
    with pytest.raises(NotFound), tenant_session(org_b) as session:
        workitems.delete_work_item(session=session, ctx=org_b, work_item_id=item)
    assert _ids(org_a, iid) == {"Gone": item}  # the other organisation deleted nothing
    _delete(org_a, item)
    _delete(org_a, item)
    with pytest.raises(NotFound), tenant_session(org_a) as session:
        workitems.move_work_item(session=session, ctx=org_a, work_item_id=item, status="done")
    _one, whole, _stream = _views(org_a, pid, iid)
    assert (whole.figures.done_items, whole.figures.open_items, whole.figures.wip) == (0, 0, 0)
    assert whole.cfd == []  # no live item has ever moved


def test_a_viewer_cannot_delete_a_work_item(org_a):
    pid = make_portfolio(org_a)
    iid = make_initiative(org_a, pid, "Checkout")
    item = add_item(org_a, iid, "Kept")
    viewer = factories.make_member(org_a, Role.VIEWER)
    with pytest.raises(Forbidden), tenant_session(viewer) as session:
        workitems.delete_work_item(session=session, ctx=viewer, work_item_id=item)
    assert _ids(org_a, iid) == {"Kept": item}


def test_issues_deleted_at_the_source_leave_the_figures(org_a, monkeypatch):
    peer = jira_peer()
    peer.reset(page=2)
    a = peer.add("Basket", "2026-11-02T09:00:00+00:00")
    b = peer.add("Payment", "2026-11-02T10:00:00+00:00")
    peer.move(a, "In Progress", "2026-11-03T10:00:00+00:00")
    peer.move(a, "Done", "2026-11-05T10:00:00+00:00")
    peer.move(b, "In Progress", "2026-11-04T10:00:00+00:00")
    clock.freeze(at("2026-11-18 12:00"))
    with peers_allowed(monkeypatch):
        iid = new_initiative(org_a)
        cid = connect_jira(org_a, peer, iid)
        sync(org_a, cid)
        with tenant_session(org_a) as session:
            pid = session.get(m.SyncConnection, cid).portfolio_id  # type: ignore[union-attr]
        _one, whole, _s = _views(org_a, pid, iid)
        assert (whole.figures.done_items, whole.figures.open_items) == (1, 1)
        assert [(w.week, w.done) for w in whole.throughput] == [
            ("2026-11-02", 1),
            ("2026-11-09", 0),
        ]
        assert whole.figures.cycle["50"] == "2.0 days"  # a: 11-03 10:00 to 11-05 10:00
        peer.delete(a)
        peer.delete(b)
        assert sync(org_a, cid).removed == 2
        assert items(org_a)[a].status == "done"  # kept, with its history
        one, whole, _s = _views(org_a, pid, iid)
        for view in (one, whole):
            f = view.figures
            assert (f.done_items, f.open_items, f.wip, f.cycle["50"]) == (0, 0, 0, "-")
            assert view.throughput == []
            assert {(p.doing, p.done) for p in view.cfd} <= {(0, 0)}
            assert view.forecast.remaining == 0


def test_earned_value_leaves_out_deleted_items(org_a):
    _pid, iid = funded_initiative(org_a, cost=100_000, tranches=1)
    with tenant_session(org_a) as session:
        plan_services.set_approach(
            session=session, ctx=org_a, initiative_id=iid, approach="traditional"
        )
        plan_services.set_baseline(
            session=session,
            ctx=org_a,
            initiative_id=iid,
            scope="10",
            start="2026-01-01",
            end="2026-05-01",
            budget="100,000",
        )
    clock.freeze(at("2026-02-10 09:00"))
    add_item(org_a, iid, "Design", status="done", estimate="2")
    build = add_item(org_a, iid, "Build", status="done", estimate="3")
    _delete(org_a, build)
    with tenant_session(org_a) as session:
        view = plan_views.initiative_plan(
            session=session, ctx=org_a, initiative_id=iid, on=date(2026, 3, 2)
        )
    ev = view.earned_value
    assert ev is not None
    # Only Design's 2 of 10 units: EV = 100,000 x 2/10 = 20,000 (not 50,000 with Build).
    assert (ev.ev, ev.scope_done) == (20_000, 2)
