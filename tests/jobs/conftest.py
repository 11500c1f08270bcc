"""Job tests: the queue is this run's own (a SQLite file in the run's temp dir beside the test
database, or Redis under a unique name with PMO_TEST_REDIS_URL); immediate mode when asked."""

from __future__ import annotations

import os
import secrets
from collections.abc import Iterator

import pytest
from huey import Huey

from pmo_saas.settings import get_settings

os.environ["PMO_JOBS_QUEUE_NAME"] = f"pmo-test-{secrets.token_hex(4)}"
get_settings.cache_clear()

from pmo_saas.jobs import tasks  # noqa: E402  (the queue is built from the settings above)


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
