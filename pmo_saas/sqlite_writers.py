"""One writer at a time per SQLite database inside a process, queued on a Python lock.

SQLite lets one transaction write at a time. Without this, concurrent writers of one process
(the event handlers' threads) meet in SQLite's busy handler, which sleeps 1 to 100 ms between
tries: under load most of a write event's time was spent asleep there, not writing. Here a
transaction takes its database's lock at its first write statement (where pysqlite begins the
transaction) and gives it back once its connection has committed or rolled back (a savepoint
does neither), so the next writer starts the moment the last one ends.

Other processes (the job worker, a second app process) still meet this one in SQLite's busy
handler (`busy_timeout`): the lock only orders the writers of one process. A writer that
waits more than WAIT_S raises DatabaseBusy, as SQLite would have said "database is locked".
"""

from __future__ import annotations

import os
import sqlite3
import threading
from typing import Any

from sqlalchemy import Engine, event

WAIT_S = 30.0  # as long as SQLite's own busy_timeout
_WRITES = ("INSERT", "UPDATE", "DELETE", "REPLACE")

_locks: dict[str, threading.Lock] = {}
# A child forked while a thread of its parent held a lock would inherit it held forever.
os.register_at_fork(after_in_child=_locks.clear)


class DatabaseBusy(RuntimeError):
    """Another writer of this process held the SQLite database for longer than WAIT_S."""


def writer_lock(database: str) -> threading.Lock:
    """The lock of one database file (by its real path)."""
    return _locks.setdefault(os.path.realpath(database), threading.Lock())


class WriterConnection(sqlite3.Connection):
    """pysqlite's connection, giving its writer lock back once the transaction has ended
    (after SQLite's COMMIT or ROLLBACK, not before: the next writer must find it free)."""

    held: threading.Lock | None = None

    def take(self, lock: threading.Lock) -> None:
        if not lock.acquire(timeout=WAIT_S):
            raise DatabaseBusy(
                f"another write to the database held it for {WAIT_S:.0f} s; nothing was written"
            )
        self.held = lock

    def _give_back(self) -> None:
        lock, self.held = self.held, None
        if lock is not None and lock.locked():  # after a fork the parent's lock is not ours
            lock.release()

    def commit(self) -> None:
        try:
            super().commit()
        finally:
            self._give_back()

    def rollback(self) -> None:
        try:
            super().rollback()
        finally:
            self._give_back()

    def close(self) -> None:
        try:
            super().close()
        finally:
            self._give_back()


def serialise_writers(engine: Engine, database: str) -> None:
    """Make `engine`'s writers queue on `database`'s lock (see the module doc); the engine
    connects with `connect_args={"factory": WriterConnection}`."""
    key = os.path.realpath(database)

    @event.listens_for(engine, "before_cursor_execute")
    def _first_write(_conn: Any, cursor: Any, statement: str, *_args: Any) -> None:
        connection = cursor.connection
        if connection.held is None and statement.lstrip()[:7].upper().startswith(_WRITES):
            connection.take(_locks.get(key) or writer_lock(key))
