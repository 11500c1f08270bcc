"""Job tests: huey in immediate mode (tasks run in the test, on in-memory storage) when asked."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from huey import Huey

from pmo_saas.jobs import tasks
from pmo_saas.settings import get_settings


@pytest.fixture
def immediate_huey() -> Iterator[Huey]:
    huey = tasks.huey
    huey.immediate = True
    try:
        yield huey
    finally:
        huey.immediate = False


@pytest.fixture(autouse=True)
def fresh_settings() -> Iterator[None]:
    yield
    get_settings.cache_clear()
