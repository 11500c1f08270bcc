"""The issue's journey through the services (the browser journey drives the same calls):
create a portfolio, import 20 initiatives from CSV (one bad row reported, nothing written
until confirmed), a scoring round with 3 scorers, the ranking, funding within a budget,
two scenarios compared, one published."""

from __future__ import annotations

from sqlmodel import select

from pmo_saas.db import tenant_session
from pmo_saas.kernel.roles import Role
from pmo_saas.portfolio.models import Initiative
from pmo_saas.portfolio.services import funding as funding_services
from pmo_saas.portfolio.services import initiatives as initiative_services
from pmo_saas.portfolio.services import portfolios as portfolio_services
from pmo_saas.portfolio.services import ranking as ranking_services
from pmo_saas.portfolio.services import rounds as round_services
from tests import factories
from tests.portfolio.test_csv import twenty_rows


def test_portfolio_journey(org_a):
    coach = factories.make_member(org_a, Role.COACH)
    scorers = [factories.make_member(org_a, Role.MEMBER) for _ in range(3)]
    with tenant_session(coach) as session:
        pid = portfolio_services.create_portfolio(
            session=session, ctx=coach, name="FY27", scoring_model="wsjf"
        )
        preview = initiative_services.preview_import(
            session=session, ctx=coach, portfolio_id=pid, data=twenty_rows()
        )
        assert len(preview.rows) == 19 and [e.row for e in preview.errors] == [8]
        assert session.exec(select(Initiative)).all() == []
        initiative_services.import_initiatives(
            session=session, ctx=coach, portfolio_id=pid, data=twenty_rows(), skip_invalid=True
        )
        round_id = round_services.open_scoring_round(
            session=session,
            ctx=coach,
            portfolio_id=pid,
            name="FY27 round",
            scorer_user_ids=[s.user_id for s in scorers],
        )
    for n, scorer in enumerate(scorers):
        while True:
            with tenant_session(scorer) as session:
                sheet = round_services.scoring_sheet(session=session, ctx=scorer, round_id=round_id)
                if sheet.key is None:
                    break
                values = {
                    iid: sheet.choices[(iid + n) % len(sheet.choices)]
                    for iid, _ in sheet.initiatives
                }
                round_services.submit_round_scores(
                    session=session, ctx=scorer, round_id=round_id, key=sheet.key, scores=values
                )
    with tenant_session(coach) as session:
        summary = round_services.round_summary(session=session, ctx=coach, round_id=round_id)
        assert summary.most_disagreed
        round_services.settle_round(session=session, ctx=coach, round_id=round_id)
        ranking = ranking_services.rank_portfolio(session=session, ctx=coach, portfolio_id=pid)
        assert ranking.total == 19 and all(r.score is not None for r in ranking.rows)
        assert [r.rank for r in ranking.rows] == list(range(1, 20))
        funding_services.set_budget(session=session, ctx=coach, portfolio_id=pid, budget=60_000)
        plan = funding_services.fund_portfolio(session=session, ctx=coach, portfolio_id=pid)
        assert 0 < plan.total_cost <= 60_000
        lean = funding_services.create_scenario(
            session=session, ctx=coach, portfolio_id=pid, name="Lean"
        )
        bold = funding_services.create_scenario(
            session=session, ctx=coach, portfolio_id=pid, name="Bold", budget=120_000
        )
        compared = funding_services.compare_scenarios(
            session=session, ctx=coach, scenario_ids=[lean, bold]
        )
        assert compared.plans[1].total_value >= compared.plans[0].total_value
        funding_services.publish_scenario(session=session, ctx=coach, scenario_id=bold)
        [plan_row] = funding_services.list_published_plans(
            session=session, ctx=coach, portfolio_id=pid
        )
    assert plan_row.scenario_name == "Bold"
    assert plan_row.plan.budget == 120_000
