"""A score saved (the edit form's hot path, in SQLAlchemy Core statements): the row is
inserted, updated in place or cleared, the edit's fields and the audit agree, and another
organisation's initiative id writes nothing at all."""

from __future__ import annotations

import pytest
from sqlmodel import select

from pmo_saas.db import system_session, tenant_session
from pmo_saas.identity.models import AuditEvent
from pmo_saas.kernel.errors import NotFound
from pmo_saas.portfolio import views
from pmo_saas.portfolio.models import Score
from pmo_saas.portfolio.services import initiatives as initiative_services
from pmo_saas.portfolio.services._common import _upsert_score
from tests.portfolio.builders import make_initiative, make_portfolio, wsjf


def _scores() -> dict[tuple[int, int, str], tuple[float, object]]:
    """Every organisation's scores: (org, initiative, key) -> (value, updated_at)."""
    with system_session() as session:
        rows = session.exec(select(Score)).all()
        return {(r.org_id, r.initiative_id, r.key): (r.value, r.updated_at) for r in rows}  # type: ignore[misc]


def _audit_count() -> int:
    with system_session() as session:
        return len(session.exec(select(AuditEvent.id)).all())


def test_a_score_is_inserted_updated_in_place_and_cleared(org_a):
    pid = make_portfolio(org_a)
    iid = make_initiative(org_a, pid, "A")
    with tenant_session(org_a) as session:
        saved = initiative_services.set_scores(
            session=session, ctx=org_a, initiative_id=iid, scores={"business_value": "5"}
        )
    assert saved == {"business_value": 5}
    first = _scores()
    ((key, (value, inserted_at)),) = first.items()
    assert key == (org_a.org_id, iid, "business_value") and value == 5
    with tenant_session(org_a) as session:
        initiative_services.set_scores(
            session=session, ctx=org_a, initiative_id=iid, scores={"business_value": 8}
        )
        ids = session.exec(select(Score.id)).all()
    value, updated_at = _scores()[key]
    assert value == 8 and updated_at >= inserted_at  # type: ignore[operator]
    assert len(ids) == 1  # updated in place, not a second row
    with tenant_session(org_a) as session:
        saved = initiative_services.set_scores(
            session=session,
            ctx=org_a,
            initiative_id=iid,
            scores={"business_value": "", "job_size": None},  # job_size was never set
        )
    assert saved == {"business_value": None, "job_size": None}
    assert _scores() == {}
    with tenant_session(org_a) as session:
        details = session.exec(
            select(AuditEvent.detail)
            .where(AuditEvent.action == "initiative.scored")
            .order_by(AuditEvent.id)  # type: ignore[arg-type]
        ).all()
    assert details == [
        "business_value=5.0",
        "business_value=8.0",
        "business_value=not scored, job_size=not scored",
    ]


def test_an_edit_and_its_scores_are_audited_under_the_new_title(org_a):
    pid = make_portfolio(org_a)
    iid = make_initiative(org_a, pid, "Old name")
    with tenant_session(org_a) as session:
        saved = views.save_initiative(
            session=session,
            ctx=org_a,
            initiative_id=iid,
            data={"title": "New name", "job_size": "3"},
            scores={"business_value": "8", "job_size": "5"},  # the form's score comes last
        )
    assert saved == {"business_value": "8", "job_size": "5"}
    values = {k[2]: v[0] for k, v in _scores().items()}
    assert values == {"business_value": 8, "job_size": 5}
    with tenant_session(org_a) as session:
        event = session.exec(
            select(AuditEvent).where(AuditEvent.action == "initiative.scored")
        ).one()
    assert event.target == "New name" and event.actor_id == org_a.user_id


def test_another_organisations_initiative_id_writes_nothing(org_a, org_b):
    pid = make_portfolio(org_a)
    iid = make_initiative(org_a, pid, "Secret", scores=wsjf(8, 5, 3, 5))
    own = make_initiative(org_b, make_portfolio(org_b), "Mine")
    before, audited = _scores(), _audit_count()
    for scores in ({"business_value": 1}, {"job_size": ""}, {"c1": 3}):
        with tenant_session(org_b) as session, pytest.raises(NotFound, match="That initiative"):
            initiative_services.set_scores(
                session=session, ctx=org_b, initiative_id=iid, scores=scores
            )
    for garbage in ("x", 2**40, -(2**40)):
        with tenant_session(org_b) as session, pytest.raises(NotFound, match="That initiative"):
            initiative_services.set_scores(
                session=session, ctx=org_b, initiative_id=garbage, scores={"job_size": 1}
            )
    # The clear itself is scoped: org_a's row is not org_b's to delete, even by its id.
    with tenant_session(org_b) as session:
        _upsert_score(session, iid, "job_size", None)
    assert _scores() == before and _audit_count() == audited
    # org_b scoring its own initiative with the same keys touches only its own rows.
    with tenant_session(org_b) as session:
        initiative_services.set_scores(
            session=session, ctx=org_b, initiative_id=own, scores=wsjf(1, 1, 1, 1)
        )
    after = _scores()
    assert {k: v for k, v in after.items() if k[0] == org_a.org_id} == before
    assert {k[0] for k in after} == {org_a.org_id, org_b.org_id}
