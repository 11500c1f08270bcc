"""The weekly digest to each coach: content, overdue items standing out, once per week."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlmodel import col, select

from pmo_saas.coaching.digest import send_weekly_digests
from pmo_saas.coaching.services.actions import add_action, set_action_status
from pmo_saas.coaching.services.plans import create_plan, update_plan
from pmo_saas.db import system_session, tenant_session
from pmo_saas.identity.models import OutboxMessage, User
from pmo_saas.kernel import clock
from pmo_saas.kernel.context import TenantContext
from pmo_saas.kernel.roles import Role
from tests.coaching import helpers

MONDAY = datetime(2026, 11, 23, 7, 0, tzinfo=UTC)  # ISO week 2026-W48


def _outbox() -> list[OutboxMessage]:
    with system_session() as session:
        return list(session.exec(select(OutboxMessage).order_by(col(OutboxMessage.id))).all())


def _email(user_id: int | None) -> str:
    with system_session() as session:
        user = session.get(User, user_id)
        assert user is not None
        return user.email


def test_each_coach_gets_a_weekly_digest_with_overdue_actions_first(
    org_a: TenantContext, org_b: TenantContext
) -> None:
    clock.freeze(MONDAY - timedelta(days=2))
    w = helpers.world(org_a)
    idle_coach = helpers.person(org_a, Role.COACH, "Idle Coach")
    today = MONDAY.date()
    with tenant_session(w.coach) as session:
        plan = create_plan(session=session, ctx=w.coach, title="Alpha growth", team_id=w.alpha)

        def add(title: str, owner: TenantContext, due_in: int | None) -> int:
            return add_action(
                session=session,
                ctx=w.coach,
                plan_id=plan.id,
                title=title,
                owner_user_id=owner.user_id,
                due_date=today + timedelta(days=due_in) if due_in is not None else None,
            ).id

        add("Limit work in progress", w.alice, -4)
        add("Visualise blockers", w.bob, 3)
        blocked = add("Get a test environment", w.bob, 20)
        done = add("Hold a flow retrospective", w.alice, -1)
        set_action_status(session=session, ctx=w.coach, action_id=blocked, status="blocked")
        set_action_status(session=session, ctx=w.coach, action_id=done, status="done")
        # a completed plan is not in the digest
        old = create_plan(session=session, ctx=w.coach, title="Old plan", team_id=w.beta)
        update_plan(
            session=session,
            ctx=w.coach,
            plan_id=old.id,
            title="Old plan",
            status="completed",
            coach_user_id=w.coach.user_id,
        )
    with tenant_session(org_b) as session:
        create_plan(session=session, ctx=org_b, title="B plan", person_user_id=org_b.user_id)

    assert send_weekly_digests(now=MONDAY) == 2
    mails = {m.to_email: m for m in _outbox()}
    assert set(mails) == {_email(w.coach.user_id), _email(org_b.user_id)}
    assert _email(idle_coach.user_id) not in mails
    mail = mails[_email(w.coach.user_id)]
    assert mail.org_id == org_a.org_id
    assert mail.subject == "Coaching week 2026-W48: 1 active plan, 1 overdue action"
    body = mail.body
    assert body.startswith("Hello Cora Coach,")
    assert "Alpha growth (Alpha): 25% done (1 of 4 actions)" in body
    assert (
        "OVERDUE (1):\n  !! Limit work in progress (Alice, due 2026-11-19, 4 days overdue)" in body
    )
    assert "Due in the next 7 days:\n  -  Visualise blockers (Bob, due 2026-11-26)" in body
    assert "Blocked:\n  -  Get a test environment (Bob, due 2026-12-13)" in body
    assert "Done in the last 7 days:\n  +  Hold a flow retrospective" in body
    assert body.index("OVERDUE") < body.index("Due in the next")
    assert "Old plan" not in body and "B plan" not in body
    assert "/coaching" in body
    other = mails[_email(org_b.user_id)]
    assert "B plan" in other.body and "Alpha" not in other.body

    # scheduled twice in the same week: nothing is sent twice
    assert send_weekly_digests(now=MONDAY + timedelta(days=2)) == 0
    assert len(_outbox()) == 2
    # next week: again
    assert send_weekly_digests(now=MONDAY + timedelta(days=7)) == 2


def test_a_coach_who_left_gets_no_digest(org_a: TenantContext) -> None:
    w = helpers.world(org_a)
    with tenant_session(w.coach) as session:
        create_plan(session=session, ctx=w.coach, title="P", team_id=w.alpha)
    from pmo_saas.identity.models import Membership

    with system_session() as session:
        membership = session.exec(
            select(Membership).where(Membership.user_id == w.coach.user_id)
        ).one()
        membership.role = Role.MEMBER
        session.add(membership)
    assert send_weekly_digests(now=MONDAY) == 0
    assert _outbox() == []
