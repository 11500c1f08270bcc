"""The Monte Carlo forecast against an independent simulation written here (numpy, another
random stream, more runs), and the plain refusal when the history is too short."""

from __future__ import annotations

import math
from datetime import date, timedelta

import numpy as np
import pytest
from sqlmodel import select

from pmo_saas.db import tenant_session
from pmo_saas.delivery import forecast
from pmo_saas.delivery.plan_models import InitiativePlan
from pmo_saas.delivery.services import flow as flow_services
from pmo_saas.delivery.services import plan_forecast, workitems
from pmo_saas.kernel import clock
from pmo_saas.kernel.errors import NotFound
from tests.delivery.builders import NOW, add_item, at, hand_made_history, import_items
from tests.delivery.plan_builders import adopt
from tests.portfolio.builders import make_initiative, make_portfolio, wsjf

HISTORY = [3, 5, 0, 4, 6, 2, 5, 3, 0, 7, 4, 2]
START = date(2026, 3, 4)


def _independent(history: list[int], remaining: int, runs: int, seed: int) -> dict[int, date]:
    """Each run: weeks drawn with replacement until they cover `remaining`; the last week
    counts the fraction it needed. Percentiles by nearest rank, rounded up to a whole day."""
    rng = np.random.default_rng(seed)
    weeks = np.array(history)
    days = np.empty(runs)
    for run in range(runs):
        drawn = weeks[rng.integers(0, len(weeks), size=200)]
        total = np.cumsum(drawn)
        week = int(np.searchsorted(total, remaining))  # the first week reaching it
        before = total[week - 1] if week else 0
        days[run] = 7 * week + 7 * (remaining - before) / drawn[week]
    ordered = np.sort(days)
    return {
        p: START + timedelta(days=math.ceil(ordered[math.ceil(p / 100 * runs) - 1]))
        for p in (50, 85, 95)
    }


def test_percentiles_match_an_independent_simulation_within_a_day():
    result = forecast.forecast(HISTORY, 42, start=START, runs=10_000, seed=42)
    assert result.enough
    expected = _independent(HISTORY, 42, runs=40_000, seed=7)
    for p in (50, 85, 95):
        got = result.dates[p]
        assert got is not None
        assert abs((got - expected[p]).days) <= 1, (p, got, expected[p])
    assert result.dates[50] < result.dates[85] <= result.dates[95]  # type: ignore[operator]


def test_the_same_seed_gives_the_same_forecast():
    one = forecast.forecast(HISTORY, 42, start=START, seed=3)
    two = forecast.forecast(HISTORY, 42, start=START, seed=3)
    assert one.dates == two.dates


def test_too_little_history_is_said_plainly():
    result = forecast.forecast([0, 4, 0, 3, 5], 10, start=START, seed=1)
    assert not result.enough
    assert result.dates == {}
    assert result.message == (
        "Too little history to forecast: 3 week(s) with completed items; "
        "the forecast needs at least 4."
    )


def test_the_initiative_forecast_uses_its_own_throughput(org_a):
    pid = make_portfolio(org_a)
    iid = make_initiative(org_a, pid, "Checkout", end_date="2026-04-30")
    hand_made_history(org_a, iid)  # weekly throughput 1, 2, 1, 1; F, G and H remain
    with tenant_session(org_a) as session:
        view = flow_services.initiative_flow(
            session=session, ctx=org_a, initiative_id=iid, seed=5, runs=5000
        ).forecast
    expected = forecast.forecast([1, 2, 1, 1], 3, start=START, runs=5000, seed=5)
    assert view.enough and view.history == [1, 2, 1, 1] and view.remaining == 3
    assert view.dates == {str(p): d.isoformat() for p, d in expected.dates.items() if d}
    d50, d85 = expected.dates[50], expected.dates[85]
    assert d50 and d85
    assert view.sentence == (
        f"The remaining 3 items: 50% by {d50.day} {d50:%B %Y}, 85% by {d85.day} {d85:%B %Y}."
    )


def test_a_new_portfolio_says_it_has_too_little_history(org_a):
    pid = make_portfolio(org_a)
    iid = make_initiative(org_a, pid, "Fresh")
    clock.freeze(at(NOW))
    import_items(
        org_a,
        iid,
        "title,created_at,started_at,done_at\nOne,2026-02-02,2026-02-03,2026-02-04\n"
        "Two,2026-02-09,2026-02-10,2026-02-11\n",
    )
    add_item(org_a, iid, "Three")
    with tenant_session(org_a) as session:
        view = flow_services.portfolio_flow(session=session, ctx=org_a, portfolio_id=pid)
    assert not view.forecast.enough
    assert view.forecast.sentence.startswith("Too little history to forecast: 2 week(s)")


def _plan_of_two(ctx, p_csv: str, q_csv: str, others: tuple[str, ...] = ()):
    """Two initiatives funded by one published plan, their items imported, and initiatives
    outside the plan (created after it) with the items of `others`; (plan, P, Q)."""
    pid = make_portfolio(ctx, "Delivery", budget=500_000)
    ids = [
        make_initiative(
            ctx,
            pid,
            title,
            scores=wsjf(8, 5, 3, 5),
            cost=90_000,
            start_date="2026-01-01",
            end_date=end,
        )
        for title, end in (("P", "2026-04-30"), ("Q", "2026-05-31"))
    ]
    adopt(ctx, pid, tranches=1)
    clock.freeze(at(NOW))
    import_items(ctx, ids[0], p_csv)
    import_items(ctx, ids[1], q_csv)
    for n, text in enumerate(others):
        import_items(ctx, make_initiative(ctx, pid, f"Outside {n}"), text)
    with tenant_session(ctx) as session:
        plan_id = session.exec(select(InitiativePlan.published_plan_id)).first()
    assert plan_id is not None
    return plan_id, ids[0], ids[1]


P_CSV = """title,status,created_at,started_at,done_at
P1,,2026-02-02,2026-02-02,2026-02-03
P2,,2026-02-02,2026-02-02,2026-02-03
P3,,2026-02-02,2026-02-09,2026-02-10
P4,,2026-02-02,2026-02-20,2026-02-24
P5,,2026-02-20,,
P6,,2026-02-20,,
"""
Q_CSV = """title,status,created_at,started_at,done_at
Q1,,2026-02-02,2026-02-03,2026-02-04
Q2,,2026-02-02,2026-02-16,2026-02-17
Q3,,2026-02-02,2026-02-16,2026-02-17
Q4,,2026-02-02,2026-02-24,2026-02-25
Q5,doing,2026-02-02,2026-03-02,
Q6,,2026-03-01,,
"""


def test_a_whole_plan_is_forecast_from_its_initiatives_summed_throughput(org_a, org_b):
    # Outside the plan, not counted: two items done the week of 9 Feb, one open.
    outside = "title,created_at,started_at,done_at\nR1,2026-02-02,2026-02-09,2026-02-10\n"
    outside += "R2,2026-02-02,2026-02-09,2026-02-11\nR3,2026-02-02,,\n"
    plan_id, _p, q = _plan_of_two(org_a, P_CSV, Q_CSV, (outside,))
    with tenant_session(org_a) as session:
        rows = workitems.list_work_items(session=session, ctx=org_a, initiative_id=q)
        q6 = next(r.id for r in rows if r.title == "Q6")
        workitems.delete_work_item(session=session, ctx=org_a, work_item_id=q6)
    with tenant_session(org_a) as session:
        view = plan_forecast.plan_forecast(
            session=session, ctx=org_a, published_plan_id=plan_id, seed=4, runs=10_000
        )
    # Weeks of 2 Feb: P1, P2, Q1; 9 Feb: P3; 16 Feb: Q2, Q3; 23 Feb: P4, Q4. Remaining: P5, P6
    # and Q5 (Q6 deleted).
    assert (view.initiatives, view.planned_end) == (2, "2026-05-31")
    f = view.forecast
    assert (f.enough, f.history, f.remaining) == (True, [3, 1, 2, 2], 3)
    expected = _independent([3, 1, 2, 2], 3, runs=40_000, seed=11)
    for p in (50, 85, 95):
        got = date.fromisoformat(f.dates[str(p)])
        assert abs((got - expected[p]).days) <= 1, (p, got, expected[p])
    assert f.sentence.startswith("The remaining 3 items: 50% by ")
    with pytest.raises(NotFound), tenant_session(org_b) as session:
        plan_forecast.plan_forecast(session=session, ctx=org_b, published_plan_id=plan_id)


def test_a_plan_with_too_little_history_says_so(org_a):
    short = "title,created_at,started_at,done_at\nOne,2026-02-02,2026-02-03,2026-02-04\nTwo,,,\n"
    # Three initiatives outside the plan (more than in it: read from the plan's own history)
    # completing in three other weeks: counted, they would make enough history.
    others = tuple(
        f"title,created_at,started_at,done_at\nO{n},2026-02-02,2026-02-0{n},{day}\n"
        for n, day in ((3, "2026-02-10"), (4, "2026-02-17"), (5, "2026-02-24"))
    )
    plan_id, _p, _q = _plan_of_two(org_a, short, "title\nThree\n", others)
    with tenant_session(org_a) as session:
        view = plan_forecast.plan_forecast(session=session, ctx=org_a, published_plan_id=plan_id)
    assert (view.forecast.enough, view.forecast.remaining, view.forecast.dates) == (False, 2, {})
    assert view.forecast.sentence == (
        "Too little history to forecast: 1 week(s) with completed items; "
        "the forecast needs at least 4."
    )


def test_the_delivery_plan_page_reads_the_latest_adopted_plans_forecast(org_a, org_b):
    plan_id, _p, _q = _plan_of_two(org_a, P_CSV, Q_CSV)
    with tenant_session(org_a) as session:
        pid = session.exec(select(InitiativePlan.portfolio_id)).first()
        view = plan_forecast.latest_plan_forecast(session=session, ctx=org_a, portfolio_id=pid)
    assert view is not None
    assert (view.published_plan_id, view.planned_end) == (plan_id, "2026-05-31")
    # P5, P6, Q5, Q6 remain; weeks of 2, 9, 16 and 23 Feb: 3, 1, 2, 2 done.
    assert (view.forecast.history, view.forecast.remaining) == ([3, 1, 2, 2], 4)
    sentence, used = plan_forecast.plan_forecast_lines(view)
    fifty = date.fromisoformat(view.forecast.dates["50"])
    eighty_five = date.fromisoformat(view.forecast.dates["85"])
    assert sentence == (
        f"The plan's remaining 4 items: 50% by {fifty.day} {fifty:%B %Y}, "
        f"85% by {eighty_five.day} {eighty_five:%B %Y}."
    )
    assert used.startswith("From 4 week(s) of the plan's history, 2.0 items/week on average")
    with pytest.raises(NotFound), tenant_session(org_b) as session:
        plan_forecast.latest_plan_forecast(session=session, ctx=org_b, portfolio_id=pid)
    # A portfolio with no adopted plan has no plan forecast.
    empty = make_portfolio(org_a, "Nothing adopted")
    with tenant_session(org_a) as session:
        assert (
            plan_forecast.latest_plan_forecast(session=session, ctx=org_a, portfolio_id=empty)
            is None
        )


def test_the_plan_forecast_lines_say_plainly_when_history_is_too_short(org_a):
    short = "title,created_at,started_at,done_at\nOne,2026-02-02,2026-02-03,2026-02-04\nTwo,,,\n"
    plan_id, _p, _q = _plan_of_two(org_a, short, "title\nThree\n")
    with tenant_session(org_a) as session:
        view = plan_forecast.plan_forecast(session=session, ctx=org_a, published_plan_id=plan_id)
    sentence, used = plan_forecast.plan_forecast_lines(view)
    assert sentence.startswith("Too little history to forecast: 1 week(s)")
    assert used.startswith(f"From {len(view.forecast.history)} week(s) of the plan's history")
