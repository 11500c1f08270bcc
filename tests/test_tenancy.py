"""The tenant-scoping mechanism, checked over every tenant-owned table of every domain.

Organisation B is filled through the demo seed (which reaches every domain's tables) plus the
row makers below for tables the seed leaves empty. A tenant session of organisation A then
must not read, list, count, change or delete any of B's rows, by any id.
"""

from __future__ import annotations

import pytest
from sqlalchemy import delete, func, tuple_, update
from sqlalchemy import inspect as sa_inspect
from sqlmodel import SQLModel, select

from pmo_saas.db import (
    TenantOwned,
    TenantScopeError,
    _tenant_classes,
    system_session,
    tenant_session,
)
from pmo_saas.identity import services as identity
from pmo_saas.identity.models import Organization, Team
from pmo_saas.kernel.errors import NotFound
from pmo_saas.seed import DEMO_SLUG, seed_demo
from tests import factories


def _fill_org_b() -> int:
    """The demo organisation with every tenant table populated; returns its org id."""
    seed_demo()
    with system_session() as session:
        org_id = session.exec(select(Organization.id).where(Organization.slug == DEMO_SLUG)).one()
    assert org_id is not None
    owner = identity.workspace_context(user_id=_demo_owner_id(), slug=DEMO_SLUG)
    for make in factories.TENANT_ROW_MAKERS.values():
        make(owner)
    return org_id


def _demo_owner_id() -> int:
    from pmo_saas.identity.models import User
    from pmo_saas.seed import DEMO_OWNER

    with system_session() as session:
        user_id = session.exec(select(User.id).where(User.email == DEMO_OWNER)).one()
    assert user_id is not None
    return user_id


def test_every_tenant_table_is_isolated(org_a):
    org_b_id = _fill_org_b()
    classes = _tenant_classes()
    assert {c.__tablename__ for c in classes} >= {"membership", "team", "invitation"}
    empty = []
    for cls in classes:
        pk = list(sa_inspect(cls).primary_key)
        key = tuple_(*pk)
        with system_session() as session:
            their_keys = [
                tuple(r)
                for r in session.execute(
                    select(*pk).where(cls.org_id == org_b_id)  # type: ignore[attr-defined]
                ).all()
            ]
        if not their_keys:
            empty.append(cls.__tablename__)
            continue
        name = cls.__tablename__
        with tenant_session(org_a) as session:
            assert session.exec(select(cls).where(key.in_(their_keys))).all() == [], name
            assert all(session.get(cls, k if len(k) > 1 else k[0]) is None for k in their_keys)
            count = session.exec(
                select(func.count()).select_from(cls).where(key.in_(their_keys))
            ).one()
            assert count == 0, name
            changed = session.exec(
                update(cls).where(key.in_(their_keys)).values(org_id=org_a.org_id)
            )
            assert changed.rowcount == 0, name
            removed = session.exec(delete(cls).where(key.in_(their_keys)))
            assert removed.rowcount == 0, name
        with system_session() as session:
            still = session.exec(
                select(func.count()).select_from(cls).where(key.in_(their_keys))
            ).one()
        assert still == len(their_keys), name
    assert empty == [], f"add a row maker in tests/factories.py for: {empty}"


def test_a_row_of_another_org_cannot_be_written_through_the_session(org_a, org_b):
    team_b = factories.make_team(org_b, "Theirs")
    with system_session() as session:
        theirs = session.get(Team, team_b)
    assert theirs is not None
    with pytest.raises(NotFound), tenant_session(org_a) as session:
        theirs.name = "Hijacked"
        session.add(theirs)
        session.flush()
    with pytest.raises(NotFound), tenant_session(org_a) as session:
        session.add(Team(org_id=org_b.org_id, name="Planted"))
        session.flush()
    with system_session() as session:
        assert session.get(Team, team_b).name == "Theirs"
        assert session.exec(select(Team).where(Team.name == "Planted")).first() is None


def test_new_rows_are_stamped_with_the_current_org(org_a):
    with tenant_session(org_a) as session:
        team = Team(name="Stamped")
        session.add(team)
        session.flush()
        assert team.org_id == org_a.org_id


def test_unscoped_sessions_cannot_touch_tenant_tables():
    from sqlmodel import Session

    from pmo_saas.db import get_engine

    with Session(get_engine()) as session, pytest.raises(TenantScopeError):
        session.exec(select(Team)).all()


# Random tokens and outside systems' ids are unique across all organisations by nature.
GLOBAL_UNIQUE_WORDS = ("token", "hash", "stripe", "external", "state", "event_id")
# Deliberately unique across organisations: an SSO email domain is verified by one org at most.
GLOBAL_UNIQUE_INDEXES = {"uq_ssodomain_verified_domain"}


def test_every_tenant_table_has_an_indexed_org_id_and_org_scoped_uniques():
    for table in SQLModel.metadata.sorted_tables:
        if "org_id" not in table.c:
            continue
        assert any("org_id" in ix.columns for ix in table.indexes), table.name
        uniques = [
            [c.name for c in k.columns]
            for k in table.constraints
            if k.__class__.__name__ == "UniqueConstraint"
        ]
        uniques += [
            [c.name for c in ix.columns]
            for ix in table.indexes
            if ix.unique and ix.name not in GLOBAL_UNIQUE_INDEXES
        ]
        for cols in uniques:
            globally_unique = any(word in "_".join(cols) for word in GLOBAL_UNIQUE_WORDS)
            assert "org_id" in cols or globally_unique, (table.name, cols)
    assert issubclass(Team, TenantOwned)


def test_joins_and_subqueries_are_scoped_too(org_a, org_b):
    member_b = factories.make_member(org_b, name="Bo")
    team_b = factories.make_team(org_b, "Theirs", members=[member_b])
    team_a = factories.make_team(org_a, "Ours")
    from pmo_saas.identity.models import Membership, TeamMember, User

    with tenant_session(org_a) as session:
        # Subquery on another tenant table: B's team memberships are not visible.
        in_sub = session.exec(select(Team).where(Team.id.in_(select(TeamMember.team_id)))).all()
        assert in_sub == []
        # Join across tenant tables and a global one.
        joined = session.exec(
            select(User.name).join(Membership, Membership.user_id == User.id)  # type: ignore[arg-type]
        ).all()
        assert "Bo" not in joined
        # An ORM update through a subquery cannot reach B's rows.
        session.exec(
            update(Team)
            .where(Team.id.in_(select(TeamMember.team_id)))  # type: ignore[union-attr]
            .values(name="Renamed")
        )
    with system_session() as session:
        assert session.get(Team, team_b).name == "Theirs"
        assert session.get(Team, team_a).name == "Ours"
