"""The other organisation can neither read nor change plan-side delivery data (plans, RAG,
spend, tranches, key results): every look-up by id is "not found", and its figures hold
nothing of ours."""

from __future__ import annotations

import pytest
from sqlmodel import select

from pmo_saas.db import system_session, tenant_session
from pmo_saas.delivery.plan_models import InitiativePlan, KeyResultMeasure, SpendEntry
from pmo_saas.delivery.services import plan as plan_services
from pmo_saas.delivery.services import plan_views, tranches, value
from pmo_saas.kernel.errors import NotFound
from pmo_saas.portfolio.models import PublishedPlan
from tests.delivery.plan_builders import funded_initiative, set_rag, spend


def test_another_organisation_reads_and_changes_nothing(org_a, org_b):
    pid, iid = funded_initiative(org_a)
    set_rag(org_a, iid, "amber", "Ours")
    spend(org_a, iid, "2026-01", 1_000)
    with tenant_session(org_a) as session:
        kr = value.add_key_result(
            session=session,
            ctx=org_a,
            initiative_id=iid,
            title="KR",
            target=10,
            due_on="2026-09-01",
        )
        published = session.exec(select(PublishedPlan.id)).one()
    calls = [
        lambda s: plan_views.initiative_plan(session=s, ctx=org_b, initiative_id=iid),
        lambda s: plan_views.portfolio_delivery(session=s, ctx=org_b, portfolio_id=pid),
        lambda s: plan_views.export_delivery_csv(session=s, ctx=org_b, portfolio_id=pid),
        lambda s: plan_views.export_rag_history_csv(session=s, ctx=org_b, initiative_id=iid),
        lambda s: plan_services.adopt_plan(session=s, ctx=org_b, published_plan_id=published),
        lambda s: plan_services.set_approach(
            session=s, ctx=org_b, initiative_id=iid, approach="traditional"
        ),
        lambda s: plan_services.set_rag(
            session=s, ctx=org_b, initiative_id=iid, rag="red", reason="Planted"
        ),
        lambda s: plan_services.record_spend(
            session=s, ctx=org_b, initiative_id=iid, month="2026-01", amount=9
        ),
        lambda s: plan_services.import_spend_csv(
            session=s, ctx=org_b, initiative_id=iid, data=b"month,amount\n2026-01,9\n"
        ),
        lambda s: plan_services.set_actual_dates(
            session=s, ctx=org_b, initiative_id=iid, start="2026-01-01", end=""
        ),
        lambda s: tranches.set_tranches(session=s, ctx=org_b, initiative_id=iid, amounts=[1]),
        lambda s: value.add_key_result(
            session=s, ctx=org_b, initiative_id=iid, title="X", target=1, due_on="2026-01-01"
        ),
        lambda s: value.record_result(
            session=s, ctx=org_b, key_result_id=kr, value=99, measured_on="2026-01-01"
        ),
        lambda s: value.value_view(session=s, ctx=org_b, portfolio_id=pid),
    ]
    for call in calls:
        with pytest.raises(NotFound), tenant_session(org_b) as session:
            call(session)
    with system_session() as session:
        plan = session.exec(select(InitiativePlan)).one()
        assert (plan.rag, plan.rag_reason, plan.approach) == ("amber", "Ours", "agile")
        assert [s.amount for s in session.exec(select(SpendEntry)).all()] == [1_000]
        assert session.exec(select(KeyResultMeasure)).all() == []
    with tenant_session(org_b) as session:
        tile = plan_views.delivery_tile(session, org_b)
    assert (tile.planned, tile.budget, tile.spent, tile.attention) == (0, 0, 0, [])
