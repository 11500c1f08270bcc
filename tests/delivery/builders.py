"""Delivery test data, built through the services (the clock frozen at each move)."""

from __future__ import annotations

from datetime import UTC, datetime

from pmo_saas.db import tenant_session
from pmo_saas.delivery.services import workitems
from pmo_saas.kernel import clock
from pmo_saas.kernel.context import TenantContext


def at(text: str) -> datetime:
    """'2026-02-16 09:00' as an aware UTC time."""
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


def add_item(ctx: TenantContext, initiative_id: int, title: str, **data: object) -> int:
    with tenant_session(ctx) as session:
        return workitems.create_work_item(
            session=session, ctx=ctx, initiative_id=initiative_id, data={"title": title, **data}
        )


def move_item(ctx: TenantContext, item_id: int, status: str, when: str) -> None:
    clock.freeze(at(when))
    with tenant_session(ctx) as session:
        workitems.move_work_item(session=session, ctx=ctx, work_item_id=item_id, status=status)


def import_items(ctx: TenantContext, initiative_id: int, text: str) -> int:
    with tenant_session(ctx) as session:
        result = workitems.import_work_items(
            session=session, ctx=ctx, initiative_id=initiative_id, data=text.encode()
        )
    return result.created


# The hand-made history of tests/delivery/test_flow.py (now: Wednesday 2026-03-04 12:00).
HISTORY_CSV = """title,kind,status,created_at,started_at,done_at
A,story,,2026-02-02,2026-02-03,2026-02-05
B,story,,2026-02-02,2026-02-09,2026-02-13
C,task,,2026-02-02,2026-02-10,2026-02-12
D,story,,2026-02-09,2026-02-16,2026-02-26
E,story,,2026-02-09,2026-02-24,2026-03-03
F,story,doing,2026-02-16,2026-03-01,
G,story,waiting,2026-02-16,2026-02-25,
H,feature,,2026-03-01,,
"""
NOW = "2026-03-04 12:00"


def hand_made_history(ctx: TenantContext, initiative_id: int) -> int:
    """X by hand (2 days worked, 2 waiting), then A-H from the CSV; X's id."""
    clock.freeze(at("2026-02-16 09:00"))
    x = add_item(ctx, initiative_id, "X", status="doing")
    move_item(ctx, x, "waiting", "2026-02-17 09:00")
    move_item(ctx, x, "doing", "2026-02-19 09:00")
    move_item(ctx, x, "done", "2026-02-20 09:00")
    clock.freeze(at(NOW))
    assert import_items(ctx, initiative_id, HISTORY_CSV) == 8
    return x
