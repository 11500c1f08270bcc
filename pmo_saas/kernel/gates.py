"""The seam through which governance announces a gate decision to the domains that fund work.

Delivery imports the portfolio (where governance lives), so governance cannot import delivery:
`record_gate_review` calls `announce` here, and delivery registers its listener (`on_gate`)
when its package is imported. Listeners write in the caller's session: the decision and what
it releases share one transaction.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from typing import Any


@dataclass(frozen=True, slots=True)
class GateDecided:
    initiative_id: int
    gate_review_id: int
    stage: str  # the stage whose gate was reviewed
    decision: str  # proceed, proceed_with_conditions, hold, stop, iterate
    decided_on: date
    by_user_id: int | None


Listener = Callable[[Any, GateDecided], None]
_listeners: list[Listener] = []


def on_gate(listener: Listener) -> Listener:
    """Register `listener(session, decided)` (once, however often the module is imported)."""
    if listener not in _listeners:
        _listeners.append(listener)
    return listener


def announce(session: Any, decided: GateDecided) -> None:
    for listener in _listeners:
        listener(session, decided)
