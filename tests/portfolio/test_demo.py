from __future__ import annotations

from pmo_saas.db import tenant_session
from pmo_saas.portfolio.demo import seed_demo_portfolio
from pmo_saas.portfolio.services import funding as funding_services
from pmo_saas.portfolio.services import portfolios as portfolio_services
from pmo_saas.portfolio.services import ranking as ranking_services
from pmo_saas.portfolio.services import risks as risk_services
from pmo_saas.portfolio.services import rounds as round_services


def test_demo_portfolio_is_realistic_and_idempotent(org_a, org_b):
    with tenant_session(org_a) as session:
        seed_demo_portfolio(session=session, ctx=org_a)
    with tenant_session(org_a) as session:
        seed_demo_portfolio(session=session, ctx=org_a)
        [portfolio] = portfolio_services.list_portfolios(session=session, ctx=org_a)
        pid = portfolio.id
        assert portfolio.initiative_count == 15
        assert portfolio.stream_budgets == {"Operations": 500_000, "Retail": 1_000_000}
        ranking = ranking_services.rank_portfolio(session=session, ctx=org_a, portfolio_id=pid)
        assert all(r.score is not None for r in ranking.rows)
        assert ranking.rows[1].title == "Accessibility (WCAG 2.2 AA)"
        plan = funding_services.fund_portfolio(session=session, ctx=org_a, portfolio_id=pid)
        assert plan.total_cost <= 2_400_000
        assert plan.warnings == []
        # The plain cut can only beat the optimum by breaking a rule, which it lists.
        assert plan.total_value >= plan.cut_total_value or plan.cut_problems
        [published] = funding_services.list_published_plans(
            session=session, ctx=org_a, portfolio_id=pid
        )
        assert published.scenario_name == "Baseline"
        scenarios = funding_services.list_scenarios(session=session, ctx=org_a, portfolio_id=pid)
        compared = funding_services.compare_scenarios(
            session=session, ctx=org_a, scenario_ids=[s.id for s in scenarios]
        )
        assert all(p is not None for p in compared.plans)
        assert len(risk_services.list_risks(session=session, ctx=org_a, portfolio_id=pid)) == 6
    with tenant_session(org_b) as session:
        assert portfolio_services.list_portfolios(session=session, ctx=org_b) == []


def test_demo_round_uses_the_organisations_people(org_a):
    from pmo_saas.kernel.roles import Role
    from tests import factories

    factories.make_member(org_a, Role.COACH)
    factories.make_member(org_a, Role.MEMBER)
    factories.make_member(org_a, Role.VIEWER)
    with tenant_session(org_a) as session:
        seed_demo_portfolio(session=session, ctx=org_a)
        pid = portfolio_services.list_portfolios(session=session, ctx=org_a)[0].id
        [round_row] = round_services.list_rounds(session=session, ctx=org_a, portfolio_id=pid)
        summary = round_services.round_summary(session=session, ctx=org_a, round_id=round_row.id)
    assert round_row.status == "settled"
    assert len(round_row.scorer_ids) == 3
    assert summary.most_disagreed  # one scorer saw some a step differently
