"""Engine, sessions and the one mechanism that scopes tenant-owned rows to an organisation.

Every table of an organisation's data subclasses `TenantOwned`. A session opened with
`tenant_session(ctx)` then
- adds `org_id = ctx.org_id` to every ORM SELECT, UPDATE and DELETE that touches such a table
  (rows of another organisation are simply not there: the same "not found" as a missing row),
- stamps `org_id` on every new row, and refuses a flush that would write another
  organisation's row or move a row between organisations,
- on PostgreSQL, switches the transaction to a role bound by row-level security policies
  keyed on `app.org_id`: a second wall that holds even for raw SQL,
- refuses (ReadOnly) a flush that writes a table marked `refused_when_read_only` while the
  workspace is read-only: the one place such writes are stopped. Whether it is read-only is
  billing's to say; billing registers that answer with `guard_tenant_writes` (db.py sits
  below the domains and imports none of them).

Every flush (and bulk UPDATE/DELETE/INSERT through the session) that writes an organisation's
rows also bumps `organization.data_version` in the same transaction, before its own writes:
a read whose organisation's version did not change may reuse what it computed last time
(`cached_in_tenant`). Raw SQL on `session.connection()` bypasses this: call
`bump_data_version` beside it. A survey submission holds its bump until after its commit
(`bump_after_commit`), so that submissions do not queue on the organisation's row.

A hot path may run SQLAlchemy Core statements on `session.connection()` through
`tenant_scoped(session, statement)`: the same criteria, refusal and bump as the hook, with
the scoping of a statement built once done once per organisation. Text SQL is scoped by
neither (on PostgreSQL only row-level security holds it). `find_tenant` finds an organisation
(a survey link's) and, on PostgreSQL, takes its scope in the same statement.

A `system_session()` has no organisation: the explicit, greppable escape hatch for the work
that precedes one (sign-in, accepting an invitation, webhooks, seeding). A session that is
neither refuses to touch tenant-owned tables at all.
"""

from __future__ import annotations

import asyncio
import os
import pickle
import time
from collections import OrderedDict
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from functools import lru_cache, partial
from pathlib import Path
from typing import Any, ClassVar, ParamSpec, TypeVar

import sqlalchemy as sa
from sqlalchemy import Connection, Engine, Table, event, text
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Mapper, ORMExecuteState, with_loader_criteria
from sqlalchemy.orm import Session as _OrmSession
from sqlalchemy.sql import visitors
from sqlalchemy.sql.dml import UpdateBase
from sqlmodel import Field, Session, SQLModel, create_engine

from pmo_saas.driver_sql import driver_commit_then, driver_rows
from pmo_saas.kernel.context import TenantContext
from pmo_saas.kernel.errors import NotFound, ReadOnly
from pmo_saas.settings import get_settings
from pmo_saas.sqlite_writers import WriterConnection, serialise_writers

ORG_KEY = "pmo_org_id"
SYSTEM_KEY = "pmo_system"
CTX_KEY = "pmo_ctx"
READ_ONLY_KEY = "pmo_read_only"  # the guards' answer, asked once per transaction
WRITES_ALLOWED_KEY = "pmo_writes_allowed"
REFUSED_KEY = "pmo_write_refused"
BUMPED_KEY = "pmo_versions_bumped"  # the organisations whose version this transaction bumped
DEFERRED_KEY = "pmo_versions_after_commit"  # bumps held for after the commit (bump_after_commit)
SCOPED_KEY = "pmo_scoped_by_lookup"  # connection.info: (transaction, org) find_tenant scoped


class TenantOwned(SQLModel):
    """Mixin for every table that belongs to one organisation."""

    # Stamped from the tenant session on insert, so constructors may leave it out.
    org_id: int | None = Field(
        default=None, foreign_key="organization.id", index=True, nullable=False, ondelete="CASCADE"
    )
    # True on a domain's tables that a read-only workspace must not change (see the module doc).
    refused_when_read_only: ClassVar[bool] = False


class TenantScopeError(RuntimeError):
    """A programming error: tenant data touched without a tenant scope."""


def normalise_url(url: str) -> str:
    parsed = make_url(url)
    if parsed.drivername in ("postgresql", "postgres"):
        parsed = parsed.set(drivername="postgresql+psycopg")
    return parsed.render_as_string(hide_password=False)


@lru_cache
def get_engine(url: str | None = None) -> Engine:
    url = normalise_url(url or get_settings().database_url)
    if url.startswith("sqlite"):
        database = make_url(url).database
        if database and database != ":memory:":
            Path(database).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(
            url,
            connect_args={"check_same_thread": False, "timeout": 30, "factory": WriterConnection},
        )

        @event.listens_for(engine, "connect")
        def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
            cursor = dbapi_connection.cursor()
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA busy_timeout=30000")
            # WAL's own recommendation: a commit no longer waits for fsync (2-4 ms here, with
            # the writer lock held); the database stays consistent, and only a power loss or
            # an OS crash (not a crash of the app) can lose the last commits.
            cursor.execute("PRAGMA synchronous=NORMAL")
            cursor.close()

        if database and database != ":memory:":
            serialise_writers(engine, database)
        _fork_safe(engine)
        return engine
    engine = create_engine(url, pool_pre_ping=True, pool_size=10, max_overflow=10)
    _fork_safe(engine)
    return engine


def _fork_safe(engine: Engine) -> None:
    """A process forked after this one opened connections (granian's workers, the job
    worker) starts with an empty pool instead of sharing the parent's sockets: two processes
    on one PostgreSQL connection collide ("prepared statement _pg3_0 already exists").
    SQLAlchemy's recipe for pools and multiprocessing."""
    os.register_at_fork(after_in_child=lambda: engine.dispose(close=False))


_tenant_by_table: dict[str, type[TenantOwned]] = {}
# The tenant classes each statement shape touches, keyed by SQLAlchemy's cache key of the
# statement (equal keys mean equal structure, hence equal tables); bounded like its own cache.
_classes_by_shape: dict[Any, tuple[type[TenantOwned], ...]] = {}
_SHAPES_KEPT = 2000
# Statements built once (with bound parameters) and run through `tenant_scoped`, scoped for
# one organisation: (org, statement object) -> (scoped statement, writes, writes a guarded
# table). Keyed by the object, never by its cache key (equal keys may bind other values).
_scoped_statements: dict[tuple[int, Any], tuple[Any, bool, bool]] = {}
_reads: set[Any] = set()  # the statement objects `system_read` found to be reads


@event.listens_for(Mapper, "after_mapper_constructed")
def _forget_tenant_classes(_mapper: Mapper[Any], _cls: type) -> None:
    """A newly mapped class may be a tenant table: find them again on next use."""
    _tenant_by_table.clear()
    _classes_by_shape.clear()
    _options_by_scope.clear()
    _scoped_statements.clear()


def _tenant_tables() -> dict[str, type[TenantOwned]]:
    """Every mapped TenantOwned subclass by table name, found once after the models load."""
    if not _tenant_by_table:
        stack = list(TenantOwned.__subclasses__())
        while stack:
            cls = stack.pop()
            stack.extend(cls.__subclasses__())
            if hasattr(cls, "__table__"):
                _tenant_by_table[str(cls.__tablename__)] = cls  # type: ignore[assignment]
    return _tenant_by_table


def _tenant_classes() -> list[type[TenantOwned]]:
    """Every mapped table class that subclasses TenantOwned."""
    return list(_tenant_tables().values())


def _walk_tenant_classes(statement: Any) -> tuple[type[TenantOwned], ...]:
    tables = _tenant_tables()
    found: dict[str, type[TenantOwned]] = {}
    for element in visitors.iterate(statement):
        table = element if isinstance(element, Table) else getattr(element, "table", None)
        if isinstance(table, Table) and table.name in tables:
            found[table.name] = tables[table.name]
    return tuple(found.values())


def _tenant_classes_in(statement: Any) -> tuple[type[TenantOwned], ...]:
    """The tenant tables a statement touches anywhere: FROM, joins, subqueries, DML target."""
    cache_key = statement._generate_cache_key()
    if cache_key is None:  # a statement SQLAlchemy does not cache: walk it every time
        return _walk_tenant_classes(statement)
    classes = _classes_by_shape.get(cache_key.key)
    if classes is None:
        if len(_classes_by_shape) >= _SHAPES_KEPT:
            _classes_by_shape.clear()
        classes = _classes_by_shape[cache_key.key] = _walk_tenant_classes(statement)
    return classes


WriteGuard = Callable[[Session, TenantContext], str | None]
_write_guards: list[WriteGuard] = []


def guard_tenant_writes(guard: WriteGuard) -> None:
    """Register `guard(session, ctx) -> refusal message or None` (billing: read-only)."""
    if guard not in _write_guards:
        _write_guards.append(guard)


def _read_only_refusal(session: _OrmSession) -> str | None:
    if READ_ONLY_KEY not in session.info:
        ctx = session.info[CTX_KEY]
        with session.no_autoflush:  # the guard reads; the pending writes are what it judges
            session.info[READ_ONLY_KEY] = next(
                (m for g in _write_guards if (m := g(session, ctx))),  # type: ignore[arg-type]
                None,
            )
    return session.info[READ_ONLY_KEY]


def _refuse_if_read_only(session: _OrmSession) -> None:
    """Raise ReadOnly for a write to a guarded table when a guard says the workspace is."""
    if session.info.get(WRITES_ALLOWED_KEY):
        return
    if not _write_guards:  # loud, rather than a read-only workspace that silently writes
        raise TenantScopeError("no write guard registered (import pmo_saas.billing)")
    message = _read_only_refusal(session)
    if message:
        session.info[REFUSED_KEY] = True
        raise ReadOnly(message)


@contextmanager
def writes_allowed_when_read_only(session: Session) -> Iterator[None]:
    """For the few writes a read-only workspace still makes (e.g. built-ins on first visit)."""
    session.info[WRITES_ALLOWED_KEY] = True
    try:
        yield
        session.flush()
    finally:
        session.info.pop(WRITES_ALLOWED_KEY, None)


# The loader-criteria options for one organisation and one set of tenant tables, built once:
# building `cls.org_id == org_id` for every statement was most of the hook's cost. The options
# are immutable, so one tuple serves every statement of that shape; bounded like the shapes.
_options_by_scope: dict[tuple[int, tuple[type[TenantOwned], ...]], tuple[Any, ...]] = {}


def _criteria_options(org_id: int, classes: tuple[type[TenantOwned], ...]) -> tuple[Any, ...]:
    options = _options_by_scope.get((org_id, classes))
    if options is None:
        if len(_options_by_scope) >= _SHAPES_KEPT:
            _options_by_scope.clear()
        options = _options_by_scope[(org_id, classes)] = tuple(
            with_loader_criteria(cls, cls.org_id == org_id, include_aliases=True)  # type: ignore[arg-type]
            for cls in classes
        )
    return options


@event.listens_for(_OrmSession, "do_orm_execute")
def _scope_statement(state: ORMExecuteState) -> None:
    org_id = state.session.info.get(ORG_KEY)
    if org_id is None:
        classes = _tenant_classes_in(state.statement)
        if classes and not state.session.info.get(SYSTEM_KEY):
            raise TenantScopeError("tenant-owned data needs tenant_session(ctx)")
        if classes and (state.is_update or state.is_delete or state.is_insert):
            bump_data_version(state.session, None)  # which organisations: not known here
        return
    classes = _tenant_classes_in(state.statement)
    if not classes:
        return
    dml = state.is_update or state.is_delete or state.is_insert  # bulk DML skips the flush
    if dml and any(c.refused_when_read_only for c in classes):
        _refuse_if_read_only(state.session)
    if dml:
        bump_data_version(state.session, org_id)
    if state.is_select or state.is_update or state.is_delete:
        # Criteria only for the tenant tables this statement touches: one option per table,
        # not one per tenant table in the schema (most of a query's cost otherwise).
        state.statement = state.statement.options(*_criteria_options(org_id, classes))


_BUMP_ORG = text("UPDATE organization SET data_version = data_version + 1 WHERE id = :id")
_BUMP_EVERY_ORG = text("UPDATE organization SET data_version = data_version + 1")
# Tables outside TenantOwned whose rows an organisation's views show (the organisation itself,
# its members' names): table name -> the UPDATE that bumps the versions that row feeds, given
# the row's `id`. Registered by the domain that owns the table (db.py imports none).
_version_followers: dict[str, Any] = {"organization": _BUMP_ORG}


def versions_follow(table_name: str, bump_sql: str) -> None:
    """A write to a row of `table_name` bumps the versions `bump_sql` (given `:id`) names."""
    _version_followers[table_name] = text(bump_sql)


def bump_data_version(session: _OrmSession, org_id: int | None) -> None:
    """Bump organisation `org_id`'s data version (None: every organisation's) once in this
    transaction: a cached view of that organisation is not reused after this commits."""
    _bump(session, ("org", org_id), _BUMP_EVERY_ORG if org_id is None else _BUMP_ORG, org_id)


def _bump(session: _OrmSession, key: tuple[str, Any], statement: Any, row_id: Any) -> None:
    done: set[tuple[str, Any]] = session.info.setdefault(BUMPED_KEY, set())
    if key not in done:
        done.add(key)
        deferred = session.info.get(DEFERRED_KEY)
        if deferred is not None:
            deferred.append((statement, row_id))
        else:
            session.connection().execute(statement, {"id": row_id})


def bump_after_commit(session: _OrmSession) -> list[tuple[Any, Any]]:
    """Hold this session's version bumps until after its commit (`commit_then_bump` runs
    them, in a transaction of their own): its transaction then never waits on, nor holds,
    the organisation's row, which every other writer of the organisation locks first. Only
    for a transaction whose every other lock is taken in an order the other writers of
    those rows keep (a survey submission: its team's row first). Costs freshness, not
    correctness of data: a view cached before the commit may be reused until the bump
    lands, just after it (or, if it never does or a crash loses it, the views' maximum age).
    SQLite has no row locks and one writer at a time: nothing is held there, the bumps stay
    in the transaction (a second write transaction after it would buy nothing)."""
    if session.get_bind().dialect.name != "postgresql":
        return []
    return session.info.setdefault(DEFERRED_KEY, [])


def commit_then_bump(connection: Connection, deferred: list[tuple[Any, Any]]) -> bool:
    """Commit `connection`'s transaction, then the bumps `bump_after_commit` held, each its own
    transaction (`driver_commit_then`: on PostgreSQL the first in the commit's round trip).
    Raises if the commit fails; False if only a bump did (the data is in: bump_after_commit)."""
    return driver_commit_then(connection, [(s, {"id": row_id}) for s, row_id in deferred])


@event.listens_for(_OrmSession, "after_transaction_end")
def _forget_bumps(session: _OrmSession, transaction: Any) -> None:
    """A savepoint rolled back may have undone a bump, and a new transaction has made none:
    the next write bumps again. The subtransaction each flush opens ends with the flush and
    undoes nothing: the bumps it made still hold (one bump per transaction, not per flush)."""
    if transaction.nested or transaction.parent is None:
        session.info.pop(BUMPED_KEY, None)


def _bump_for_flush(session: _OrmSession, objects: list[Any]) -> None:
    """Bump first (the organisation's row is locked before any other row this flush writes,
    so two writers of one organisation queue there instead of deadlocking)."""
    orgs = {obj.org_id for obj in objects if isinstance(obj, TenantOwned)}
    for org_id in sorted(o for o in orgs if o is not None):
        bump_data_version(session, org_id)
    new = set(map(id, session.new))
    for obj in objects:
        follower = _version_followers.get(getattr(obj, "__tablename__", ""))
        if follower is not None and id(obj) not in new:  # a new row has no view yet
            _bump(session, (obj.__tablename__, obj.id), follower, obj.id)


@event.listens_for(_OrmSession, "before_flush")
def _stamp_and_guard(session: _OrmSession, _ctx: Any, _instances: Any) -> None:
    org_id = session.info.get(ORG_KEY)
    new = list(session.new)  # each access to session.new builds a fresh set: read it once
    objects = [*new, *session.dirty, *session.deleted]
    guarded = False
    for obj in objects:
        if not isinstance(obj, TenantOwned):
            continue
        if org_id is None:
            if not session.info.get(SYSTEM_KEY):
                raise TenantScopeError("tenant-owned data needs tenant_session(ctx)")
            continue
        if obj.org_id is None:  # only a new row can lack it: the column is NOT NULL
            obj.org_id = org_id
        if obj.org_id != org_id:
            raise NotFound()
        guarded = guarded or obj.refused_when_read_only
    if guarded:
        _refuse_if_read_only(session)
    _bump_for_flush(session, objects)


@event.listens_for(_OrmSession, "after_begin")
def _postgres_row_security(session: _OrmSession, _tx: Any, connection: Any) -> None:
    org_id = session.info.get(ORG_KEY)
    if org_id is None or connection.dialect.name != "postgresql":
        return
    scoped = connection.info.pop(SCOPED_KEY, None)
    if scoped == (connection.get_transaction(), org_id):  # find_tenant took this scope
        return
    # One round trip for both (every tenant transaction pays it): the role name is checked
    # by the settings, and the organisation is an int, so neither needs a bound parameter.
    role = get_settings().db_tenant_role
    scope = f"SELECT set_config('app.org_id', '{int(org_id)}', true)"
    connection.exec_driver_sql(f'SET LOCAL ROLE "{role}"; {scope}' if role else scope)


_INT_MAX = 2**31 - 1
M = TypeVar("M")


def get_in_org(session: Session, cls: type[M], row_id: object, what: str = "That item") -> M:
    """A row by id inside the session's organisation: missing, not yours, or an id that is
    not a number at all all give the same NotFound."""
    try:
        key = int(str(row_id))
    except ValueError:
        raise NotFound(what) from None
    row = session.get(cls, key) if -_INT_MAX <= key <= _INT_MAX else None
    if row is None:
        raise NotFound(what)
    return row


def _writes(statement: Any) -> bool:
    """Whether a statement writes: DML, or a SELECT with a data-modifying WITH."""
    return bool(statement.is_dml) or any(
        isinstance(element, UpdateBase) for element in visitors.iterate(statement)
    )


def _check_reads(statement: Any) -> None:
    if statement not in _reads:
        if _writes(statement):
            raise TenantScopeError("system_read reads; write in a session")
        if len(_reads) >= _SHAPES_KEPT:
            _reads.clear()
        _reads.add(statement)


def tenant_scoped(session: _OrmSession, statement: Any) -> Any:
    """`statement` scoped as the tenancy hook scopes it in `session`, to run on
    `session.connection()`: the hook's criteria (`_criteria_options`) on every tenant table
    it reads, updates or deletes, the read-only refusal and the data-version bump of a
    write (here also a write inside a WITH, which the hook, seeing a SELECT, would not
    bump). Cheaper than `session.execute` on a hot path: the scoped statement is built once
    per organisation and statement object, so its walk and cache key are computed once.
    Only for statements built once (module constants with bound parameters). An INSERT's
    org_id is the caller's to give (`tenant_org_id`), as with `session.execute`."""
    org_id = tenant_org_id(session)
    found = _scoped_statements.get((org_id, statement))
    if found is None:
        classes = _tenant_classes_in(statement)
        writes = bool(classes) and _writes(statement)
        guarded = writes and any(c.refused_when_read_only for c in classes)
        scoped = statement
        if classes and (statement.is_select or statement.is_update or statement.is_delete):
            scoped = statement.options(*_criteria_options(org_id, classes))
        if len(_scoped_statements) >= _SHAPES_KEPT:
            _scoped_statements.clear()
        found = _scoped_statements[(org_id, statement)] = (scoped, writes, guarded)
    scoped, writes, guarded = found
    if guarded:
        _refuse_if_read_only(session)
    if writes:
        bump_data_version(session, org_id)
    return scoped


def tenant_rows(session: _OrmSession, statement: Any, params: dict[str, Any]) -> list[Any]:
    """`tenant_scoped(session, statement)`'s rows on the session's connection (driver_rows)."""
    scoped = tenant_scoped(session, statement)
    return driver_rows(session.connection(), scoped, params)


def tenant_org_id(session: _OrmSession) -> int:
    """The organisation of a tenant session: the org_id a Core INSERT through it gives a new
    row, as the flush stamps it on an ORM one (the hook scopes UPDATE/SELECT/DELETE, not
    the VALUES of an INSERT; on PostgreSQL row-level security checks them as well)."""
    org_id = session.info.get(ORG_KEY)
    if org_id is None:
        raise TenantScopeError("tenant-owned data needs tenant_session(ctx)")
    return int(org_id)


@contextmanager
def tenant_session(
    ctx: TenantContext, *, engine: Engine | Connection | None = None
) -> Iterator[Session]:
    """One unit of work inside one organisation: committed on success, rolled back on error."""
    with Session(engine or get_engine(), expire_on_commit=False) as session:
        session.info[ORG_KEY] = ctx.org_id
        session.info[CTX_KEY] = ctx
        session.begin()
        try:
            yield session
        except BaseException:
            session.rollback()
            raise
        if session.info.get(REFUSED_KEY):  # a refused write the caller caught: keep nothing
            session.rollback()
        else:
            session.commit()


def system_read(connection: Connection, statement: Any, params: dict[str, Any]) -> Any:
    """A Core read with no organisation on `connection`, for what precedes any (a survey
    link's token -> its organisation): `system_session`'s escape hatch without a Session's
    cost, greppable the same way. Reads only; nothing it returns is scoped."""
    _check_reads(statement)
    return connection.execute(statement, params)


def find_tenant(connection: Connection, statement: Any, params: dict[str, Any]) -> Any:
    """`system_read(...).first()` for a read (built once) whose first column is an
    organisation's id; on PostgreSQL it also takes, for the transaction, the scope a tenant
    session begins with (tenant role, `app.org_id`): a `tenant_session(ctx, engine=connection)`
    of that organisation opened next in this transaction makes no round trip for it."""
    if connection.dialect.name != "postgresql":
        return system_read(connection, statement, params).first()
    if not connection.in_transaction() or connection.in_nested_transaction():
        raise TenantScopeError("find_tenant scopes a transaction: begin one (no savepoint)")
    _check_reads(statement)
    role = get_settings().db_tenant_role
    scoping = _scoping_reads.get((statement, role))
    if scoping is None:
        found = statement.subquery()
        org = sa.func.set_config("app.org_id", sa.cast(found.c[0], sa.String), sa.true())
        scoping = sa.select(*found.c, org).limit(1)  # one row: one organisation set
        if role:  # set_config('role', ..., true) is SET LOCAL ROLE
            scoping = scoping.add_columns(sa.func.set_config("role", sa.literal(role), sa.true()))
        if len(_scoping_reads) >= _SHAPES_KEPT:
            _scoping_reads.clear()
        _scoping_reads[(statement, role)] = scoping
    for row in driver_rows(connection, scoping, params):  # the organisation it set, then the row
        width = len(statement.selected_columns)
        connection.info[SCOPED_KEY] = (connection.get_transaction(), int(row[width]))
        return row[:width]
    return None


_scoping_reads: dict[tuple[Any, str], Any] = {}  # find_tenant's statements, built once each


@contextmanager
def system_session(*, engine: Engine | Connection | None = None) -> Iterator[Session]:
    """A unit of work with no organisation (identity look-ups, webhooks, seeding)."""
    with Session(engine or get_engine(), expire_on_commit=False) as session:
        session.info[SYSTEM_KEY] = True
        with session.begin():
            yield session


P = ParamSpec("P")
R = TypeVar("R")


async def run_sync(fn: Callable[P, R], *args: P.args, **kwargs: P.kwargs) -> R:
    """Run blocking database work off the event loop (Reflex handlers are async)."""
    return await asyncio.to_thread(partial(fn, *args, **kwargs))


def work_in_tenant(ctx: TenantContext, fn: Callable[..., R], /, **kwargs: Any) -> R:
    """Call a service `fn(session=, ctx=, **kwargs)` in one tenant transaction (blocking)."""
    with tenant_session(ctx) as session:
        return fn(session=session, ctx=ctx, **kwargs)


async def in_tenant(ctx: TenantContext, fn: Callable[..., R], /, **kwargs: Any) -> R:
    """`work_in_tenant` off the event loop."""
    return await asyncio.to_thread(partial(work_in_tenant, ctx, fn, **kwargs))


# Views computed by `cached_in_tenant`, newest last: (fn, org, version, user, role, kwargs) ->
# (when, the pickled view). Pickled so that a caller changing what it got cannot change what
# the next caller gets. Bounded; an entry lives at most _VIEW_MAX_AGE_S (a view may also
# depend on the clock: "overdue", "generated at").
_views: OrderedDict[tuple[Any, ...], tuple[float, bytes]] = OrderedDict()
_VIEWS_KEPT = 512
_VIEW_MAX_AGE_S = 60.0


def forget_cached_views() -> None:
    _views.clear()


async def cached_in_tenant(ctx: TenantContext, fn: Callable[..., R], /, **kwargs: Any) -> R:
    """`in_tenant(ctx, fn, **kwargs)`, reusing the result computed for the same caller (org,
    user, role), arguments and data version of the organisation: a write to the organisation
    bumps its version in the write's own transaction, so a reused view is never older than
    the version the caller's session look-up read. Without a version (0), always computed."""
    if not ctx.data_version:
        return await in_tenant(ctx, fn, **kwargs)
    key = (
        fn.__module__,
        fn.__qualname__,
        ctx.org_id,
        ctx.data_version,
        ctx.user_id,
        ctx.role,
        tuple(sorted(kwargs.items())),
    )
    now = time.monotonic()
    found = _views.get(key)
    if found is not None and now - found[0] < _VIEW_MAX_AGE_S:
        _views.move_to_end(key)
        return pickle.loads(found[1])  # noqa: S301 (bytes this process pickled itself)
    result = await in_tenant(ctx, fn, **kwargs)
    _views[key] = (now, pickle.dumps(result, protocol=pickle.HIGHEST_PROTOCOL))
    _views.move_to_end(key)
    while len(_views) > _VIEWS_KEPT:
        _views.popitem(last=False)
    return result
