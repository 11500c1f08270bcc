"""Saving answers (services/answering.py): the upserts keep what was given and leave the
rest, and nobody writes into another person's or organisation's questionnaire."""

from __future__ import annotations

import pytest
from sqlmodel import select

from pmo_saas.assessments.models import AssessmentModel, RoundParticipant
from pmo_saas.assessments.services import answering, catalog
from pmo_saas.db import tenant_session
from pmo_saas.identity.models import AuditEvent, Organization
from pmo_saas.kernel.context import TenantContext
from pmo_saas.kernel.errors import NotFound
from pmo_saas.kernel.roles import Role
from tests import factories
from tests.assessments import helpers


@pytest.fixture
def health(org_a: TenantContext) -> dict:
    """A health-check round (it asks trends) of one team of two people."""
    a, b = helpers.person(org_a), helpers.person(org_a)
    team = factories.make_team(org_a, "Gamma", members=[a, b])
    with tenant_session(org_a) as session:
        catalog.ensure_builtin_models(session=session, ctx=org_a)
        model = session.exec(
            select(AssessmentModel.id).where(AssessmentModel.builtin_key == "team_health")
        ).one()
    round_id = helpers.start(org_a, model, [team])
    statements = list(helpers.statement_ids(org_a, round_id).values())
    dims = list(helpers.dimension_ids(org_a, round_id).values())
    return {
        "a": a,
        "b": b,
        "pid": helpers.participant_id(a, round_id, team),
        "statements": statements,
        "dims": dims,
    }


def _save(ctx: TenantContext, pid: int, **kwargs):  # type: ignore[no-untyped-def]
    with tenant_session(ctx) as session:
        return answering.save_answers(session=session, ctx=ctx, participant_id=pid, **kwargs)


def _mine(ctx: TenantContext, pid: int):  # type: ignore[no-untyped-def]
    with tenant_session(ctx) as session:
        return answering.my_answers(session=session, ctx=ctx, participant_id=pid)


def test_a_save_keeps_what_it_gives_and_leaves_the_rest(health: dict) -> None:
    a, pid = health["a"], health["pid"]
    s1, s2, s3 = health["statements"][:3]
    d1, d2 = health["dims"][:2]
    first = _save(a, pid, values={s1: 2, s2: 3}, comments={d1: " slow "}, trends={d2: -1})
    assert (first.answered, first.submitted) == (2, False)
    # the same rating again, another one changed, one cleared, one new; a trend beside the
    # comment and a comment beside the trend, each leaving the other as it was
    again = _save(
        a, pid, values={s1: 2, s2: None, s3: 1}, comments={d2: "ok"}, trends={d1: 1}, submit=True
    )
    assert (again.answered, again.total > 3, again.submitted) == (2, True, True)
    mine = _mine(a, pid)
    assert mine.values == {s1: 2, s3: 1}
    assert mine.comments == {d1: "slow", d2: "ok"}
    assert mine.trends == {d1: 1, d2: -1}
    # a trend cleared (None) is cleared; its comment stays
    _save(a, pid, values={}, trends={d1: None})
    assert _mine(a, pid).trends == {d2: -1} and _mine(a, pid).comments[d1] == "slow"


def test_submitted_once_with_one_audit_record(health: dict) -> None:
    a, pid, s1 = health["a"], health["pid"], health["statements"][0]
    _save(a, pid, values={s1: 3}, submit=True)
    with tenant_session(a) as session:
        when = session.get(RoundParticipant, pid).submitted_at  # type: ignore[union-attr]
    _save(a, pid, values={s1: 2}, submit=True)
    with tenant_session(a) as session:
        part = session.get(RoundParticipant, pid)
        assert part is not None and part.submitted_at == when and part.started_at is not None
        events = session.exec(
            select(AuditEvent).where(AuditEvent.action == "assessment.answers_submitted")
        ).all()
    assert len(events) == 1


def _untouched(owner: TenantContext, pid: int) -> tuple:  # type: ignore[type-arg]
    with tenant_session(owner) as session:
        part = session.get(RoundParticipant, pid)
        assert part is not None
        org = session.get(Organization, owner.org_id)
        assert org is not None
        return part.started_at, part.updated_at, part.submitted_at, org.data_version


@pytest.mark.parametrize("who", ["colleague", "same person in another organisation"])
def test_nobody_writes_into_another_persons_questionnaire(
    health: dict, org_b: TenantContext, who: str
) -> None:
    a, pid, s1, d1 = health["a"], health["pid"], health["statements"][0], health["dims"][0]
    _save(a, pid, values={s1: 2}, comments={d1: "mine"})
    before, answers = _untouched(a, pid), _mine(a, pid)
    if who == "colleague":
        attacker = health["b"]
    else:  # a's own user id, scoped to another organisation: the row is not there
        attacker = TenantContext(org_id=org_b.org_id, user_id=a.user_id, role=Role.MEMBER)
    with pytest.raises(NotFound, match="That questionnaire"):
        _save(
            attacker,
            pid,
            values={s1: 5, health["statements"][1]: 1},
            comments={d1: "theirs"},
            trends={d1: 1},
            submit=True,
        )
    assert _untouched(a, pid) == before
    assert _mine(a, pid) == answers
