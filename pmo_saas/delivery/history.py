"""Writing the status history: the recorder the portfolio's moves reach through kernel.moves,
and the one function every work-item move goes through (it keeps the item's derived times)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pmo_saas.delivery.columns import DONE, STARTED
from pmo_saas.delivery.models import StatusChange, WorkItem
from pmo_saas.kernel.moves import Move, on_move


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
    item.status = to_status
    if to_status in STARTED and item.started_at is None:
        item.started_at = at
    item.done_at = at if to_status == DONE else None
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
