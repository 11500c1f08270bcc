"""Job tests: the queue is this run's own (a SQLite file in the run's temp dir beside the test
database, or Redis under a unique name with PMO_TEST_REDIS_URL); immediate mode when asked."""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest
from huey import Huey

from pmo_saas.jobs import tasks
from pmo_saas.settings import get_settings

# The queue name is set in tests/conftest.py, before any module builds the app's queue.
assert tasks.huey.name == get_settings().jobs_queue_name == os.environ["PMO_JOBS_QUEUE_NAME"]


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


@pytest.fixture(scope="session", autouse=True)
def empty_queue_at_exit() -> Iterator[None]:
    yield
    tasks.huey.storage.flush_all()  # nothing of this run's queue outlives it (Redis)


# The billing fixtures (billing on, the local Stripe peer, the app's webhook route served),
# for the seat reconciliation job.
from tests.billing.conftest import (  # noqa: E402,F401
    app_server,
    billing_on,
    peer_billing,
    stripe_peer,
)
