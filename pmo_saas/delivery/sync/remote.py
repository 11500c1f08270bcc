"""What a Jira or GitHub client hands the sync engine: items as plain data, their times as the
other side recorded them."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Protocol


@dataclass
class RemoteItem:
    key: str  # "PROJ-12", or "#12" on GitHub
    title: str
    kind: str  # one of our kinds
    status: str  # their status now, as they name it
    created_at: datetime
    updated_at: datetime
    # Their status over time, oldest first: (when, status). The first is its status at creation.
    timeline: list[tuple[datetime, str]] = field(default_factory=list)
    changed: bool = True  # False: listed again, unchanged since we last saw it (no history read)


# key -> the `updated_at` we hold; a client skips reading the history of an unchanged item.
Known = dict[str, datetime]
Counter = Callable[[int], None]


class Source(Protocol):
    requests: int

    def check(self) -> None: ...

    def changed_since(
        self, cursor: datetime | None, known: Known, counted: Counter
    ) -> Iterator[RemoteItem]: ...

    def live_keys(self, known_live: int) -> set[str] | None: ...


def parse_time(text: str) -> datetime:
    """Jira's "2026-11-20T10:00:00.000+0000" or GitHub's "2026-11-20T10:00:00Z", as UTC."""
    value = datetime.fromisoformat(text.replace("Z", "+00:00"))
    return value.astimezone(UTC) if value.tzinfo else value.replace(tzinfo=UTC)


KINDS_BY_NAME = {
    "epic": "epic",
    "feature": "feature",
    "story": "story",
    "task": "task",
    "sub-task": "task",
    "subtask": "task",
    "bug": "task",
}


def kind_of(name: str) -> str:
    return KINDS_BY_NAME.get(name.strip().lower(), "story")
