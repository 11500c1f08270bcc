"""Backups: the demo organisation backed up, restored into a fresh database, read back alike.

SQLite always; PostgreSQL (pg_dump / pg_restore) when PMO_TEST_DATABASE_URL names one.
"""

from __future__ import annotations

import os
import sqlite3
import time
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest
from sqlalchemy import Engine, create_engine, inspect, text
from sqlalchemy.engine import make_url
from sqlmodel import select

from pmo_saas.db import get_engine, normalise_url, system_session, tenant_session
from pmo_saas.identity.models import Organization, OutboxMessage, User
from pmo_saas.kernel.context import TenantContext
from pmo_saas.kernel.roles import Role
from pmo_saas.manage import main
from pmo_saas.ops import backup
from pmo_saas.portfolio.services import portfolios as portfolio
from pmo_saas.seed import DEMO_OWNER, DEMO_SLUG, seed_demo
from pmo_saas.settings import get_settings


def _counts(engine: Engine) -> dict[str, int]:
    with engine.connect() as conn:
        return {
            table: conn.execute(text(f'SELECT count(*) FROM "{table}"')).scalar_one()
            for table in sorted(inspect(engine).get_table_names())
        }


def _demo_ctx() -> TenantContext:
    with system_session() as session:
        org = session.exec(select(Organization).where(Organization.slug == DEMO_SLUG)).one()
        owner = session.exec(select(User).where(User.email == DEMO_OWNER)).one()
    assert org.id is not None and owner.id is not None
    return TenantContext(org_id=org.id, user_id=owner.id, role=Role.OWNER, org_slug=DEMO_SLUG)


def _portfolio_names(ctx: TenantContext, engine: Engine) -> list[tuple[str, int]]:
    with tenant_session(ctx, engine=engine) as session:
        rows = portfolio.list_portfolios(session=session, ctx=ctx)
    return [(row.name, row.initiative_count) for row in rows]


@pytest.fixture
def fresh_database_url(tmp_path: Path) -> Iterator[str]:
    """An empty database of the same kind as the test database."""
    source = make_url(get_settings().database_url)
    if source.get_backend_name() == "sqlite":
        yield f"sqlite:///{tmp_path / 'restored.db'}"
        return
    name = f"pmo_restore_{os.getpid()}_{int(time.time() * 1000)}"
    admin = source.set(drivername="postgresql", database="postgres")
    admin_dsn = admin.render_as_string(hide_password=False)
    with psycopg.connect(admin_dsn, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    try:
        yield source.set(database=name).render_as_string(hide_password=False)
    finally:
        with psycopg.connect(admin_dsn, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def test_backup_and_restore_give_the_same_data_to_the_services(
    engine, tmp_path: Path, fresh_database_url: str, capsys
):
    seed_demo()
    ctx = _demo_ctx()
    expected_portfolios = _portfolio_names(ctx, engine)
    assert expected_portfolios, "the demo organisation has portfolios"
    source_counts = _counts(engine)
    assert source_counts["organization"] == 1 and sum(source_counts.values()) > 50

    file = tmp_path / "pmo.backup"
    assert main(["backup", str(file)]) == 0
    assert "backup written to" in capsys.readouterr().out
    assert file.stat().st_size > 0
    # A second backup to the same file is refused (nothing overwritten) unless forced.
    assert main(["backup", str(file)]) == 1
    assert "exists" in capsys.readouterr().err
    backup.backup(file, force=True)

    backup.restore(file, database_url=fresh_database_url)
    restored = create_engine(normalise_url(fresh_database_url))
    try:
        assert _counts(restored) == source_counts
        assert _portfolio_names(ctx, restored) == expected_portfolios
    finally:
        restored.dispose()


def test_restore_refuses_a_database_that_holds_tables_unless_forced(
    engine, tmp_path: Path, fresh_database_url: str, capsys
):
    seed_demo()
    source_counts = _counts(engine)
    file = tmp_path / "pmo.backup"
    backup.backup(file)

    # Onto the live (non-empty) database: refused, with the way out named; nothing changed.
    assert main(["restore", str(file)]) == 1
    message = capsys.readouterr().err
    assert "already holds" in message and "--force" in message
    assert _counts(engine) == source_counts

    # A fresh database that has since been written to is replaced only with force.
    backup.restore(file, database_url=fresh_database_url)
    restored = create_engine(normalise_url(fresh_database_url))
    try:
        with restored.begin() as conn:
            conn.execute(text(f"DELETE FROM {OutboxMessage.__tablename__}"))
        with pytest.raises(backup.BackupError, match="already holds"):
            backup.restore(file, database_url=fresh_database_url)
        backup.restore(file, database_url=fresh_database_url, force=True)
        assert _counts(restored) == source_counts
    finally:
        restored.dispose()


def test_wrong_or_missing_files_get_clear_messages(tmp_path: Path, fresh_database_url: str):
    with pytest.raises(backup.BackupError, match="no backup file"):
        backup.restore(tmp_path / "missing.backup", database_url=fresh_database_url)
    junk = tmp_path / "junk.backup"
    junk.write_bytes(b"not a database at all")
    with pytest.raises(backup.BackupError, match="is not a"):
        backup.restore(junk, database_url=fresh_database_url)
    # A SQLite backup offered to PostgreSQL (or the reverse) is named as such.
    other = tmp_path / "other.db"
    sqlite3.connect(other).close()
    other.write_bytes(b"PGDMP" + b"\0" * 20)
    if make_url(fresh_database_url).get_backend_name() == "sqlite":
        with pytest.raises(backup.BackupError, match="not a SQLite backup"):
            backup.restore(other, database_url=fresh_database_url)
    assert backup.table_names(fresh_database_url) == []
    assert get_engine() is not None
