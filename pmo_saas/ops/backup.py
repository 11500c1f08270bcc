"""Backups of the whole database: `python -m pmo_saas.manage backup FILE` / `restore FILE`.

PostgreSQL: `pg_dump --format=custom` and `pg_restore` (the client tools must match or be newer
than the server). Tenant tables FORCE row-level security, so even their owner (the app's role)
cannot dump or load them: run both as a role that bypasses it (the PostgreSQL admin,
`--database-url`). Ownership is kept: a restore run by the admin gives the tables back to the
app's role. The embedded SQLite file: SQLite's online backup API, safe while the app runs.
Restoring refuses a database that already holds tables unless `force=True`, which replaces
its contents. A backup never overwrites an existing file unless `force=True`.
"""

from __future__ import annotations

import os
import shutil
import sqlite3
import subprocess
from pathlib import Path

from sqlalchemy import create_engine, inspect
from sqlalchemy.engine import URL, make_url

from pmo_saas.settings import get_settings

SQLITE_MAGIC = b"SQLite format 3\x00"
PG_CUSTOM_MAGIC = b"PGDMP"


class BackupError(RuntimeError):
    """A backup or restore that was refused or failed; the message says why."""


def _url(database_url: str | None) -> URL:
    return make_url(database_url or get_settings().database_url)


def _sqlite_path(url: URL) -> Path:
    if not url.database or url.database == ":memory:":
        raise BackupError("an in-memory SQLite database cannot be backed up")
    return Path(url.database)


def _libpq(url: URL) -> tuple[str, dict[str, str]]:
    """A libpq URL without the password (that goes in PGPASSWORD, not on a command line)."""
    env = dict(os.environ)
    if url.password:
        env["PGPASSWORD"] = str(url.password)
    plain = url.set(drivername="postgresql", password=None)
    return plain.render_as_string(hide_password=False), env


def _tool(name: str) -> str:
    found = shutil.which(name)
    if not found:
        raise BackupError(f"{name} is not installed (Debian: apt-get install postgresql-client)")
    return found


RLS_HINT = (
    " (tenant tables force row-level security: run backup and restore as a role that bypasses"
    " it, e.g. --database-url postgresql://postgres@host/db)"
)


def _run(command: list[str], env: dict[str, str]) -> None:
    result = subprocess.run(command, env=env, capture_output=True, text=True, check=False)  # noqa: S603
    if result.returncode != 0:
        detail = result.stderr.strip()[-2000:]
        hint = RLS_HINT if "row-level security" in detail else ""
        raise BackupError(f"{Path(command[0]).name} failed: {detail}{hint}")


def backup(file: str | Path, *, database_url: str | None = None, force: bool = False) -> Path:
    target = Path(file)
    if target.exists() and not force:
        raise BackupError(f"{target} exists; choose another file or pass --force to replace it")
    target.parent.mkdir(parents=True, exist_ok=True)
    url = _url(database_url)
    if url.get_backend_name() == "sqlite":
        source_path = _sqlite_path(url)
        if not source_path.exists():
            raise BackupError(f"there is no database at {source_path}")
        partial = target.with_name(target.name + ".partial")
        source = sqlite3.connect(source_path)
        destination = sqlite3.connect(partial)
        try:
            with destination:
                source.backup(destination)
        finally:
            destination.close()
            source.close()
        partial.replace(target)
        return target
    if url.get_backend_name() == "postgresql":
        dsn, env = _libpq(url)
        partial = target.with_name(target.name + ".partial")
        _run([_tool("pg_dump"), "--format=custom", f"--file={partial}", dsn], env)
        partial.replace(target)
        return target
    raise BackupError(f"backups of {url.get_backend_name()} databases are not supported")


def table_names(database_url: str | None = None) -> list[str]:
    url = _url(database_url)
    if url.get_backend_name() == "sqlite" and not _sqlite_path(url).exists():
        return []
    engine = create_engine(
        url.set(drivername="postgresql+psycopg") if url.get_backend_name() == "postgresql" else url
    )
    try:
        return inspect(engine).get_table_names()
    finally:
        engine.dispose()


def restore(file: str | Path, *, database_url: str | None = None, force: bool = False) -> None:
    source_file = Path(file)
    if not source_file.is_file():
        raise BackupError(f"there is no backup file at {source_file}")
    with source_file.open("rb") as handle:
        magic = handle.read(len(SQLITE_MAGIC))
    url = _url(database_url)
    backend = url.get_backend_name()
    expected = {"sqlite": SQLITE_MAGIC, "postgresql": PG_CUSTOM_MAGIC}.get(backend)
    if expected is None:
        raise BackupError(f"restores into {backend} databases are not supported")
    if not magic.startswith(expected):
        kind = "SQLite" if backend == "sqlite" else "pg_dump custom-format"
        raise BackupError(
            f"{source_file} is not a {kind} backup, so it cannot restore a {backend} database"
        )
    present = table_names(database_url)
    if present and not force:
        raise BackupError(
            f"the database already holds {len(present)} tables; restoring would replace them. "
            "Restore into an empty database, or pass --force to replace its contents."
        )
    if backend == "sqlite":
        target_path = _sqlite_path(url)
        target_path.parent.mkdir(parents=True, exist_ok=True)
        source = sqlite3.connect(source_file)
        destination = sqlite3.connect(target_path)
        try:
            with destination:
                source.backup(destination)
        finally:
            destination.close()
            source.close()
        return
    dsn, env = _libpq(url)
    command = [_tool("pg_restore"), "--exit-on-error", "--single-transaction"]
    if present:
        command += ["--clean", "--if-exists"]
    _run([*command, f"--dbname={dsn}", str(source_file)], env)
