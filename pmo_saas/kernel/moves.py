"""The seam through which a domain announces that something moved to another column.

The portfolio moves initiatives on its board; the delivery domain keeps their status history.
Delivery imports the portfolio, so the portfolio cannot import delivery: it calls `record_move`
here, and delivery registers the recorder (`on_move`) when its package is imported (which
`pmo_saas.models` does for every process). The recorder writes in the caller's session, so
the move and its history share one transaction.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any


@dataclass(frozen=True, slots=True)
class Move:
    """An initiative went from `from_status` (None: it was just created) to `to_status`."""

    portfolio_id: int
    initiative_id: int
    from_status: str | None
    to_status: str
    at: datetime
    by_user_id: int | None
    source: str  # "board", "edit", "created", "import"


Recorder = Callable[[Any, Move], None]
_recorders: list[Recorder] = []


def on_move(recorder: Recorder) -> Recorder:
    """Register `recorder(session, move)` (once, however often the module is imported)."""
    if recorder not in _recorders:
        _recorders.append(recorder)
    return recorder


def recorders() -> tuple[Recorder, ...]:
    return tuple(_recorders)


def record_move(session: Any, move: Move) -> None:
    """Tell every registered recorder, in the caller's session (its transaction)."""
    for recorder in _recorders:
        recorder(session, move)
