"""Flow metrics on a small hand-made history, compared with values worked out by hand.

Items (now = Wed 2026-03-04 12:00; weeks start on Monday):
  X  created+started 02-16 09:00, waiting 02-17 09:00, doing 02-19 09:00, done 02-20 09:00
  A  created 02-02, started 02-03, done 02-05      cycle 2, lead 3
  B  02-02, 02-09, 02-13                           cycle 4, lead 11
  C  02-02, 02-10, 02-12                           cycle 2, lead 10
  D  02-09, 02-16, 02-26                           cycle 10, lead 17
  E  02-09, 02-24, 03-03 (this week: not in throughput)  cycle 7, lead 22
  F  doing since 03-01; G waiting since 02-25; H in the backlog since 03-01
"""

from __future__ import annotations

from datetime import date

from pmo_saas.db import tenant_session
from pmo_saas.delivery import flow
from pmo_saas.delivery.services import flow as flow_services
from tests.delivery.builders import hand_made_history
from tests.portfolio.builders import make_initiative, make_portfolio


def _flow(ctx, initiative_id):
    with tenant_session(ctx) as session:
        return flow_services.initiative_flow(
            session=session, ctx=ctx, initiative_id=initiative_id, seed=1, runs=2000
        )


def test_throughput_cycle_lead_wip_and_efficiency_match_the_hand_count(org_a):
    pid = make_portfolio(org_a)
    iid = make_initiative(org_a, pid, "Checkout", end_date="2026-04-30")
    hand_made_history(org_a, iid)
    view = _flow(org_a, iid)
    # Complete weeks since the first completion: 02-02 A; 02-09 B, C; 02-16 X; 02-23 D.
    assert [(w.week, w.done) for w in view.throughput] == [
        ("2026-02-02", 1),
        ("2026-02-09", 2),
        ("2026-02-16", 1),
        ("2026-02-23", 1),
    ]
    f = view.figures
    assert (f.done_items, f.open_items) == (6, 3)
    # Cycle times sorted 2, 2, 4, 4, 7, 10: ranks ceil(.5*6)=3, ceil(.85*6)=6, ceil(.95*6)=6.
    assert f.cycle == {"50": "4.0 days", "85": "10.0 days", "95": "10.0 days"}
    # Lead times sorted 3, 4, 10, 11, 17, 22.
    assert f.lead == {"50": "10.0 days", "85": "22.0 days", "95": "22.0 days"}
    # F started 03-01 00:00 (3.5 days ago), G 02-25 00:00 (7.5 days ago).
    assert (f.wip, f.wip_age_median, f.wip_age_oldest) == (2, "3.5 days", "7.5 days")
    # Worked: A 2 + B 4 + C 2 + D 10 + E 7 + X 2 = 27 days; waited: X 2 days. 27/29 = 93%.
    assert f.efficiency == "93%"
    assert view.planned_end == "2026-04-30"
    assert len(view.cycle_points) == 6
    assert {p.title: p.days for p in view.cycle_points}["D"] == 10.0


def test_the_cumulative_flow_counts_each_column_at_the_end_of_each_day(org_a):
    pid = make_portfolio(org_a)
    iid = make_initiative(org_a, pid, "Checkout")
    hand_made_history(org_a, iid)
    cfd = {p.day: p for p in _flow(org_a, iid).cfd}
    assert min(cfd) == "2026-02-02" and max(cfd) == "2026-03-04"
    first = cfd["2026-02-02"]
    assert (first.backlog, first.doing, first.done) == (3, 0, 0)  # A, B, C arrived
    # 02-10: A done; B and C in progress; D and E in the backlog.
    d = cfd["2026-02-10"]
    assert (d.backlog, d.ready, d.doing, d.waiting, d.done) == (2, 0, 2, 0, 1)
    # 02-18: A, B, C done; D in progress; X waiting; E, F, G in the backlog.
    d = cfd["2026-02-18"]
    assert (d.backlog, d.ready, d.doing, d.waiting, d.done) == (3, 0, 1, 1, 3)
    last = cfd["2026-03-04"]
    assert (last.backlog, last.doing, last.waiting, last.done) == (1, 1, 1, 6)


def test_the_portfolio_and_a_value_stream_add_up_their_initiatives(org_a):
    pid = make_portfolio(org_a)
    one = make_initiative(org_a, pid, "Checkout", value_stream="Shop")
    make_initiative(org_a, pid, "Search", value_stream="Discovery")
    hand_made_history(org_a, one)
    with tenant_session(org_a) as session:
        whole = flow_services.portfolio_flow(session=session, ctx=org_a, portfolio_id=pid)
        shop = flow_services.portfolio_flow(
            session=session, ctx=org_a, portfolio_id=pid, value_stream="Shop"
        )
        other = flow_services.portfolio_flow(
            session=session, ctx=org_a, portfolio_id=pid, value_stream="Discovery"
        )
    assert whole.value_streams == ["Discovery", "Shop"]
    assert whole.figures == shop.figures
    assert shop.scope == "Growth · Shop"
    assert (other.figures.done_items, other.throughput, other.cfd) == (0, [], [])
    assert not other.forecast.enough
    assert other.forecast.sentence == "No work items yet: nothing to forecast."


def test_pure_percentiles_and_throughput_edges():
    assert flow.percentile([], 50) is None
    assert flow.percentile([5.0], 95) == 5.0
    assert flow.percentile([1, 2, 3, 4], 50) == 2  # nearest rank: ceil(2) = 2nd
    assert flow.percentile([1, 2, 3, 4], 51) == 3
    now = flow.week_start(date(2026, 3, 4))
    assert now == date(2026, 3, 2)
    assert flow.weekly_throughput([], now=__import__("datetime").datetime(2026, 3, 4)) == []
    done = [_t(0), _t(2), _t(24 * 7 + 1), _t(24 * 8)]  # Mon 5 Jan twice, Mon 12 and Tue 13
    assert flow.weekly_throughput(done, now=_t(24 * 15)) == [
        (date(2026, 1, 5), 2),
        (date(2026, 1, 12), 2),
    ]
    assert flow.weekly_throughput(done, now=_t(24 * 8)) == [(date(2026, 1, 5), 2)]


def _t(hours: int):
    from datetime import UTC, datetime, timedelta

    return datetime(2026, 1, 5, tzinfo=UTC) + timedelta(hours=hours)


def test_an_archived_initiative_leaves_the_portfolio_figures(org_a):
    from pmo_saas.portfolio.services import initiatives as initiative_services

    pid = make_portfolio(org_a)
    one = make_initiative(org_a, pid, "Checkout")
    hand_made_history(org_a, one)
    with tenant_session(org_a) as session:
        initiative_services.archive_initiative(session=session, ctx=org_a, initiative_id=one)
        view = flow_services.portfolio_flow(session=session, ctx=org_a, portfolio_id=pid)
    assert (view.figures.done_items, view.figures.open_items, view.initiatives) == (0, 0, [])
