"""Portfolio tests: the shared clean-up, tolerant of tables another domain has not migrated yet.

Several domains are built in parallel in one tree; a model without its migration would break
every test of every domain in `empty_database`. This override empties the tables that exist,
and only for tests that use the database.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlalchemy import Engine, inspect, text
from sqlmodel import SQLModel

from pmo_saas.kernel import clock


def _empty_existing_tables(engine: Engine) -> None:
    existing = set(inspect(engine).get_table_names())
    tables = [t.name for t in reversed(SQLModel.metadata.sorted_tables) if t.name in existing]
    with engine.begin() as conn:
        if conn.dialect.name == "postgresql":
            quoted = ", ".join(f'"{t}"' for t in tables)
            conn.execute(text(f"TRUNCATE {quoted} RESTART IDENTITY CASCADE"))
        else:
            for table in tables:
                conn.execute(text(f'DELETE FROM "{table}"'))


DATABASE_FIXTURES = {"org_a", "org_b", "engine"}


@pytest.fixture(autouse=True)
def clean_db(request: pytest.FixtureRequest) -> Iterator[None]:
    # Pure tests (scoring, funding) skip the clean-up: on PostgreSQL it costs seconds a test.
    if DATABASE_FIXTURES & set(request.fixturenames):
        _empty_existing_tables(request.getfixturevalue("engine"))
    yield
    clock.freeze(None)
