"""driver_sql: built-once statements run on the driver give SQLAlchemy's rows and errors;
a commit and the version bump after it share one round trip, and a bump that fails after
the commit loses nothing of the committed transaction."""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC

import pytest
from sqlalchemy import bindparam, event, insert, text
from sqlalchemy.exc import IntegrityError
from sqlmodel import col, select

from pmo_saas.db import _BUMP_ORG, commit_then_bump, get_engine, tenant_rows, tenant_session
from pmo_saas.driver_sql import driver_rows
from pmo_saas.identity.models import Organization, Team
from pmo_saas.kernel.context import TenantContext
from tests import factories

POSTGRES = os.environ["PMO_DATABASE_URL"].startswith("postgresql")
_TEAM = select(col(Team.name), col(Team.created_at)).where(col(Team.id) == bindparam("team"))
_VERSION = select(col(Organization.data_version)).where(col(Organization.id) == bindparam("o"))
_FAILING_BUMP = text("UPDATE organization SET data_version = 1 / 0 WHERE id = :id")


@contextmanager
def _listened() -> Iterator[None]:
    """A listener on the engine: driver_sql then takes SQLAlchemy's own path."""

    def record(*_args: object) -> None:
        pass

    event.listen(get_engine(), "before_cursor_execute", record)
    try:
        yield
    finally:
        event.remove(get_engine(), "before_cursor_execute", record)


def _ctx_rows(ctx: TenantContext, team: int) -> tuple[list[object], list[object]]:
    with tenant_session(ctx) as session:
        fast = tenant_rows(session, _TEAM, {"team": team})
        with _listened():  # SQLAlchemy's own path, for comparison
            ordinary = tenant_rows(session, _TEAM, {"team": team})
    return fast, ordinary


def test_driver_rows_match_sqlalchemys_and_stay_scoped(org_a, org_b):
    mine = factories.make_team(org_a, "Ours")
    theirs = factories.make_team(org_b, "Theirs")
    fast, ordinary = _ctx_rows(org_a, mine)
    assert [tuple(r) for r in fast] == [tuple(r) for r in ordinary]
    assert fast[0][0] == "Ours" and fast[0][1].tzinfo == UTC  # the column type's processing
    assert _ctx_rows(org_a, theirs) == ([], [])


def test_driver_rows_raise_sqlalchemys_errors(org_a):
    mine = factories.make_team(org_a, "Ours")
    again = insert(Team).values(
        id=bindparam("team"), org_id=bindparam("org"), name="Dup", created_at=bindparam("at")
    )
    with get_engine().connect() as conn, conn.begin():
        at = conn.execute(select(Team.created_at).where(Team.id == mine)).scalar()
        with pytest.raises(IntegrityError):
            driver_rows(conn, again, {"team": mine, "org": org_a.org_id, "at": at})


def _version(org_id: int) -> int:
    with get_engine().connect() as conn:
        return conn.execute(_VERSION, {"o": org_id}).scalar_one()


def test_the_commit_and_the_bump_after_it(org_a):
    before = _version(org_a.org_id)
    with get_engine().connect() as conn:
        conn.begin()
        conn.execute(text("UPDATE team SET name = name"))
        assert commit_then_bump(conn, [(_BUMP_ORG, org_a.org_id)])
        assert conn.execute(_VERSION, {"o": org_a.org_id}).scalar_one() == before + 1
    assert _version(org_a.org_id) == before + 1


def test_a_bump_failing_after_the_commit_loses_nothing_committed(org_a):
    mine = factories.make_team(org_a, "Ours")
    before = _version(org_a.org_id)
    with get_engine().connect() as conn:
        conn.begin()
        conn.execute(text("UPDATE team SET name = 'Renamed' WHERE id = :t"), {"t": mine})
        assert not commit_then_bump(conn, [(_FAILING_BUMP, org_a.org_id)])
        assert conn.execute(text("SELECT 1")).scalar() == 1  # the connection still works
    with tenant_session(org_a) as session:
        assert session.get(Team, mine).name == "Renamed"
    assert _version(org_a.org_id) == before


if POSTGRES:

    def test_a_failing_commit_raises_and_bumps_nothing(org_a):
        before = _version(org_a.org_id)
        with get_engine().connect() as conn:
            conn.begin()
            conn.execute(
                text("CREATE TEMP TABLE once (x int UNIQUE DEFERRABLE INITIALLY DEFERRED)")
            )
            conn.execute(text("INSERT INTO once VALUES (1), (1)"))  # refused at COMMIT
            with pytest.raises(IntegrityError):
                commit_then_bump(conn, [(_BUMP_ORG, org_a.org_id)])
            conn.rollback()  # as after any failed commit (a no-op if it was rolled back)
            assert conn.execute(text("SELECT 1")).scalar() == 1
        assert _version(org_a.org_id) == before
