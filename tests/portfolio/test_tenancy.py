"""The second wall: every portfolio table is tenant-owned, and on PostgreSQL row-level
security hides another organisation's rows even from raw SQL."""

from __future__ import annotations

import pytest
from sqlalchemy import Engine, text
from sqlmodel import SQLModel

from pmo_saas.db import TenantOwned, tenant_session
from pmo_saas.kernel.errors import NotFound
from pmo_saas.portfolio import models
from pmo_saas.portfolio.services import funding as funding_services
from pmo_saas.portfolio.services import initiatives as initiative_services
from pmo_saas.portfolio.services import portfolios as portfolio_services
from pmo_saas.portfolio.services import ranking as ranking_services
from pmo_saas.portfolio.services import risks as risk_services
from pmo_saas.portfolio.services import rounds as round_services
from tests.portfolio.builders import make_initiative, make_portfolio

TABLES = [m.class_ for m in SQLModel._sa_registry.mappers if m.class_.__module__ == models.__name__]


def test_every_portfolio_table_is_tenant_owned_with_row_security(engine: Engine) -> None:
    # 12 of its own migrations, the 3 governance tables (created by 0700, the dashboard's)
    # and the 3 budgeting tables (1220, on the collaboration branch: its sessions are commented).
    assert len(TABLES) == 18 and all(issubclass(t, TenantOwned) for t in TABLES)
    if engine.dialect.name == "postgresql":
        with engine.connect() as conn:
            secured = dict(
                conn.execute(
                    text(
                        "SELECT relname, relrowsecurity AND relforcerowsecurity FROM pg_class "
                        "WHERE relname = ANY(:names)"
                    ),
                    {"names": [t.__tablename__ for t in TABLES]},
                ).all()
            )
        assert secured == {t.__tablename__: True for t in TABLES}


def test_raw_sql_of_the_other_org_sees_nothing_on_postgres(org_a, org_b, engine) -> None:
    pid = make_portfolio(org_a)
    make_initiative(org_a, pid, "Secret", scores={"job_size": 3})
    with tenant_session(org_b) as session:
        seen = session.execute(text("SELECT count(*) FROM initiative")).scalar_one()
        scores = session.execute(text("SELECT count(*) FROM score")).scalar_one()
    # SQLite has no row-level security: there the ORM scoping is the only wall.
    expected = 0 if engine.dialect.name == "postgresql" else 1
    assert (seen, scores) == (expected, expected)


def test_other_org_cannot_use_rounds_scenarios_or_boards(org_a, org_b) -> None:
    pid = make_portfolio(org_a, budget=10)
    iid = make_initiative(org_a, pid, "A")
    with tenant_session(org_a) as session:
        cid = ranking_services.add_criterion(session=session, ctx=org_a, portfolio_id=pid, name="C")
        sid = funding_services.create_scenario(
            session=session, ctx=org_a, portfolio_id=pid, name="S"
        )
        rid = round_services.open_scoring_round(
            session=session, ctx=org_a, portfolio_id=pid, name="R", scorer_user_ids=[org_a.user_id]
        )
    b = org_b
    calls = [
        lambda s: round_services.scoring_sheet(session=s, ctx=b, round_id=rid),
        lambda s: round_services.submit_round_scores(
            session=s, ctx=b, round_id=rid, key="job_size", scores={iid: 1}
        ),
        lambda s: round_services.cancel_round(session=s, ctx=b, round_id=rid),
        lambda s: round_services.list_rounds(session=s, ctx=b, portfolio_id=pid),
        lambda s: funding_services.list_scenarios(session=s, ctx=b, portfolio_id=pid),
        lambda s: funding_services.delete_scenario(session=s, ctx=b, scenario_id=sid),
        lambda s: funding_services.update_scenario(session=s, ctx=b, scenario_id=sid, budget=1),
        lambda s: funding_services.list_published_plans(session=s, ctx=b, portfolio_id=pid),
        lambda s: initiative_services.board(session=s, ctx=b, portfolio_id=pid),
        lambda s: ranking_services.value_effort_points(session=s, ctx=b, portfolio_id=pid),
        lambda s: ranking_services.ranking_bars(session=s, ctx=b, portfolio_id=pid),
        lambda s: ranking_services.list_criteria(session=s, ctx=b, portfolio_id=pid),
        lambda s: ranking_services.remove_criterion(session=s, ctx=b, criterion_id=cid),
        lambda s: initiative_services.move_initiative(
            session=s, ctx=b, initiative_id=iid, status="done"
        ),
        lambda s: portfolio_services.update_portfolio(
            session=s, ctx=b, portfolio_id=pid, name="Mine"
        ),
        lambda s: portfolio_services.archive_portfolio(session=s, ctx=b, portfolio_id=pid),
        lambda s: risk_services.list_risks(session=s, ctx=b, portfolio_id=pid),
        lambda s: risk_services.create_risk(
            session=s, ctx=b, portfolio_id=pid, data={"title": "x", "probability": 1, "impact": 1}
        ),
        lambda s: initiative_services.import_initiatives(
            session=s, ctx=b, portfolio_id=pid, data=b"title\nx\n"
        ),
    ]
    for call in calls:
        with tenant_session(b) as session, pytest.raises(NotFound):
            call(session)
    # org_b cannot point a scenario of its own at org_a's initiative either.
    with tenant_session(b) as session:
        own = portfolio_services.create_portfolio(
            session=session, ctx=b, name="Own", scoring_model="wsjf"
        )
        with pytest.raises(NotFound):
            funding_services.create_scenario(
                session=session, ctx=b, portfolio_id=own, name="S", budget=5, overrides={iid: "in"}
            )
    with tenant_session(org_a) as session:
        assert (
            portfolio_services.get_portfolio(session=session, ctx=org_a, portfolio_id=pid).name
            == "Growth"
        )
        assert (
            round_services.list_rounds(session=session, ctx=org_a, portfolio_id=pid)[0].status
            == "open"
        )
        assert [
            s.name
            for s in funding_services.list_scenarios(session=session, ctx=org_a, portfolio_id=pid)
        ] == ["S"]
