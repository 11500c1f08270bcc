"""Identity tests: every case starts with no guessing counters (memory or Redis)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from pmo_saas.identity.guessing import guessing


@pytest.fixture(autouse=True)
def fresh_guessing_counters() -> Iterator[None]:
    guessing().reset()
    yield
    guessing().reset()
