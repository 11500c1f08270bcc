"""Inviting more stakeholders to an open budgeting session: only its facilitators, only
members of the organisation who may allocate, never after it closed; those invited already
keep their allocation. Attackers first: members, another organisation, its people."""

from __future__ import annotations

import pytest
from sqlmodel import select

from pmo_saas.db import system_session
from pmo_saas.identity.models import AuditEvent
from pmo_saas.kernel.errors import Conflict, Forbidden, NotFound, ValidationFailed
from pmo_saas.kernel.roles import Role
from pmo_saas.portfolio.models import BudgetStakeholder
from pmo_saas.portfolio.services import budgeting
from tests import factories
from tests.portfolio.test_budgeting import allocate, budget_world, call, view


@pytest.fixture
def setup(org_a):
    return budget_world(org_a)


def invite(ctx, sid, user_ids):
    return call(
        ctx, budgeting.invite_stakeholders, budget_session_id=sid, stakeholder_user_ids=user_ids
    )


def stakeholders(sid) -> list[int]:
    with system_session() as session:
        return sorted(
            s.user_id
            for s in session.exec(
                select(BudgetStakeholder).where(BudgetStakeholder.session_id == sid)
            ).all()
        )


def test_members_and_stakeholders_cannot_invite(setup, org_a):
    _, _, _, people, sid = setup
    late = factories.make_member(org_a, Role.MEMBER, name="Late")
    before = stakeholders(sid)
    with pytest.raises(Forbidden):
        invite(people[0], sid, [late.user_id])  # a stakeholder is no facilitator
    outsider = factories.make_member(org_a, Role.MEMBER, name="Outsider")
    with pytest.raises(NotFound):
        invite(outsider, sid, [outsider.user_id])  # nor can someone invite themselves in
    assert stakeholders(sid) == before


def test_another_organisation_can_neither_invite_nor_be_invited(setup, org_a, org_b):
    _, _, coach, _, sid = setup
    their_coach = factories.make_member(org_b, Role.COACH)
    theirs = factories.make_member(org_b, Role.MEMBER)
    mine = factories.make_member(org_a, Role.MEMBER)
    for ctx in (org_b, their_coach):
        with pytest.raises(NotFound):
            invite(ctx, sid, [theirs.user_id])
        with pytest.raises(NotFound):
            invite(ctx, sid, [mine.user_id])
    before = stakeholders(sid)
    with pytest.raises(NotFound, match="stakeholder"):
        invite(coach, sid, [theirs.user_id])  # org B's person is nobody in org A
    assert stakeholders(sid) == before


def test_a_facilitator_invites_someone_forgotten_who_then_allocates(setup, org_a):
    _, _, coach, people, sid = setup
    allocate(people[0], sid, {"Retail": 400, "Wholesale": 600})
    late = factories.make_member(org_a, Role.MEMBER, name="Lena Late")
    viewer = factories.make_member(org_a, Role.VIEWER, name="Vee")
    with pytest.raises(ValidationFailed, match="Vee is a viewer"):
        invite(coach, sid, [late.user_id, viewer.user_id])
    assert late.user_id not in stakeholders(sid)  # nothing half-done
    with pytest.raises(ValidationFailed, match="not invited yet"):
        invite(coach, sid, [people[0].user_id, people[1].user_id])
    assert invite(coach, sid, [people[0].user_id, late.user_id, late.user_id]) == 1
    assert late.user_id in stakeholders(sid)
    # The earlier allocation is kept; the newcomer sees the session and allocates.
    assert view(people[0], sid).my_allocation == {"Retail": 400, "Wholesale": 600}
    assert view(late, sid).may_allocate
    allocate(late, sid, {"Retail": 500, "Wholesale": 500})
    assert view(coach, sid).session.submitted == 2
    assert view(coach, sid).session.stakeholders == 4
    with system_session() as session:
        row = session.exec(
            select(AuditEvent).where(AuditEvent.action == "budget_session.invited")
        ).one()
    assert row.detail == "Lena Late"


def test_nobody_is_invited_after_the_session_closed(setup, org_a):
    _, _, coach, people, sid = setup
    allocate(people[0], sid, {"Retail": 400, "Wholesale": 600})
    call(coach, budgeting.settle_budget_session, budget_session_id=sid)
    late = factories.make_member(org_a, Role.MEMBER)
    with pytest.raises(Conflict, match="closed"):
        invite(coach, sid, [late.user_id])
    assert late.user_id not in stakeholders(sid)
