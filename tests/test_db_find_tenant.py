"""db.find_tenant: a system read that finds an organisation takes, on PostgreSQL and in the
same statement, the tenant scope the tenancy hook would send next (the tenant role, the
found organisation's app.org_id); the hook then skips its own round trip, for that
organisation in that transaction only."""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager

import pytest
from sqlalchemy import bindparam, event, insert, literal, text
from sqlmodel import col, select

from pmo_saas.db import (
    TenantScopeError,
    find_tenant,
    get_engine,
    tenant_session,
)
from pmo_saas.identity.models import Team
from pmo_saas.kernel.context import TenantContext
from pmo_saas.kernel.roles import Role
from pmo_saas.settings import get_settings
from tests import factories

POSTGRES = os.environ["PMO_DATABASE_URL"].startswith("postgresql")

# A look-up as a survey link's is: by a value only the caller knows, its organisation first.
_BY_NAME = select(col(Team.org_id), col(Team.id)).where(col(Team.name) == bindparam("name"))
_TEAM = select(col(Team.name), col(Team.created_at)).where(col(Team.id) == bindparam("team"))
_SCOPE = text("SELECT current_user, current_setting('app.org_id', true)")


@contextmanager
def _sent() -> Iterator[list[str]]:
    """The SQL sent meanwhile (a listener: driver_sql then takes SQLAlchemy's own path)."""
    statements: list[str] = []

    def record(_conn: object, _cursor: object, sql: str, *_args: object) -> None:
        statements.append(sql)

    event.listen(get_engine(), "before_cursor_execute", record)
    try:
        yield statements
    finally:
        event.remove(get_engine(), "before_cursor_execute", record)


def _scope_set(statements: list[str]) -> bool:
    return any("SET LOCAL ROLE" in s or "set_config('app.org_id'" in s for s in statements)


def test_the_look_up_finds_its_row_and_the_session_sees_only_that_organisation(org_a, org_b):
    mine = factories.make_team(org_a, "Ours")
    factories.make_team(org_b, "Theirs")
    with get_engine().connect() as conn, conn.begin():
        row = find_tenant(conn, _BY_NAME, {"name": "Ours"})
        assert tuple(row) == (org_a.org_id, mine)
        with _sent() as statements, tenant_session(org_a, engine=conn) as session:
            names = session.exec(select(Team.name)).all()
            raw = session.execute(text("SELECT name FROM team ORDER BY name")).scalars().all()
        assert names == ["Ours"]  # the criteria
        assert raw == (["Ours"] if POSTGRES else ["Ours", "Theirs"])  # row-level security
        assert not _scope_set(statements), statements  # the look-up took it: no round trip


def test_a_forged_look_up_scopes_nothing_and_the_session_scopes_itself(org_a, org_b):
    factories.make_team(org_b, "Theirs")
    with get_engine().connect() as conn, conn.begin():
        assert find_tenant(conn, _BY_NAME, {"name": "No such team"}) is None
        with _sent() as statements, tenant_session(org_a, engine=conn) as session:
            raw = session.execute(text("SELECT name FROM team")).scalars().all()
        assert raw == ([] if POSTGRES else ["Theirs"])
        assert _scope_set(statements) == POSTGRES


def test_another_organisations_look_up_does_not_scope_this_session(org_a, org_b):
    """Found in B, worked in A: the hook sends A's scope; B's rows stay out of sight."""
    factories.make_team(org_a, "Ours")
    factories.make_team(org_b, "Theirs")
    with get_engine().connect() as conn, conn.begin():
        assert find_tenant(conn, _BY_NAME, {"name": "Theirs"})[0] == org_b.org_id
        with _sent() as statements, tenant_session(org_a, engine=conn) as session:
            raw = session.execute(text("SELECT name FROM team ORDER BY name")).scalars().all()
            changed = session.execute(text("UPDATE team SET name = 'x' WHERE name = 'Theirs'"))
            if POSTGRES:  # SQLite has no wall below the criteria for raw SQL
                assert raw == ["Ours"] and changed.rowcount == 0
            session.rollback()
        assert _scope_set(statements) == POSTGRES


def test_the_scope_lasts_one_transaction(org_a):
    factories.make_team(org_a, "Ours")
    with get_engine().connect() as conn:
        with conn.begin():
            find_tenant(conn, _BY_NAME, {"name": "Ours"})
        with conn.begin(), _sent() as statements, tenant_session(org_a, engine=conn) as session:
            session.execute(text("SELECT 1"))
        assert _scope_set(statements) == POSTGRES


def test_find_tenant_reads_only_and_needs_a_transaction_of_its_own(org_a):
    factories.make_team(org_a, "Ours")
    with get_engine().connect() as conn:
        with conn.begin(), pytest.raises(TenantScopeError):
            find_tenant(conn, insert(Team).values(name="x").returning(literal(1)), {})
        if POSTGRES:
            conn.rollback()
            with pytest.raises(TenantScopeError):  # set_config(..., true) needs a transaction
                find_tenant(conn, _BY_NAME, {"name": "Ours"})
            with conn.begin(), conn.begin_nested(), pytest.raises(TenantScopeError):
                find_tenant(conn, _BY_NAME, {"name": "Ours"})  # a savepoint could undo it


if POSTGRES:

    def test_the_look_up_takes_the_tenant_role_and_organisation(org_a, org_b):
        factories.make_team(org_b, "Theirs")
        with get_engine().connect() as conn, conn.begin():
            assert conn.execute(_SCOPE).one()[0] != get_settings().db_tenant_role
            find_tenant(conn, _BY_NAME, {"name": "Theirs"})
            role, org = conn.execute(_SCOPE).one()
            assert (role, org) == (get_settings().db_tenant_role, str(org_b.org_id))
            raw = conn.execute(text("SELECT count(*) FROM team WHERE org_id <> :o"), {"o": org})
            assert raw.scalar() == 0  # row-level security holds from the next statement on
        with get_engine().connect() as conn, conn.begin():  # and ends with the transaction
            assert conn.execute(_SCOPE).one() != (get_settings().db_tenant_role, str(org))


if POSTGRES:

    def test_a_look_up_matching_several_organisations_scopes_the_one_it_returns(org_a, org_b):
        factories.make_team(org_a, "Same name")
        factories.make_team(org_b, "Same name")
        for _ in range(3):
            with get_engine().connect() as conn, conn.begin():
                row = find_tenant(conn, _BY_NAME, {"name": "Same name"})
                assert conn.execute(_SCOPE).one()[1] == str(row[0])
                ctx = TenantContext(org_id=row[0], user_id=None, role=Role.MEMBER)
                with tenant_session(ctx, engine=conn) as session:
                    orgs = session.execute(text("SELECT DISTINCT org_id FROM team")).all()
                assert orgs == [(row[0],)]
