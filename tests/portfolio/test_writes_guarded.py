"""Every write service is refused in a read-only workspace (an invoice overdue past the grace
period: the tenant session refuses writes to the portfolio's tables), and the important writes
leave an audit trail."""

from __future__ import annotations

import pytest
from sqlmodel import select

from pmo_saas.db import tenant_session
from pmo_saas.identity.models import AuditEvent
from pmo_saas.kernel.errors import ReadOnly
from pmo_saas.portfolio.models import Initiative, Portfolio
from pmo_saas.portfolio.services import funding as funding_services
from pmo_saas.portfolio.services import initiatives as initiative_services
from pmo_saas.portfolio.services import portfolios as portfolio_services
from pmo_saas.portfolio.services import ranking as ranking_services
from pmo_saas.portfolio.services import risks as risk_services
from pmo_saas.portfolio.services import rounds as round_services
from tests import factories
from tests.portfolio.builders import make_initiative, make_portfolio


def test_read_only_workspace_refuses_every_write(org_a, billing_on):
    pid = make_portfolio(org_a, budget=100)
    iid = make_initiative(org_a, pid, "A", cost=5)
    with tenant_session(org_a) as session:
        cid = ranking_services.add_criterion(
            session=session, ctx=org_a, portfolio_id=pid, name="C0"
        )
        sid = funding_services.create_scenario(
            session=session, ctx=org_a, portfolio_id=pid, name="S0"
        )
        rid = risk_services.create_risk(
            session=session,
            ctx=org_a,
            portfolio_id=pid,
            data={"title": "r", "probability": 1, "impact": 1},
        )
        round_id = round_services.open_scoring_round(
            session=session, ctx=org_a, portfolio_id=pid, name="R0", scorer_user_ids=[org_a.user_id]
        )
        factories.lapse_subscription(org_a, session)
    writes = [
        lambda s: portfolio_services.create_portfolio(session=s, ctx=org_a, name="New"),
        lambda s: portfolio_services.update_portfolio(
            session=s, ctx=org_a, portfolio_id=pid, name="X"
        ),
        lambda s: portfolio_services.archive_portfolio(session=s, ctx=org_a, portfolio_id=pid),
        lambda s: funding_services.set_budget(session=s, ctx=org_a, portfolio_id=pid, budget=1),
        lambda s: ranking_services.add_criterion(session=s, ctx=org_a, portfolio_id=pid, name="C"),
        lambda s: initiative_services.create_initiative(
            session=s, ctx=org_a, portfolio_id=pid, data={"title": "B"}
        ),
        lambda s: initiative_services.update_initiative(
            session=s, ctx=org_a, initiative_id=iid, data={}
        ),
        lambda s: initiative_services.move_initiative(
            session=s, ctx=org_a, initiative_id=iid, status="done"
        ),
        lambda s: initiative_services.archive_initiative(session=s, ctx=org_a, initiative_id=iid),
        lambda s: initiative_services.set_scores(
            session=s, ctx=org_a, initiative_id=iid, scores={"job_size": 3}
        ),
        lambda s: ranking_services.override_rank(
            session=s, ctx=org_a, initiative_id=iid, position=None
        ),
        lambda s: initiative_services.import_initiatives(
            session=s, ctx=org_a, portfolio_id=pid, data=b"title\nB\n"
        ),
        lambda s: funding_services.create_scenario(
            session=s, ctx=org_a, portfolio_id=pid, name="S"
        ),
        lambda s: risk_services.create_risk(
            session=s,
            ctx=org_a,
            portfolio_id=pid,
            data={"title": "r2", "probability": 1, "impact": 1},
        ),
        lambda s: round_services.open_scoring_round(
            session=s, ctx=org_a, portfolio_id=pid, name="R", scorer_user_ids=[org_a.user_id]
        ),
        lambda s: ranking_services.remove_criterion(session=s, ctx=org_a, criterion_id=cid),
        lambda s: ranking_services.update_criterion(
            session=s, ctx=org_a, criterion_id=cid, name="C1", weight=1, scale_min=1, scale_max=5
        ),
        lambda s: initiative_services.set_dependencies(
            session=s, ctx=org_a, initiative_id=iid, depends_on=[]
        ),
        lambda s: funding_services.update_scenario(session=s, ctx=org_a, scenario_id=sid, budget=1),
        lambda s: funding_services.delete_scenario(session=s, ctx=org_a, scenario_id=sid),
        lambda s: funding_services.publish_scenario(session=s, ctx=org_a, scenario_id=sid),
        lambda s: risk_services.update_risk(
            session=s, ctx=org_a, risk_id=rid, data={"status": "closed"}
        ),
        lambda s: round_services.submit_round_scores(
            session=s, ctx=org_a, round_id=round_id, key="business_value", scores={iid: 1}
        ),
        lambda s: round_services.settle_round(session=s, ctx=org_a, round_id=round_id),
        lambda s: round_services.cancel_round(session=s, ctx=org_a, round_id=round_id),
    ]
    for write in writes:
        with tenant_session(org_a) as session, pytest.raises(ReadOnly):
            write(session)
    with tenant_session(org_a) as session:
        assert [p.name for p in session.exec(select(Portfolio)).all()] == ["Growth"]
        assert [i.status for i in session.exec(select(Initiative)).all()] == ["funnel"]


def test_important_writes_are_audited(org_a):
    pid = make_portfolio(org_a, budget=100)
    iid = make_initiative(org_a, pid, "A", cost=5, scores={"job_size": 3})
    with tenant_session(org_a) as session:
        ranking_services.override_rank(
            session=session, ctx=org_a, initiative_id=iid, position=1, reason="CEO"
        )
        sid = funding_services.create_scenario(
            session=session, ctx=org_a, portfolio_id=pid, name="S"
        )
        funding_services.publish_scenario(session=session, ctx=org_a, scenario_id=sid)
        initiative_services.import_initiatives(
            session=session, ctx=org_a, portfolio_id=pid, data=b"title\nB\n"
        )
        events = session.exec(select(AuditEvent).order_by(AuditEvent.id)).all()
    by_action = {e.action: e for e in events}
    for action in (
        "portfolio.created",
        "portfolio.budget_set",
        "initiative.created",
        "initiative.scored",
        "ranking.overridden",
        "scenario.created",
        "scenario.published",
        "initiatives.imported",
    ):
        assert action in by_action, action
    assert by_action["ranking.overridden"].detail == "#1: CEO"
    assert by_action["ranking.overridden"].actor_id == org_a.user_id
