from __future__ import annotations

from sqlmodel import select

from pmo_saas.db import tenant_session
from pmo_saas.identity.models import OutboxMessage
from pmo_saas.surveys import services
from pmo_saas.surveys.demo import seed_demo_surveys
from tests.surveys.helpers import team_with


def test_demo_has_two_closed_rounds_with_visible_results(org_a):
    t1, m1 = team_with(org_a, "Platform", 8)
    t2, m2 = team_with(org_a, "Checkout", 3)
    mails_before = 0
    with tenant_session(org_a) as session:
        mails_before = len(session.exec(select(OutboxMessage)).all())
        seed_demo_surveys(
            session=session,
            ctx=org_a,
            team_member_ids={t1: [m.user_id for m in m1], t2: [m.user_id for m in m2]},
        )
    with tenant_session(org_a) as session:
        rows = services.list_surveys(session=session, ctx=org_a)
        assert [(r.round_number, r.status) for r in rows] == [(2, "closed"), (1, "closed")]
        trend = services.survey_trend(session=session, ctx=org_a, survey_id=rows[0].id)
        r = services.survey_results(session=session, ctx=org_a, survey_id=rows[0].id)
        assert len(session.exec(select(OutboxMessage)).all()) == mails_before
    assert len(trend) == 2 and all(p.org is not None for p in trend)
    assert set(trend[1].teams) == {"Platform", "Checkout"}
    assert all(g.visible for g in r.teams) and r.org.visible
    platform = next(g for g in r.teams if g.label == "Platform")
    assert platform.comments and platform.comments[0].comments
