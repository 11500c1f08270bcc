"""Statements built once, compiled once and handed to the driver: a hot path's short
statements then cost little more Python than the driver's own work."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, NamedTuple

from psycopg import ClientCursor
from psycopg.pq import TransactionStatus
from sqlalchemy import Connection
from sqlalchemy.exc import SQLAlchemyError

_KEPT = 2000


class _Compiled(NamedTuple):
    sql: str
    fixed: dict[str, Any]  # the values bound in the statement itself (a LIMIT, a criterion)
    binds: tuple[tuple[str, Callable[[Any], Any]], ...]  # the values the driver needs converted
    results: tuple[Callable[[Any], Any] | None, ...] | None  # per column; None: none at all
    returns_rows: bool


# statement -> its compiled form, or None for one the driver cannot take as it is.
_compiled: dict[tuple[str, Any], _Compiled | None] = {}


def _compile(connection: Connection, statement: Any) -> _Compiled | None:
    dialect = connection.dialect
    compiled: Any = statement.compile(dialect=dialect)
    if (
        dialect.name != "postgresql"  # SQLite's writers are serialised by a cursor event
        or compiled.post_compile_params
        or compiled.escaped_bind_names
    ):
        return None
    results = tuple(
        column[3]._cached_result_processor(dialect, None) for column in compiled._result_columns
    )
    return _Compiled(
        compiled.string,
        {name: bind.value for bind, name in compiled.bind_names.items() if not bind.required},
        tuple(compiled._bind_processors.items()),
        results if any(results) else None,
        bool(compiled._result_columns),
    )


def _found(connection: Connection, statement: Any) -> _Compiled | None:
    """Its compiled form, if the driver can take it here (no listener, e.g. a statement
    count, is skipped)."""
    key = (connection.dialect.name, statement)
    if key not in _compiled:
        if len(_compiled) >= _KEPT:
            _compiled.clear()
        _compiled[key] = _compile(connection, statement)
    events = connection.dispatch
    if events.before_cursor_execute or events.after_cursor_execute:
        return None
    return _compiled[key]


def _values(found: _Compiled, params: dict[str, Any]) -> dict[str, Any]:
    values = {**found.fixed, **params}
    for name, convert in found.binds:
        if name in values:
            values[name] = convert(values[name])
    return values


def _run(connection: Connection, found: _Compiled, params: dict[str, Any]) -> list[Any]:
    values = _values(found, params)
    cursor = connection.connection.driver_connection.cursor()  # type: ignore[union-attr]
    try:
        cursor.execute(found.sql, values)
        rows = cursor.fetchall() if found.returns_rows else []
    except connection.dialect.loaded_dbapi.Error as error:
        connection._handle_dbapi_exception(error, found.sql, values, cursor, None)
        raise  # not reached: the call above raises SQLAlchemy's wrapping of the error
    finally:
        cursor.close()
    if found.results is None:
        return rows
    return [
        tuple(v if p is None else p(v) for p, v in zip(found.results, row, strict=True))
        for row in rows
    ]


def driver_rows(connection: Connection, statement: Any, params: dict[str, Any]) -> list[Any]:
    """`list(connection.execute(statement, params))` for a statement built once (a module
    constant, or what `tenant_scoped` returns), inside a transaction: on PostgreSQL its SQL
    is compiled once and run on the driver's cursor, with SQLAlchemy's conversions of the
    values and the results and its wrapping of errors, but without the per-execute cost of
    a compiled-cache hit and a result object (most of a short statement's Python time).
    Other dialects, a connection whose events someone listens to (statement counts, the
    SQLite writers' lock) and statements that expand their parameters take the ordinary
    path."""
    found = _found(connection, statement)
    if found is None or not connection.in_transaction():
        return list(connection.execute(statement, params))
    return _run(connection, found, params)


def driver_unflushed(connection: Connection, statement: Any, params: dict[str, Any]) -> None:
    """`statement` (built once) as a transaction of its own on a connection with none open,
    its commit not waiting for the write-ahead log's flush (synchronous_commit off for it:
    a server crash may lose it, never half of it, and nothing else): on PostgreSQL in one
    round trip (BEGIN, the setting, the statement and COMMIT in one simple query), so that
    whatever row it locks is held for no round trip and no flush. Elsewhere through
    SQLAlchemy's AUTOCOMMIT."""
    found = _found(connection, statement)
    if found is None or connection.in_transaction():
        connection.execution_options(isolation_level="AUTOCOMMIT").execute(statement, params)
        return
    driver: Any = connection.connection.driver_connection
    autocommit, driver.autocommit = driver.autocommit, True
    try:
        _unflushed_after(connection, "", found, params)
    finally:
        driver.autocommit = autocommit


def _unflushed_after(connection: Connection, first: str, found: _Compiled, params: Any) -> None:
    """`first` (SQL without values: COMMIT, or nothing) and then `found` as its own
    transaction, not waiting for its flush, in one simple query: the values bound by the
    driver's client-side cursor (a query with server-side values holds one statement)."""
    values = _values(found, params)
    sql = f"{first}BEGIN; SET LOCAL synchronous_commit TO OFF; {found.sql}; COMMIT"
    cursor: Any = ClientCursor(connection.connection.driver_connection)  # type: ignore[arg-type]
    try:
        cursor.execute(sql, values)
    except connection.dialect.loaded_dbapi.Error as error:
        connection._handle_dbapi_exception(error, sql, values, cursor, None)
        raise  # not reached: the call above raises SQLAlchemy's wrapping of the error
    finally:
        cursor.close()


def driver_commit_then(connection: Connection, statements: list[tuple[Any, Any]]) -> bool:
    """Commit the connection's transaction (begun with `connection.begin()`, not as a context
    manager: statements follow the commit), then run each of `statements` (built once, with
    their values) as `driver_unflushed` does: on PostgreSQL the first in the commit's own
    round trip. Raises if the commit fails (rolled back); False (the rest not run) if a
    statement after it did."""
    found = _found(connection, statements[0][0]) if statements else None
    if found is None or not connection.in_transaction() or connection.in_nested_transaction():
        connection.commit()
    else:
        try:
            _unflushed_after(connection, "COMMIT; ", found, statements[0][1])
        except SQLAlchemyError:
            driver: Any = connection.connection.driver_connection
            if driver.info.transaction_status != TransactionStatus.INERROR:
                connection.rollback()  # the COMMIT failed and ended it: nothing else ran
                raise
            driver.rollback()  # the transaction after the COMMIT failed: end it
            connection.commit()  # SQLAlchemy's bookkeeping (the driver has committed)
            return False
        connection.commit()  # SQLAlchemy's bookkeeping (the driver has committed)
        statements = statements[1:]
    try:
        for statement, params in statements:
            driver_unflushed(connection, statement, params)
    except SQLAlchemyError:
        return False
    return True
