"""One clock for the whole app, so tests can move time."""

from __future__ import annotations

from datetime import UTC, datetime

_frozen: datetime | None = None


def utcnow() -> datetime:
    """Aware UTC; every stored time is UTC."""
    return _frozen or datetime.now(UTC)


def freeze(at: datetime | None) -> None:
    """Tests only: pin (or with None, release) the clock."""
    global _frozen
    _frozen = at


def as_utc(value: datetime) -> datetime:
    """SQLite hands back naive datetimes; every stored time is UTC."""
    return value if value.tzinfo else value.replace(tzinfo=UTC)
