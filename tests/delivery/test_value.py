"""Value realised: key results measured against their targets, promised vs realised value, and
each scorer's calibration, worked out by hand."""

from __future__ import annotations

import pytest

from pmo_saas.db import tenant_session
from pmo_saas.delivery.services import value
from pmo_saas.kernel.errors import ValidationFailed
from pmo_saas.kernel.roles import Role
from pmo_saas.portfolio.services import rounds as round_services
from tests import factories
from tests.delivery.plan_builders import adopt
from tests.portfolio.builders import make_initiative, make_portfolio, wsjf


def _kr(ctx, iid, title, target, *results):
    with tenant_session(ctx) as session:
        kr = value.add_key_result(
            session=session,
            ctx=ctx,
            initiative_id=iid,
            title=title,
            target=target,
            due_on="2026-09-30",
        )
        for n, result in enumerate(results, start=1):
            value.record_result(
                session=session,
                ctx=ctx,
                key_result_id=kr,
                value=result,
                measured_on=f"2026-0{n}-15",
            )
    return kr


def test_calibration_arithmetic_by_hand():
    # X: settled 8, half arrived (4); Y: settled 5, all arrived (5).
    figures = value.calibrate(
        {1: {10: 8, 20: 3}, 2: {10: 8, 20: 5}, 3: {30: 5}},
        {10: 8, 20: 5, 30: 5},
        {10: 0.5, 20: 1.0},
    )
    # Scorer 1: +4 and -2 -> bias 1, MAE 3; scorer 2: +4 and 0 -> bias 2, MAE 2; 3: nothing.
    assert figures == {1: (2, 1.0, 3.0), 2: (2, 2.0, 2.0)}
    assert value.achievement_of(120, 100) == 1.0 and value.achievement_of(-3, 10) == 0.0


def test_promised_vs_realised_and_each_scorers_calibration(org_a):
    pid = make_portfolio(org_a, "Value", budget=200_000)
    x = make_initiative(org_a, pid, "X", cost=50_000, scores=wsjf(8, 5, 3, 2))
    y = make_initiative(org_a, pid, "Y", cost=50_000, scores=wsjf(5, 5, 2, 2))
    ann = factories.make_member(org_a, Role.MEMBER, name="Ann")
    bob = factories.make_member(org_a, Role.MEMBER, name="Bob")
    with tenant_session(org_a) as session:
        round_id = round_services.open_scoring_round(
            session=session,
            ctx=org_a,
            portfolio_id=pid,
            name="Value round",
            scorer_user_ids=[ann.user_id, bob.user_id],
            keys=["business_value"],
        )
    for ctx, scores in ((ann, {x: 8, y: 3}), (bob, {x: 8, y: 5})):
        with tenant_session(ctx) as session:
            round_services.submit_round_scores(
                session=session, ctx=ctx, round_id=round_id, key="business_value", scores=scores
            )
    with tenant_session(org_a) as session:
        round_services.settle_round(
            session=session,
            ctx=org_a,
            round_id=round_id,
            final={(x, "business_value"): 8, (y, "business_value"): 5},
        )
    assert adopt(org_a, pid) == 2
    # X: 40 then 50 of 100 (latest 0.5) and 12 of 10 (capped 1.0): 0.75; Y: 30 of 30: 1.0.
    _kr(org_a, x, "Sign-ups", 100, 40, 50)
    _kr(org_a, x, "NPS", 10, 12)
    _kr(org_a, y, "Orders", 30, 30)
    _kr(org_a, y, "Not measured yet", 5)
    with tenant_session(org_a) as session:
        view = value.value_view(session=session, ctx=org_a, portfolio_id=pid)
    rows = {r.title: r for r in view.rows}
    # Promised: WSJF X = (8+5+3)/2 = 8, Y = (5+5+2)/2 = 6; realised = promised x achievement.
    assert (rows["X"].promised_value, rows["X"].achievement, rows["X"].realised_value) == (
        8.0,
        0.75,
        6.0,
    )
    assert (rows["Y"].promised_value, rows["Y"].achievement, rows["Y"].realised_value) == (
        6.0,
        1.0,
        6.0,
    )
    assert [k.achievement for k in rows["Y"].key_results] == [1.0, None]
    # Arrived in business-value points: X 8 x 0.75 = 6, Y 5 x 1 = 5.
    # Ann: 8-6 = +2, 3-5 = -2 -> bias 0, MAE 2; Bob: +2, 0 -> bias 1, MAE 1.
    assert view.value_key == "business_value"
    assert [(c.name, c.initiatives, c.bias, c.mean_abs_error) for c in view.calibration] == [
        ("Bob", 2, 1.0, 1.0),
        ("Ann", 2, 0.0, 2.0),
    ]
    with tenant_session(org_a) as session:
        text = value.export_value_csv(session=session, ctx=org_a, portfolio_id=pid)
    assert text.splitlines()[1:] == ["X,8.0,75.0,6.0", "Y,6.0,100.0,6.0"]


def test_key_results_are_checked(org_a):
    pid = make_portfolio(org_a, "Checks")
    iid = make_initiative(org_a, pid, "Z")
    with pytest.raises(ValidationFailed, match="more than 0"), tenant_session(org_a) as s:
        value.add_key_result(
            session=s, ctx=org_a, initiative_id=iid, title="T", target=0, due_on="2026-01-01"
        )
    with pytest.raises(ValidationFailed, match="Name the key result"), tenant_session(org_a) as s:
        value.add_key_result(
            session=s, ctx=org_a, initiative_id=iid, title=" ", target=1, due_on="2026-01-01"
        )
