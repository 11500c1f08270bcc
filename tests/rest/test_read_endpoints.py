"""The read endpoints that mirror the pages: scoring rounds, funding, scenarios, published
plans, the risk heat map, assessment team results, coaching goals, training coverage.

Each is read with A's key (what the page shows, one page at a time), then with B's key on
A's ids: the same 404 as an id that does not exist.
"""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from pmo_saas.coaching.services import plans as plan_services
from pmo_saas.coaching.services import training
from pmo_saas.db import tenant_session
from pmo_saas.kernel.context import TenantContext
from pmo_saas.portfolio.services import funding, risks
from pmo_saas.portfolio.services import rounds as scoring
from tests.coaching import helpers as coaching_helpers
from tests.dashboard.helpers import initiative_ids, make_portfolio
from tests.rest.helpers import bearer, client, make_key

MISSING = 2**31 - 1


@dataclass
class Filled:
    key: str
    portfolio_id: int
    initiative_ids: list[int]
    scoring_round_id: int
    scenario_ids: list[int]
    round_id: int  # an assessment round of team alpha
    team_id: int
    plan_id: int


def _answers(w: coaching_helpers.World, flow: int) -> dict[int, dict[str, int]]:
    assert w.alice.user_id is not None and w.bob.user_id is not None
    alice = {"F1": flow, "F2": flow, "Q1": 3, "T1": 4}
    bob = {"F1": flow, "F2": flow + 1, "Q1": 2, "T1": 4}
    return {w.alice.user_id: alice, w.bob.user_id: bob}


def fill(owner: TenantContext) -> Filled:
    portfolio_id = make_portfolio(owner, "Growth", initiatives=2)  # costs 1000 and 2000
    ids = initiative_ids(owner, portfolio_id)
    w = coaching_helpers.world(owner)
    with tenant_session(owner) as session:
        funding.set_budget(session=session, ctx=owner, portfolio_id=portfolio_id, budget=5000)
        scenario_ids = [
            funding.create_scenario(
                session=session, ctx=owner, portfolio_id=portfolio_id, name=name, budget=budget
            )
            for name, budget in (("Lean", 1500), ("Full", 4000))
        ]
        funding.publish_scenario(session=session, ctx=owner, scenario_id=scenario_ids[1])
        risks.create_risk(
            session=session,
            ctx=owner,
            portfolio_id=portfolio_id,
            data={"title": "Vendor late", "probability": 4, "impact": 5},
        )
        scoring_round_id = scoring.open_scoring_round(
            session=session,
            ctx=owner,
            portfolio_id=portfolio_id,
            name="Q1 scoring",
            scorer_user_ids=[w.alice.user_id, w.bob.user_id],
        )
        course = training.create_course(session=session, ctx=owner, name="Kanban basics")
        assert w.alice.user_id is not None
        enrolment = training.enrol(
            session=session, ctx=owner, course_id=course.id, user_id=w.alice.user_id
        )
        training.complete_enrolment(session=session, ctx=owner, enrolment_id=enrolment.id)
    model_id = coaching_helpers.model(w.coach)
    people = [w.alice, w.bob]
    baseline = coaching_helpers.answered_round(
        w.coach, model_id, w.alpha, _answers(w, 2), people=people, title="Baseline",
        focus=("flow",),
    )  # fmt: skip
    with tenant_session(w.coach) as session:
        plan_id = plan_services.create_plan_from_round(
            session=session, ctx=w.coach, round_id=baseline, team_id=w.alpha
        ).id
    follow_up = coaching_helpers.answered_round(
        w.coach, model_id, w.alpha, _answers(w, 3), people=people, title="Follow-up"
    )
    _, key = make_key(owner)
    return Filled(
        key, portfolio_id, ids, scoring_round_id, scenario_ids, follow_up, w.alpha, plan_id
    )


@pytest.fixture
def filled(org_a: TenantContext) -> Filled:
    return fill(org_a)


def _get(key: str, path: str, **params: object) -> tuple[int, object]:
    response = client().get(f"/api/v1{path}", headers=bearer(key), params=params)
    return response.status_code, response.json()


def test_scoring_rounds_and_the_summary(filled: Filled) -> None:
    status, rows = _get(filled.key, f"/portfolios/{filled.portfolio_id}/scoring-rounds")
    assert status == 200 and [r["name"] for r in rows] == ["Q1 scoring"]
    status, summary = _get(filled.key, f"/scoring-rounds/{filled.scoring_round_id}/summary")
    assert status == 200 and summary["round_id"] == filled.scoring_round_id
    assert summary["status"] == "open" and "most_disagreed" in summary


def test_funding_scenarios_and_published_plans(filled: Filled) -> None:
    base = f"/portfolios/{filled.portfolio_id}"
    status, plan = _get(filled.key, f"{base}/funding")
    assert status == 200 and plan["budget"] == 5000
    assert sorted(line["initiative_id"] for line in plan["lines"]) == sorted(filled.initiative_ids)
    status, plan = _get(filled.key, f"{base}/funding", budget=1500)
    assert status == 200 and plan["budget"] == 1500 and plan["total_cost"] <= 1500
    status, rows = _get(filled.key, f"{base}/scenarios")
    assert status == 200 and [r["name"] for r in rows] == ["Full", "Lean"]
    status, first_page = _get(filled.key, f"{base}/scenarios", limit=1)
    status_2, second_page = _get(filled.key, f"{base}/scenarios", limit=1, offset=1)
    assert (status, status_2) == (200, 200)
    assert [r["name"] for r in first_page + second_page] == ["Full", "Lean"]
    status, result = _get(filled.key, f"/scenarios/{filled.scenario_ids[0]}/funding")
    assert status == 200 and result["scenarios"][0]["name"] == "Lean"
    assert result["plans"][0]["total_cost"] <= 1500
    status, published = _get(filled.key, f"{base}/published-plans")
    assert status == 200 and [p["scenario_name"] for p in published] == ["Full"]
    assert published[0]["plan"]["budget"] == 4000


def test_a_page_beyond_the_limit_is_refused(filled: Filled) -> None:
    base = f"/portfolios/{filled.portfolio_id}/scenarios"
    for params in ({"limit": 0}, {"limit": 501}, {"offset": -1}, {"limit": "x"}):
        status, body = _get(filled.key, base, **params)
        assert status == 422 and body["error"] == "validation_failed", params


def test_risk_heat_map(filled: Filled) -> None:
    status, cells = _get(filled.key, f"/portfolios/{filled.portfolio_id}/risks/heatmap")
    assert status == 200
    hot = [c for c in cells if c["count"]]
    assert [(c["probability"], c["impact"], c["count"]) for c in hot] == [(4, 5, 1)]


def test_assessment_team_results_with_spread_and_change(filled: Filled) -> None:
    base = f"/assessments/rounds/{filled.round_id}"
    status, result = _get(filled.key, f"{base}/teams/{filled.team_id}")
    assert status == 200 and result["team_id"] == filled.team_id
    assert result["respondents"] == 2 and result["previous_round_id"] is not None
    status, results = _get(filled.key, f"{base}/teams", limit=10)
    assert status == 200 and results == [result]


def test_coaching_goals_with_their_measured_change_and_training_coverage(
    filled: Filled,
) -> None:
    status, goals = _get(filled.key, f"/coaching/plans/{filled.plan_id}/goals")
    assert status == 200
    flow = next(g for g in goals if g["dimension_key"] == "flow")
    assert flow["measured_round_id"] == filled.round_id
    assert flow["measured_change"] == pytest.approx(1.0)
    status, coverage = _get(filled.key, "/coaching/training/coverage")
    assert status == 200
    alpha = next(c for c in coverage if c["team_id"] == filled.team_id)
    assert (alpha["members"], alpha["trained"], alpha["coverage_percent"]) == (2, 1, 50)


def test_another_organisation_gets_the_same_404_as_a_missing_id(
    filled: Filled, org_b: TenantContext
) -> None:
    _, b_key = make_key(org_b)
    paths = [
        "/portfolios/{p}/scoring-rounds",
        "/scoring-rounds/{s}/summary",
        "/portfolios/{p}/funding",
        "/portfolios/{p}/scenarios",
        "/scenarios/{c}/funding",
        "/portfolios/{p}/published-plans",
        "/portfolios/{p}/risks/heatmap",
        "/assessments/rounds/{r}/teams",
        "/assessments/rounds/{r}/teams/{t}",
        "/coaching/plans/{g}/goals",
    ]
    mine = {
        "p": filled.portfolio_id,
        "s": filled.scoring_round_id,
        "c": filled.scenario_ids[0],
        "r": filled.round_id,
        "t": filled.team_id,
        "g": filled.plan_id,
    }
    missing = dict.fromkeys(mine, MISSING)
    for path in paths:
        theirs = _get(b_key, path.format(**mine))
        absent = _get(filled.key, path.format(**missing))
        assert theirs[0] == 404 and theirs == absent, path
    status, coverage = _get(b_key, "/coaching/training/coverage")
    assert status == 200 and coverage == []
