"""db.tenant_scoped: Core statements run on a tenant session's connection get the tenancy
hook's criteria, refusal and bump; db.system_read reads without an organisation, never
writes."""

from __future__ import annotations

import os

import pytest
from sqlalchemy import bindparam, func, literal, update
from sqlmodel import col, select

from pmo_saas.db import (
    BUMPED_KEY,
    TenantScopeError,
    _writes,
    get_engine,
    system_read,
    system_session,
    tenant_scoped,
    tenant_session,
)
from pmo_saas.identity.models import Organization, Team
from pmo_saas.kernel.context import TenantContext
from pmo_saas.kernel.errors import ReadOnly
from pmo_saas.surveys.models import SurveyTeam
from pmo_saas.surveys.services.responding import _COUNT_AND_LOCK
from tests import factories
from tests.surveys.helpers import launch, team_with

POSTGRES = os.environ["PMO_DATABASE_URL"].startswith("postgresql")

# Built once, as a hot path builds them: no org_id anywhere in them.
_RENAME = (
    update(Team)
    .where(col(Team.id) == bindparam("team"))
    .values(name=bindparam("new_name"))
    .returning(literal(1))
    .execution_options(synchronize_session=False)
)
_NAME = select(col(Team.name)).where(col(Team.id) == bindparam("team"))
_RENAMED_IN_A_WITH = select(
    select(func.count()).select_from(_RENAME.cte("renamed")).scalar_subquery()
)


def _version(org_id: int) -> int:
    with system_session() as session:
        org = session.get(Organization, org_id)
        assert org is not None
        return org.data_version


def _run(ctx: TenantContext, statement, **params):
    with tenant_session(ctx) as session:
        return session.connection().execute(tenant_scoped(session, statement), params).all()


def test_a_scoped_statement_sees_and_changes_only_its_organisation(org_a, org_b):
    mine = factories.make_team(org_a, "Mine", [])
    theirs = factories.make_team(org_b, "Theirs", [])
    assert _run(org_a, _NAME, team=mine) == [("Mine",)]
    assert _run(org_a, _NAME, team=theirs) == []
    assert _run(org_a, _RENAME, team=theirs, new_name="Taken") == []
    if POSTGRES:  # SQLite has no data-modifying WITH
        assert _run(org_a, _RENAMED_IN_A_WITH, team=theirs, new_name="Taken") == [(0,)]
    assert _run(org_b, _NAME, team=theirs) == [("Theirs",)]  # untouched
    assert _run(org_a, _RENAME, team=mine, new_name="Renamed") == [(1,)]
    assert _run(org_a, _NAME, team=mine) == [("Renamed",)]
    # One statement object scoped for two organisations: each gets its own.
    assert _run(org_b, _NAME, team=mine) == []


def test_a_scoped_write_bumps_the_version_and_a_read_does_not(org_a):
    team = factories.make_team(org_a, "Mine", [])
    before = _version(org_a.org_id)
    _run(org_a, _NAME, team=team)
    assert _version(org_a.org_id) == before
    _run(org_a, _RENAME, team=team, new_name="Once")
    assert _version(org_a.org_id) == before + 1
    if POSTGRES:  # a write inside a WITH is a write (the hook, seeing a SELECT, misses it)
        _run(org_a, _RENAMED_IN_A_WITH, team=team, new_name="Twice")
        assert _version(org_a.org_id) == before + 2
    assert _writes(_RENAMED_IN_A_WITH) and _writes(_RENAME) and not _writes(_NAME)


def test_a_scoped_write_to_a_guarded_table_is_refused_when_read_only(org_a, billing_on):
    team, _ = team_with(org_a, "Alpha", 1)
    launch(org_a, [team])
    with tenant_session(org_a) as session:
        surveyed = session.exec(select(SurveyTeam.id)).one()
    factories.lapse_subscription(org_a)
    with pytest.raises(ReadOnly):
        _run(org_a, _COUNT_AND_LOCK, team=surveyed, opened=0)
    with tenant_session(org_a) as session:
        assert session.exec(select(SurveyTeam.responses)).one() == 0


def test_tenant_scoped_needs_a_tenant_session(org_a):
    with system_session() as session, pytest.raises(TenantScopeError):
        tenant_scoped(session, _NAME)
    with tenant_session(org_a) as session:
        tenant_scoped(session, _NAME)
        assert not session.info.get(BUMPED_KEY)  # a read bumps nothing


def test_system_read_reads_without_an_organisation_and_refuses_writes(org_a, org_b):
    theirs = factories.make_team(org_b, "Theirs", [])
    with get_engine().connect() as conn:
        assert system_read(conn, _NAME, {"team": theirs}).all() == [("Theirs",)]
        with pytest.raises(TenantScopeError, match="reads"):
            system_read(conn, _RENAME, {"team": theirs, "new_name": "Taken"})
        with pytest.raises(TenantScopeError, match="reads"):
            system_read(conn, _RENAMED_IN_A_WITH, {"team": theirs, "new_name": "Taken"})
