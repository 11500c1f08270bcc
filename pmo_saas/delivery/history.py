"""Writing the status history: the recorder the portfolio's moves reach through kernel.moves,
and the one function every work-item move goes through (it keeps the item's derived times)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pmo_saas.delivery.columns import DONE, STARTED, WAITING
from pmo_saas.delivery.models import StatusChange, WorkItem
from pmo_saas.kernel.clock import as_utc
from pmo_saas.kernel.moves import Move, on_move

DAY = 86_400.0


@on_move
def record_initiative_move(session: Any, move: Move) -> None:
    session.add(
        StatusChange(
            portfolio_id=move.portfolio_id,
            initiative_id=move.initiative_id,
            from_status=move.from_status,
            to_status=move.to_status,
            at=move.at,
            by_user_id=move.by_user_id,
            source=move.source,
        )
    )


def move_work_item(
    session: Any,
    item: WorkItem,
    to_status: str,
    *,
    at: datetime,
    by_user_id: int | None,
    source: str,
    first: bool = False,
) -> StatusChange | None:
    """Record the move (with `first`, the item's arrival) and keep started_at / done_at."""
    old = None if first else item.status
    if old == to_status:
        return None
    if old in STARTED and old != DONE:
        span = (as_utc(at) - as_utc(item.moved_at)).total_seconds() / DAY
        if old in WAITING:
            item.waiting_days += span
        else:
            item.active_days += span
    item.status, item.moved_at = to_status, at
    if to_status in STARTED and item.started_at is None:
        item.started_at = at
    item.done_at = at if to_status == DONE else None
    if item.done_at is None or item.started_at is None:
        item.cycle_days = item.lead_days = None
    else:
        item.cycle_days = (as_utc(at) - as_utc(item.started_at)).total_seconds() / DAY
        item.lead_days = (as_utc(at) - as_utc(item.created_at)).total_seconds() / DAY
    assert item.id is not None
    change = StatusChange(
        portfolio_id=item.portfolio_id,
        initiative_id=item.initiative_id,
        work_item_id=item.id,
        from_status=old,
        to_status=to_status,
        at=at,
        by_user_id=by_user_id,
        source=source,
    )
    session.add(item)
    session.add(change)
    return change
