"""Writers of one process queue on a Python lock per SQLite file (pmo_saas/sqlite_writers.py),
not in SQLite's busy handler. Each test has a SQLite file of its own (also when the suite runs
on PostgreSQL), whose connections wait 0 ms in the busy handler: any two writers that met in
SQLite would fail at once with "database is locked"."""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, create_engine, event, text
from sqlalchemy.exc import IntegrityError, OperationalError
from sqlmodel import Session

from pmo_saas import sqlite_writers
from pmo_saas.db import get_engine
from pmo_saas.sqlite_writers import DatabaseBusy, writer_lock

THREADS, WRITES = 8, 15


def _no_busy_wait(engine: Engine) -> Engine:
    @event.listens_for(engine, "connect")
    def _fail_at_once(dbapi_connection: Any, _record: Any) -> None:  # after the app's pragmas
        dbapi_connection.execute("PRAGMA busy_timeout=0")

    with engine.begin() as conn:
        conn.execute(text("CREATE TABLE counter (id INTEGER PRIMARY KEY, n INTEGER NOT NULL)"))
        conn.execute(text("CREATE TABLE line (id INTEGER PRIMARY KEY, who TEXT UNIQUE)"))
        conn.execute(text("INSERT INTO counter (id, n) VALUES (1, 0)"))
    return engine


@pytest.fixture
def database(tmp_path: Path) -> Iterator[tuple[Engine, str]]:
    path = str(tmp_path / "writers.db")
    engine = _no_busy_wait(get_engine(f"sqlite:///{path}"))
    yield engine, path
    engine.dispose()
    get_engine.cache_clear()


def _write_many(engine: Engine, who: int, errors: list[BaseException]) -> None:
    try:
        for k in range(WRITES):
            with engine.begin() as conn:
                n = conn.execute(text("SELECT n FROM counter WHERE id = 1")).scalar_one()
                conn.execute(text("UPDATE counter SET n = n + 1 WHERE id = 1"))
                time.sleep(0.002)  # the transaction stays open: the others must wait for it
                conn.execute(text("INSERT INTO line (who) VALUES (:w)"), {"w": f"{who}-{k}-{n}"})
    except BaseException as error:  # reported by the test
        errors.append(error)


def _run_writers(engine: Engine) -> list[BaseException]:
    errors: list[BaseException] = []
    threads = [
        threading.Thread(target=_write_many, args=(engine, t, errors)) for t in range(THREADS)
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return errors


def test_concurrent_writers_all_succeed_without_the_busy_handler(database):
    engine, path = database
    assert _run_writers(engine) == []
    with engine.connect() as conn:
        assert conn.execute(text("SELECT n FROM counter")).scalar_one() == THREADS * WRITES
        assert conn.execute(text("SELECT count(*) FROM line")).scalar_one() == THREADS * WRITES
    assert not writer_lock(path).locked()


def test_without_the_lock_the_same_writers_meet_in_sqlite(tmp_path):
    """The control: the same load on a plain engine fails ("database is locked") at once,
    so the test above measures the lock, not a load too light to collide."""
    engine = _no_busy_wait(create_engine(f"sqlite:///{tmp_path / 'plain.db'}"))
    errors = _run_writers(engine)
    engine.dispose()
    assert errors and all(isinstance(e, OperationalError) for e in errors)
    assert "database is locked" in str(errors[0])


def test_a_failed_transaction_gives_the_lock_back(database):
    engine, path = database
    with engine.begin() as conn:
        conn.execute(text("INSERT INTO line (who) VALUES ('taken')"))
    with pytest.raises(IntegrityError), engine.begin() as conn:
        conn.execute(text("UPDATE counter SET n = 5"))
        conn.execute(text("INSERT INTO line (who) VALUES ('taken')"))
    assert not writer_lock(path).locked()
    with pytest.raises(ZeroDivisionError), Session(engine) as session, session.begin():
        session.execute(text("UPDATE counter SET n = 7"))
        assert writer_lock(path).locked()
        _ = 1 / 0
    assert not writer_lock(path).locked()
    with engine.connect() as conn:
        assert conn.execute(text("SELECT n FROM counter")).scalar_one() == 0  # both undone


def test_savepoints_keep_the_lock_until_the_root_transaction_ends(database):
    engine, path = database
    lock = writer_lock(path)
    with Session(engine) as session, session.begin():
        session.execute(text("INSERT INTO line (who) VALUES ('outer')"))
        inner = session.begin_nested()
        session.execute(text("INSERT INTO line (who) VALUES ('undone')"))
        inner.rollback()
        assert lock.locked()
        with session.begin_nested():
            session.execute(text("INSERT INTO line (who) VALUES ('kept')"))
        assert lock.locked()
    assert not lock.locked()
    with engine.connect() as conn:
        rows = conn.execute(text("SELECT who FROM line ORDER BY id")).scalars().all()
    assert rows == ["outer", "kept"]


def test_reads_do_not_take_the_lock_and_a_long_writer_is_refused_clearly(database, monkeypatch):
    engine, path = database
    monkeypatch.setattr(sqlite_writers, "WAIT_S", 0.2)
    with engine.connect() as holder:
        holder.execute(text("UPDATE counter SET n = 1"))  # open: the lock is held
        with engine.connect() as reader:  # WAL: a reader neither waits nor takes the lock
            assert reader.execute(text("SELECT n FROM counter")).scalar_one() == 0
        outcome: list[BaseException] = []
        waiter = threading.Thread(target=_write_many, args=(engine, 99, outcome))
        waiter.start()
        waiter.join()
        assert len(outcome) == 1 and isinstance(outcome[0], DatabaseBusy)
        assert "nothing was written" in str(outcome[0])
        holder.commit()
    assert not writer_lock(path).locked()


def test_a_child_forked_while_the_lock_was_held_starts_with_it_free(database):
    """A thread of the parent holding the lock at the fork does not exist in the child: the
    child's lock of that file is free (its writers meet the parent's in SQLite, as any two
    processes do), and the parent's is still held by its writer until that commits."""
    engine, path = database
    ready, done = threading.Event(), threading.Event()

    def hold() -> None:
        with engine.begin() as conn:
            conn.execute(text("UPDATE counter SET n = n + 1"))
            ready.set()
            done.wait(5)

    holder = threading.Thread(target=hold)
    holder.start()
    ready.wait(5)
    assert writer_lock(path).locked()
    pid = os.fork()
    if pid == 0:
        os._exit(0 if writer_lock(path).acquire(timeout=1) else 1)
    _, status = os.waitpid(pid, 0)
    assert writer_lock(path).locked()
    done.set()
    holder.join()
    assert os.WEXITSTATUS(status) == 0
    assert not writer_lock(path).locked()
    with engine.connect() as conn:
        assert conn.execute(text("SELECT n FROM counter")).scalar_one() == 1
