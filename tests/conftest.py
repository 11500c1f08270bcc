"""Test set-up: one migrated database per run, emptied after every test.

SQLite (a fresh file) by default; PostgreSQL when PMO_TEST_DATABASE_URL names a database
(and Redis for the browser tests when PMO_TEST_REDIS_URL names one).
"""

from __future__ import annotations

import os
import secrets
import tempfile
from collections.abc import Iterator
from pathlib import Path

_tmp = Path(tempfile.mkdtemp(prefix="pmo-test-"))
os.environ["PMO_ENVIRONMENT"] = "test"
os.environ["PMO_DATABASE_URL"] = os.environ.get(
    "PMO_TEST_DATABASE_URL", f"sqlite:///{_tmp / 'test.db'}"
)
os.environ["PMO_REDIS_URL"] = os.environ.get("PMO_TEST_REDIS_URL", "")
os.environ.setdefault("PMO_SECRET_KEY", "test-secret-key-" + "x" * 40)
os.environ["PMO_SMTP_HOST"] = ""
# This run's own job queue. Set here, before any test module is collected: the app's queue
# (`pmo_saas.jobs.runner.huey`) is built once, when the first test module imports the app,
# and a worker subprocess builds its queue from this same environment.
os.environ["PMO_JOBS_QUEUE_NAME"] = f"pmo-test-{secrets.token_hex(4)}"

import pytest  # noqa: E402
from sqlalchemy import Engine, inspect, text  # noqa: E402
from sqlmodel import SQLModel  # noqa: E402

import pmo_saas.models  # noqa: E402,F401
from pmo_saas.db import get_engine  # noqa: E402
from pmo_saas.kernel import clock  # noqa: E402
from pmo_saas.kernel.context import TenantContext  # noqa: E402
from pmo_saas.manage import migrate  # noqa: E402
from tests import factories  # noqa: E402

TEST_TMP = _tmp


@pytest.fixture(scope="session")
def engine() -> Engine:
    migrate()
    return get_engine()


def empty_database(engine: Engine) -> None:
    """DELETE every table, children first: on small tables much cheaper than TRUNCATE."""
    present = set(inspect(engine).get_table_names())
    tables = [t.name for t in reversed(SQLModel.metadata.sorted_tables) if t.name in present]
    with engine.begin() as conn:
        for table in tables:
            conn.execute(text(f'DELETE FROM "{table}"'))


@pytest.fixture(autouse=True)
def clean_db(request: pytest.FixtureRequest) -> Iterator[None]:
    """Every test that touches the database starts from empty tables (browser tests too)."""
    eng = request.getfixturevalue("engine")
    empty_database(eng)
    yield
    clock.freeze(None)


@pytest.fixture
def org_a() -> TenantContext:
    """The owner's context in organisation A."""
    return factories.make_org("Org A")


@pytest.fixture
def org_b() -> TenantContext:
    """The owner's context in organisation B: the other tenant every test checks against."""
    return factories.make_org("Org B")


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture
def billing_on(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Billing switched on (a Stripe key set), so a lapsed subscription makes a workspace
    read-only (tests/billing/conftest.py has its own, with the Stripe peer)."""
    from pmo_saas.settings import get_settings

    monkeypatch.setenv("PMO_STRIPE_SECRET_KEY", "sk_test_read_only")
    get_settings.cache_clear()
    yield
    monkeypatch.delenv("PMO_STRIPE_SECRET_KEY")
    get_settings.cache_clear()
