"""What rows that never change again yield, computed once per process (a survey's questions
after launch, a locked assessment model version's statements and scale).

Keyed by the organisation, the row's id and its creation time: SQLite may hand a deleted
row's id out again, and the creation time tells the new row from the old. Bounded: the
oldest entries go first. Only a caller that has just read the row within its organisation
(so the key is its own) may ask.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable, Hashable
from typing import Generic, TypeVar

V = TypeVar("V")


class Kept(Generic[V]):
    def __init__(self, size: int) -> None:
        self._size = size
        self._values: OrderedDict[Hashable, V] = OrderedDict()

    def get(self, key: Hashable, compute: Callable[[], V]) -> V:
        """The value kept for `key`, or `compute()` kept for it (the oldest one then dropped)."""
        found = self._values.get(key)
        if found is None:
            found = self._values[key] = compute()
            while len(self._values) > self._size:
                self._values.popitem(last=False)
        return found
