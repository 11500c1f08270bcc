"""Portfolio services against a real database: portfolios, initiatives, ranking, funding,
scenarios, risks, charts, roles, audit and the other organisation."""

from __future__ import annotations

import time

import pytest
from sqlmodel import select

from pmo_saas.db import tenant_session
from pmo_saas.identity.models import AuditEvent
from pmo_saas.kernel.errors import Conflict, Forbidden, NotFound, ValidationFailed
from pmo_saas.kernel.roles import Role
from pmo_saas.portfolio.models import Dependency, Initiative, Score
from pmo_saas.portfolio.services import funding as funding_services
from pmo_saas.portfolio.services import initiatives as initiative_services
from pmo_saas.portfolio.services import portfolios as portfolio_services
from pmo_saas.portfolio.services import ranking as ranking_services
from pmo_saas.portfolio.services import risks as risk_services
from pmo_saas.portfolio.services import rounds as round_services
from tests import factories
from tests.portfolio.builders import make_initiative, make_portfolio, wsjf


def actions(ctx) -> list[str]:
    with tenant_session(ctx) as session:
        return list(session.exec(select(AuditEvent.action).order_by(AuditEvent.id)).all())


def test_create_and_edit_initiative_with_all_fields(org_a):
    pid = make_portfolio(org_a)
    base = make_initiative(org_a, pid, "Data platform", cost="40,000")
    iid = make_initiative(
        org_a,
        pid,
        "Self-service onboarding",
        description="Let customers start alone",
        owner="Ana",
        value_stream="Retail",
        status="reviewing",
        cost="120000",
        job_size="5",
        start_date="2027-01-10",
        end_date="2027-06-30",
        moscow="Should have",
        tags="UX; growth",
        depends_on=[base],
    )
    with tenant_session(org_a) as session:
        row = initiative_services.get_initiative(session=session, ctx=org_a, initiative_id=iid)
        assert row.cost == 120000
        assert row.job_size == 5
        assert row.moscow == "should"
        assert row.tags == ["growth", "ux"]
        assert row.depends_on_titles == ["Data platform"]
        assert row.start_date == "2027-01-10"
        initiative_services.update_initiative(
            session=session, ctx=org_a, initiative_id=iid, data={"title": "Onboarding", "cost": 0}
        )
        initiative_services.move_initiative(
            session=session, ctx=org_a, initiative_id=iid, status="implementing"
        )
        columns = initiative_services.board(session=session, ctx=org_a, portfolio_id=pid)
    assert [c.status for c in columns] == [
        "funnel",
        "reviewing",
        "analysing",
        "ready",
        "implementing",
        "done",
    ]
    assert [c.title for c in columns[4].cards] == ["Onboarding"]
    assert [c.title for c in columns[0].cards] == ["Data platform"]
    assert "initiative.moved" in actions(org_a)


def test_archive_hides_from_table_and_ranking(org_a):
    pid = make_portfolio(org_a)
    iid = make_initiative(org_a, pid, "Old idea")
    with tenant_session(org_a) as session:
        initiative_services.archive_initiative(session=session, ctx=org_a, initiative_id=iid)
        assert (
            initiative_services.list_initiatives(session=session, ctx=org_a, portfolio_id=pid) == []
        )
        rows = initiative_services.list_initiatives(
            session=session, ctx=org_a, portfolio_id=pid, include_archived=True
        )
        assert rows[0].archived
        assert (
            ranking_services.rank_portfolio(session=session, ctx=org_a, portfolio_id=pid).rows == []
        )


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"cost": "-5"}, "cannot be negative"),
        ({"cost": "lots"}, "must be a number of whole currency units"),
        ({"cost": "10.50"}, "whole currency units"),
        ({"job_size": "4"}, "Job size must be one of"),
        ({"status": "parked"}, "status must be one of"),
        ({"moscow": "maybe"}, "Must, Should, Could or Won't"),
        ({"start_date": "10/01/2027"}, "YYYY-MM-DD"),
        ({"start_date": "2027-02-01", "end_date": "2027-01-01"}, "end date is before"),
        ({"title": "  "}, "Enter a title"),
    ],
)
def test_bad_initiative_input_writes_nothing(org_a, data, message):
    pid = make_portfolio(org_a)
    with pytest.raises(ValidationFailed, match=message):
        make_initiative(org_a, pid, "X", **data) if "title" not in data else make_initiative(
            org_a, pid, data["title"]
        )
    with tenant_session(org_a) as session:
        assert session.exec(select(Initiative)).all() == []
        assert session.exec(select(Score)).all() == []


def test_duplicate_title_is_a_conflict(org_a):
    pid = make_portfolio(org_a)
    make_initiative(org_a, pid, "A")
    with pytest.raises(Conflict, match="exists"):
        make_initiative(org_a, pid, "A")


def test_dependency_cycle_is_refused_and_named(org_a):
    pid = make_portfolio(org_a)
    a = make_initiative(org_a, pid, "Alpha")
    b = make_initiative(org_a, pid, "Beta", depends_on=[a])
    c = make_initiative(org_a, pid, "Gamma", depends_on=[b])
    with tenant_session(org_a) as session, pytest.raises(ValidationFailed) as error:
        initiative_services.update_initiative(
            session=session,
            ctx=org_a,
            initiative_id=a,
            data={"depends_on": [c], "title": "Alpha 2"},
        )
    assert "“Alpha” → “Gamma” → “Beta” → “Alpha”" in str(error.value)
    with tenant_session(org_a) as session:
        assert session.get(Initiative, a).title == "Alpha"  # nothing half-written
        deps = session.exec(select(Dependency).where(Dependency.initiative_id == a)).all()
        assert deps == []
        with pytest.raises(ValidationFailed, match="cannot depend on itself"):
            initiative_services.set_dependencies(
                session=session, ctx=org_a, initiative_id=a, depends_on=[a]
            )


def test_dependency_in_another_portfolio_is_not_found(org_a):
    p1, p2 = make_portfolio(org_a, "P1"), make_portfolio(org_a, "P2")
    other = make_initiative(org_a, p2, "Elsewhere")
    with pytest.raises(NotFound):
        make_initiative(org_a, p1, "Here", depends_on=[other])


def test_set_scores_is_all_or_nothing_and_clearing_means_not_scored(org_a):
    pid = make_portfolio(org_a)
    iid = make_initiative(org_a, pid, "A", scores=wsjf(8, 5, 3, 5))
    with (
        tenant_session(org_a) as session,
        pytest.raises(ValidationFailed, match="A: Time criticality must be one of"),
    ):
        initiative_services.set_scores(
            session=session,
            ctx=org_a,
            initiative_id=iid,
            scores={"business_value": 13, "time_criticality": 7},
        )
    with tenant_session(org_a) as session:
        row = initiative_services.get_initiative(session=session, ctx=org_a, initiative_id=iid)
        assert row.scores["business_value"] == 8
        initiative_services.set_scores(
            session=session, ctx=org_a, initiative_id=iid, scores={"job_size": ""}
        )
        ranking = ranking_services.rank_portfolio(session=session, ctx=org_a, portfolio_id=pid)
    assert ranking.rows[0].score is None
    assert ranking.rows[0].score_text == "not scored"


def test_ranking_explains_rows_and_records_overrides(org_a):
    pid = make_portfolio(org_a)
    top = make_initiative(org_a, pid, "Top", scores=wsjf(20, 13, 8, 2))  # 20.5
    mid = make_initiative(org_a, pid, "Mid", scores=wsjf(8, 5, 3, 5))  # 3.2
    low = make_initiative(org_a, pid, "Low", scores=wsjf(1, 1, 1, 20))  # 0.15
    make_initiative(org_a, pid, "Unscored")
    with tenant_session(org_a) as session:
        ranking = ranking_services.rank_portfolio(session=session, ctx=org_a, portfolio_id=pid)
        assert [r.title for r in ranking.rows] == ["Top", "Mid", "Low", "Unscored"]
        assert ranking.rows[1].explanation.endswith("= 16 / 5 = 3.2")
        assert ranking.rows[1].inputs["Job size"] == 5
        assert ranking.formula.startswith("WSJF = (User/business value")
        with pytest.raises(ValidationFailed, match="Say why"):
            ranking_services.override_rank(
                session=session, ctx=org_a, initiative_id=low, position=1
            )
        ranking_services.override_rank(
            session=session,
            ctx=org_a,
            initiative_id=low,
            position=1,
            reason="Regulatory deadline in March",
        )
        ranking = ranking_services.rank_portfolio(session=session, ctx=org_a, portfolio_id=pid)
    assert [r.initiative_id for r in ranking.rows[:3]] == [low, top, mid]
    assert "Placed at #1 by hand (score alone: #3): Regulatory deadline" in (
        ranking.rows[0].explanation
    )
    assert "ranking.overridden" in actions(org_a)


def test_fund_portfolio_shows_optimum_beside_rank_cut(org_a):
    pid = make_portfolio(org_a, budget=100)
    a = make_initiative(org_a, pid, "A", cost=60, scores=wsjf(20, 20, 20, 20))  # 3
    b = make_initiative(org_a, pid, "B", cost=50, scores=wsjf(13, 13, 13, 20))  # 1.95
    c = make_initiative(org_a, pid, "C", cost=50, scores=wsjf(13, 13, 8, 20))  # 1.7
    with tenant_session(org_a) as session:
        plan = funding_services.fund_portfolio(session=session, ctx=org_a, portfolio_id=pid)
    assert sorted(plan.funded_ids) == [b, c]
    assert plan.cut_funded_ids == [a]
    assert plan.total_value > plan.cut_total_value
    assert [line.title for line in plan.lines] == ["A", "B", "C"]
    assert plan.lines[0].reason == "does not fit with a better set"


def test_fund_portfolio_tells_its_progress_in_phases(org_a, monkeypatch):
    """The page's bar: the phases in order, and the solver's time used while it runs."""
    pid = make_portfolio(org_a, budget=100)
    make_initiative(org_a, pid, "A", cost=60, scores=wsjf(20, 20, 20, 20))
    told: list[tuple[float, str]] = []
    slow_solver = funding_services.fund_best_set

    def solve_slowly(*args, **kwargs):
        time.sleep(0.25)  # long enough for the clock to tick twice
        return slow_solver(*args, **kwargs)

    monkeypatch.setattr(funding_services, "fund_best_set", solve_slowly)
    monkeypatch.setattr(funding_services, "_solver_clock", _quick_clock)
    with tenant_session(org_a) as session:
        funding_services.fund_portfolio(
            session=session,
            ctx=org_a,
            portfolio_id=pid,
            progress=lambda done, total, phase: told.append((done / total, phase)),
        )
    shares = [share for share, _ in told]
    assert shares == sorted(shares) and shares[0] == 0 and shares[-1] == 0.9
    phases = [phase for _, phase in told]
    assert phases[0] == "Reading the initiatives and their scores"
    assert phases[1] == "Finding the best set"
    assert any(p.startswith("Finding the best set: 0 s of at most 20 s") for p in phases)
    assert phases[-1] == "Comparing with the rank-order cut"


def _quick_clock(progress):
    return _REAL_CLOCK(progress, every=0.05)


_REAL_CLOCK = funding_services._solver_clock


def test_stream_budget_split_and_validation(org_a):
    pid = make_portfolio(org_a)
    with tenant_session(org_a) as session:
        with pytest.raises(ValidationFailed, match="add up to 150, more than the total"):
            funding_services.set_budget(
                session=session,
                ctx=org_a,
                portfolio_id=pid,
                budget=100,
                stream_budgets={"Retail": 100, "B2B": 50},
            )
        with pytest.raises(ValidationFailed, match="cannot be negative"):
            funding_services.set_budget(session=session, ctx=org_a, portfolio_id=pid, budget=-1)
        funding_services.set_budget(
            session=session, ctx=org_a, portfolio_id=pid, budget=100, stream_budgets={"Retail": 60}
        )
        row = portfolio_services.get_portfolio(session=session, ctx=org_a, portfolio_id=pid)
    assert row.budget == 100
    assert row.stream_budgets == {"Retail": 60}


def test_must_haves_over_budget_get_a_clear_message(org_a):
    pid = make_portfolio(org_a, budget=100)
    make_initiative(org_a, pid, "Compliance", cost=90, moscow="must")
    make_initiative(org_a, pid, "Security", cost=30, moscow="must")
    with tenant_session(org_a) as session, pytest.raises(ValidationFailed) as error:
        funding_services.fund_portfolio(session=session, ctx=org_a, portfolio_id=pid)
    assert "cost 120, more than the budget of 100" in str(error.value)


def test_scenarios_compare_side_by_side_and_publish_a_snapshot(org_a):
    pid = make_portfolio(org_a, budget=100)
    a = make_initiative(org_a, pid, "A", cost=60, scores=wsjf(20, 20, 20, 20), moscow="must")
    b = make_initiative(org_a, pid, "B", cost=50, scores=wsjf(13, 13, 13, 20))
    with tenant_session(org_a) as session:
        lean = funding_services.create_scenario(
            session=session, ctx=org_a, portfolio_id=pid, name="Lean"
        )
        rich = funding_services.create_scenario(
            session=session, ctx=org_a, portfolio_id=pid, name="Rich", budget=200
        )
        tight = funding_services.create_scenario(
            session=session, ctx=org_a, portfolio_id=pid, name="Tight", budget=10
        )
        with pytest.raises(Conflict):
            funding_services.create_scenario(
                session=session, ctx=org_a, portfolio_id=pid, name="Lean"
            )
        with pytest.raises(ValidationFailed, match="“in” or “out”"):
            funding_services.create_scenario(
                session=session, ctx=org_a, portfolio_id=pid, name="X", overrides={a: "maybe"}
            )
        compared = funding_services.compare_scenarios(
            session=session, ctx=org_a, scenario_ids=[lean, rich, tight]
        )
    assert compared.plans[0].funded_ids == [a]
    assert compared.plans[1].funded_ids == [a, b]
    assert compared.plans[2] is None
    assert "more than the budget of 10" in compared.errors[2]
    with tenant_session(org_a) as session:
        funding_services.update_scenario(
            session=session, ctx=org_a, scenario_id=lean, overrides={b: "in", a: "out"}
        )
        plan_id = funding_services.publish_scenario(session=session, ctx=org_a, scenario_id=lean)
        # Later changes do not alter the published snapshot.
        initiative_services.update_initiative(
            session=session, ctx=org_a, initiative_id=b, data={"cost": 500}
        )
        plans = funding_services.list_published_plans(session=session, ctx=org_a, portfolio_id=pid)
    assert plans[0].id == plan_id
    assert plans[0].scenario_name == "Lean"
    assert plans[0].plan.funded_ids == [b]
    assert plans[0].plan.total_cost == 50
    assert plans[0].published_at[:4] >= "2026"
    assert "scenario.published" in actions(org_a)


def test_risk_register_and_heat_map(org_a):
    pid = make_portfolio(org_a)
    iid = make_initiative(org_a, pid, "A")
    with tenant_session(org_a) as session:
        r1 = risk_services.create_risk(
            session=session,
            ctx=org_a,
            portfolio_id=pid,
            data={"title": "Vendor late", "probability": 4, "impact": 5, "initiative_id": iid},
        )
        risk_services.create_risk(
            session=session,
            ctx=org_a,
            portfolio_id=pid,
            data={"title": "Key person leaves", "probability": "2", "impact": "3", "owner": "Bo"},
        )
        for bad, message in [
            ({"title": "x", "probability": 6, "impact": 1}, "from 1 to 5; got 6"),
            ({"title": "x", "probability": "high", "impact": 1}, "from 1 to 5"),
            ({"title": "x", "probability": 1}, "impact"),
        ]:
            with pytest.raises(ValidationFailed, match=message):
                risk_services.create_risk(session=session, ctx=org_a, portfolio_id=pid, data=bad)
        risks = risk_services.list_risks(session=session, ctx=org_a, portfolio_id=pid)
        assert [r.exposure for r in risks] == [20, 6]
        assert risks[0].initiative_title == "A"
        risk_services.update_risk(
            session=session,
            ctx=org_a,
            risk_id=r1,
            data={"status": "closed", "mitigation": "Second vendor"},
        )
        heat = risk_services.risk_heat_map(session=session, ctx=org_a, portfolio_id=pid)
    assert len(heat) == 25
    assert sum(c.count for c in heat) == 1
    assert next(c for c in heat if c.count).probability == 2


def test_chart_data(org_a):
    pid = make_portfolio(org_a)
    make_initiative(org_a, pid, "A", cost=100, scores=wsjf(8, 5, 3, 5))
    make_initiative(org_a, pid, "B", cost=50)
    with tenant_session(org_a) as session:
        points = ranking_services.value_effort_points(session=session, ctx=org_a, portfolio_id=pid)
        bars = ranking_services.ranking_bars(session=session, ctx=org_a, portfolio_id=pid)
    assert [(p.title, p.effort, p.value, p.cost) for p in points] == [
        ("A", 5, pytest.approx(3.2), 100),
        ("B", None, None, 50),
    ]
    assert [(b.title, b.score) for b in bars] == [("A", pytest.approx(3.2))]


def test_weighted_criteria_model_end_to_end(org_a):
    pid = make_portfolio(org_a, model="weighted")
    with tenant_session(org_a) as session:
        value = ranking_services.add_criterion(
            session=session, ctx=org_a, portfolio_id=pid, name="Value", weight=2, scale_max=5
        )
        fit = ranking_services.add_criterion(
            session=session, ctx=org_a, portfolio_id=pid, name="Fit", weight=1, scale_max=10
        )
        with pytest.raises(ValidationFailed, match="weight must be above 0"):
            ranking_services.add_criterion(
                session=session, ctx=org_a, portfolio_id=pid, name="Z", weight=0
            )
    iid = make_initiative(org_a, pid, "A", scores={f"c{value}": 4, f"c{fit}": 7})
    with tenant_session(org_a) as session:
        with pytest.raises(ValidationFailed, match="Fit must be between 1 to 10; got 11"):
            initiative_services.set_scores(
                session=session, ctx=org_a, initiative_id=iid, scores={f"c{fit}": 11}
            )
        ranking = ranking_services.rank_portfolio(session=session, ctx=org_a, portfolio_id=pid)
    assert ranking.rows[0].score == pytest.approx(5)
    assert ranking.formula == "Weighted score = (2 \u00d7 Value + 1 \u00d7 Fit) / 3"


# ---------------------------------------------------------------- roles


def test_viewers_and_members_read_but_do_not_manage(org_a):
    pid = make_portfolio(org_a, budget=100)
    iid = make_initiative(org_a, pid, "A", cost=10, scores=wsjf(1, 1, 1, 1))
    for role in (Role.VIEWER, Role.MEMBER):
        person = factories.make_member(org_a, role)
        with tenant_session(person) as session:
            assert initiative_services.list_initiatives(
                session=session, ctx=person, portfolio_id=pid
            )
            assert ranking_services.rank_portfolio(
                session=session, ctx=person, portfolio_id=pid
            ).rows
            assert funding_services.fund_portfolio(
                session=session, ctx=person, portfolio_id=pid
            ).funded_ids
            writes = [
                lambda s, p=person: portfolio_services.create_portfolio(
                    session=s, ctx=p, name="Mine"
                ),
                lambda s, p=person: initiative_services.update_initiative(
                    session=s, ctx=p, initiative_id=iid, data={"cost": 1}
                ),
                lambda s, p=person: initiative_services.set_scores(
                    session=s, ctx=p, initiative_id=iid, scores={"job_size": 1}
                ),
                lambda s, p=person: funding_services.set_budget(
                    session=s, ctx=p, portfolio_id=pid, budget=5
                ),
                lambda s, p=person: funding_services.create_scenario(
                    session=s, ctx=p, portfolio_id=pid, name="S"
                ),
                lambda s, p=person: risk_services.create_risk(
                    session=s, ctx=p, portfolio_id=pid, data={"title": "r"}
                ),
            ]
            for write in writes:
                with pytest.raises(Forbidden, match="coaches, admins and owners"):
                    write(session)
    coach = factories.make_member(org_a, Role.COACH)
    with tenant_session(coach) as session:
        initiative_services.update_initiative(
            session=session, ctx=coach, initiative_id=iid, data={"cost": 1}
        )


# ---------------------------------------------------------------- the other organisation


def test_other_org_cannot_see_or_touch_anything(org_a, org_b):
    pid = make_portfolio(org_a, budget=100)
    iid = make_initiative(org_a, pid, "Secret", cost=10, scores=wsjf(8, 5, 3, 5))
    with tenant_session(org_a) as session:
        sid = funding_services.create_scenario(
            session=session, ctx=org_a, portfolio_id=pid, name="S"
        )
        rid = risk_services.create_risk(
            session=session,
            ctx=org_a,
            portfolio_id=pid,
            data={"title": "r", "probability": 1, "impact": 1},
        )
        round_id = round_services.open_scoring_round(
            session=session, ctx=org_a, portfolio_id=pid, name="R", scorer_user_ids=[org_a.user_id]
        )
    b = org_b
    calls = [
        lambda s: portfolio_services.get_portfolio(session=s, ctx=b, portfolio_id=pid),
        lambda s: initiative_services.list_initiatives(session=s, ctx=b, portfolio_id=pid),
        lambda s: initiative_services.get_initiative(session=s, ctx=b, initiative_id=iid),
        lambda s: ranking_services.rank_portfolio(session=s, ctx=b, portfolio_id=pid),
        lambda s: funding_services.fund_portfolio(session=s, ctx=b, portfolio_id=pid),
        lambda s: initiative_services.export_initiatives(session=s, ctx=b, portfolio_id=pid),
        lambda s: initiative_services.update_initiative(
            session=s, ctx=b, initiative_id=iid, data={"cost": 1}
        ),
        lambda s: initiative_services.archive_initiative(session=s, ctx=b, initiative_id=iid),
        lambda s: initiative_services.set_scores(
            session=s, ctx=b, initiative_id=iid, scores={"job_size": 1}
        ),
        lambda s: ranking_services.override_rank(
            session=s, ctx=b, initiative_id=iid, position=1, reason="x"
        ),
        lambda s: funding_services.set_budget(session=s, ctx=b, portfolio_id=pid, budget=1),
        lambda s: initiative_services.create_initiative(
            session=s, ctx=b, portfolio_id=pid, data={"title": "x"}
        ),
        lambda s: funding_services.compare_scenarios(session=s, ctx=b, scenario_ids=[sid]),
        lambda s: funding_services.publish_scenario(session=s, ctx=b, scenario_id=sid),
        lambda s: risk_services.update_risk(
            session=s, ctx=b, risk_id=rid, data={"status": "closed"}
        ),
        lambda s: risk_services.risk_heat_map(session=s, ctx=b, portfolio_id=pid),
        lambda s: round_services.round_summary(session=s, ctx=b, round_id=round_id),
        lambda s: round_services.settle_round(session=s, ctx=b, round_id=round_id),
        lambda s: initiative_services.preview_import(
            session=s, ctx=b, portfolio_id=pid, data=b"title\nx\n"
        ),
    ]
    for call in calls:
        with tenant_session(b) as session, pytest.raises(NotFound):
            call(session)
    with tenant_session(b) as session:
        assert portfolio_services.list_portfolios(session=session, ctx=b) == []
        assert session.exec(select(Initiative)).all() == []
        # org_b cannot make its initiative depend on org_a's.
        own = portfolio_services.create_portfolio(session=session, ctx=b, name="Mine")
        with pytest.raises(NotFound):
            initiative_services.create_initiative(
                session=session, ctx=b, portfolio_id=own, data={"title": "x", "depends_on": [iid]}
            )
    with tenant_session(org_a) as session:
        row = initiative_services.get_initiative(session=session, ctx=org_a, initiative_id=iid)
        assert row.cost == 10 and row.title == "Secret"


def test_risk_for_a_garbage_initiative_is_not_found(org_a):
    pid = make_portfolio(org_a)
    with tenant_session(org_a) as session, pytest.raises(NotFound):
        risk_services.create_risk(
            session=session,
            ctx=org_a,
            portfolio_id=pid,
            data={"title": "r", "probability": 1, "impact": 1, "initiative_id": "x"},
        )


def test_update_criterion_refuses_a_scale_that_strands_scores(org_a, org_b):
    pid = make_portfolio(org_a, model="weighted")
    with tenant_session(org_a) as session:
        cid = ranking_services.add_criterion(
            session=session, ctx=org_a, portfolio_id=pid, name="Value"
        )
    make_initiative(org_a, pid, "A", scores={f"c{cid}": 5})
    with tenant_session(org_a) as session:
        with pytest.raises(ValidationFailed, match="1 score\\(s\\) of Value fall outside 1 to 3"):
            ranking_services.update_criterion(
                session=session,
                ctx=org_a,
                criterion_id=cid,
                name="Value",
                weight=1,
                scale_min=1,
                scale_max=3,
            )
        ranking_services.update_criterion(
            session=session,
            ctx=org_a,
            criterion_id=cid,
            name="Customer value",
            weight=3,
            scale_min=1,
            scale_max=10,
        )
        [row] = ranking_services.list_criteria(session=session, ctx=org_a, portfolio_id=pid)
    assert (row.name, row.weight, row.scale_max) == ("Customer value", 3, 10)
    with tenant_session(org_b) as session, pytest.raises(NotFound):
        ranking_services.update_criterion(
            session=session,
            ctx=org_b,
            criterion_id=cid,
            name="x",
            weight=1,
            scale_min=1,
            scale_max=5,
        )
