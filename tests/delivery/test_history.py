"""Every move is recorded with its time and who made it: initiatives on the portfolio board,
in the edit form and in the CSV import (through kernel.moves), and work items."""

from __future__ import annotations

from sqlmodel import col, select

from pmo_saas.db import system_session, tenant_session
from pmo_saas.delivery.models import StatusChange
from pmo_saas.kernel import clock, moves
from pmo_saas.kernel.roles import Role
from pmo_saas.portfolio.services import initiatives as initiative_services
from tests import factories
from tests.delivery.builders import add_item, at, move_item
from tests.portfolio.builders import make_initiative, make_portfolio


def _changes(ctx, **where):
    with tenant_session(ctx) as session:
        query = select(StatusChange).order_by(col(StatusChange.id))
        for key, value in where.items():
            query = query.where(getattr(StatusChange, key) == value)
        return [
            (c.from_status, c.to_status, clock.as_utc(c.at), c.by_user_id, c.source)
            for c in session.exec(query).all()
        ]


def test_the_delivery_recorder_is_registered_wherever_the_models_are():
    from pmo_saas.delivery.history import record_initiative_move

    assert record_initiative_move in moves.recorders()


def test_initiative_moves_on_the_board_and_in_edits_are_recorded(org_a):
    coach = factories.make_member(org_a, Role.COACH)
    pid = make_portfolio(org_a)
    clock.freeze(at("2026-01-05 09:00"))
    iid = make_initiative(org_a, pid, "Checkout")
    clock.freeze(at("2026-01-06 10:00"))
    with tenant_session(coach) as session:
        initiative_services.move_initiative(
            session=session, ctx=coach, initiative_id=iid, status="analysing"
        )
        initiative_services.move_initiative(  # not a move: nothing recorded
            session=session, ctx=coach, initiative_id=iid, status="analysing"
        )
    clock.freeze(at("2026-01-08 11:00"))
    with tenant_session(org_a) as session:
        initiative_services.update_initiative(
            session=session, ctx=org_a, initiative_id=iid, data={"status": "implementing"}
        )
        initiative_services.update_initiative(  # no status change
            session=session, ctx=org_a, initiative_id=iid, data={"owner": "Ana"}
        )
    assert _changes(org_a, initiative_id=iid) == [
        (None, "funnel", at("2026-01-05 09:00"), org_a.user_id, "created"),
        ("funnel", "analysing", at("2026-01-06 10:00"), coach.user_id, "board"),
        ("analysing", "implementing", at("2026-01-08 11:00"), org_a.user_id, "edit"),
    ]


def test_imported_initiatives_arrive_in_their_column(org_a):
    pid = make_portfolio(org_a)
    clock.freeze(at("2026-01-05 09:00"))
    with tenant_session(org_a) as session:
        initiative_services.import_initiatives(
            session=session,
            ctx=org_a,
            portfolio_id=pid,
            data=b"title,status\nOne,ready\nTwo,\n",
        )
    assert _changes(org_a, portfolio_id=pid) == [
        (None, "ready", at("2026-01-05 09:00"), org_a.user_id, "import"),
        (None, "funnel", at("2026-01-05 09:00"), org_a.user_id, "import"),
    ]


def test_work_item_moves_keep_started_and_done(org_a):
    member = factories.make_member(org_a, Role.MEMBER)
    pid = make_portfolio(org_a)
    iid = make_initiative(org_a, pid, "Checkout")
    clock.freeze(at("2026-01-05 09:00"))
    item = add_item(member, iid, "Pay by card", kind="story", estimate="3")
    move_item(member, item, "doing", "2026-01-06 09:00")
    move_item(member, item, "done", "2026-01-08 09:00")
    move_item(org_a, item, "doing", "2026-01-09 09:00")  # reopened
    move_item(org_a, item, "done", "2026-01-10 09:00")
    assert _changes(org_a, work_item_id=item) == [
        (None, "backlog", at("2026-01-05 09:00"), member.user_id, "manual"),
        ("backlog", "doing", at("2026-01-06 09:00"), member.user_id, "board"),
        ("doing", "done", at("2026-01-08 09:00"), member.user_id, "board"),
        ("done", "doing", at("2026-01-09 09:00"), org_a.user_id, "board"),
        ("doing", "done", at("2026-01-10 09:00"), org_a.user_id, "board"),
    ]
    from pmo_saas.delivery.models import WorkItem

    with system_session() as session:
        row = session.get(WorkItem, item)
        assert row is not None
        assert clock.as_utc(row.started_at) == at("2026-01-06 09:00")  # the first start
        assert clock.as_utc(row.done_at) == at("2026-01-10 09:00")  # the last arrival
        assert row.estimate == 3.0
