"""The organisation's data version and the views reused while it holds (db.cached_in_tenant).

A write to an organisation's rows bumps its version in the write's own transaction (and no
other organisation's); a view is reused only for the same organisation, user, role, arguments
and version, so org B never gets org A's view, and a write, a role change or a removal is seen
on the next event. The session look-up itself is never cached: a revoked session is refused at
once.
"""

from __future__ import annotations

from dataclasses import replace

import pytest
from sqlmodel import Session, col, select, update

from pmo_saas.db import cached_in_tenant, forget_cached_views, system_session, tenant_session
from pmo_saas.identity import services as identity
from pmo_saas.identity.models import Membership, Organization, User
from pmo_saas.kernel.context import TenantContext
from pmo_saas.kernel.roles import Role
from pmo_saas.portfolio import views
from pmo_saas.portfolio.models import Initiative
from tests import factories
from tests.portfolio.builders import make_initiative, make_portfolio
from tests.state_harness import run

computed: list[int] = []


def _titles(*, session: Session, ctx: TenantContext, portfolio_id: int) -> list[str]:
    """A view that counts how often it is computed (not reused)."""
    computed.append(ctx.org_id)
    view = views.initiatives_view(session=session, ctx=ctx, portfolio_id=portfolio_id)
    return [c.title for c in view.cards]


def _version(org_id: int) -> int:
    with system_session() as session:
        org = session.get(Organization, org_id)
        assert org is not None
        return org.data_version


def _fresh(ctx: TenantContext) -> TenantContext:
    """The context as an event builds it: from the session look-up, with the version."""
    token = identity.start_session(user_id=ctx.user_id or 0)
    user, found = identity.resolve_workspace_session(token=token, slug=ctx.org_slug)
    assert user is not None and found is not None
    return found


@pytest.fixture(autouse=True)
def _empty_cache():
    forget_cached_views()
    computed.clear()
    yield
    forget_cached_views()


def test_a_write_bumps_only_its_own_organisations_version(org_a, org_b):
    a0, b0 = _version(org_a.org_id), _version(org_b.org_id)
    pid = make_portfolio(org_a)
    a1 = _version(org_a.org_id)
    assert a1 > a0 and _version(org_b.org_id) == b0
    with tenant_session(org_a) as session:  # a read writes nothing: no bump
        views.initiatives_view(session=session, ctx=org_a, portfolio_id=pid)
    assert _version(org_a.org_id) == a1
    with tenant_session(org_a) as session:  # bulk UPDATE through the session bumps too
        session.exec(update(Initiative).values(description="x"))  # type: ignore[call-overload]
    assert _version(org_a.org_id) > a1 and _version(org_b.org_id) == b0


def test_the_session_look_up_carries_the_version(org_a):
    make_portfolio(org_a)
    assert _fresh(org_a).data_version == _version(org_a.org_id) > 0


def test_a_view_is_reused_until_a_write_and_then_read_again(org_a):
    pid = make_portfolio(org_a)
    make_initiative(org_a, pid, "First")
    ctx = _fresh(org_a)
    assert run(cached_in_tenant(ctx, _titles, portfolio_id=pid)) == ["First"]
    assert run(cached_in_tenant(ctx, _titles, portfolio_id=pid)) == ["First"]
    assert computed == [org_a.org_id]  # the second came from the cache
    make_initiative(org_a, pid, "Second")
    after = _fresh(org_a)
    assert after.data_version > ctx.data_version
    assert run(cached_in_tenant(after, _titles, portfolio_id=pid)) == ["First", "Second"]
    assert len(computed) == 2


def test_what_a_caller_changes_in_its_view_does_not_reach_the_next(org_a):
    pid = make_portfolio(org_a)
    make_initiative(org_a, pid, "First")
    ctx = _fresh(org_a)
    mine = run(cached_in_tenant(ctx, _titles, portfolio_id=pid))
    mine.append("tampered")
    assert run(cached_in_tenant(ctx, _titles, portfolio_id=pid)) == ["First"]


def test_org_b_never_gets_org_as_view(org_a, org_b):
    pid_a = make_portfolio(org_a)
    make_initiative(org_a, pid_a, "Secret of A")
    ctx_a = _fresh(org_a)
    assert run(cached_in_tenant(ctx_a, _titles, portfolio_id=pid_a)) == ["Secret of A"]
    # Org B at the very same version number, asking for A's portfolio id: its own answer.
    ctx_b = replace(_fresh(org_b), data_version=ctx_a.data_version)
    with pytest.raises(Exception, match="not found"):
        run(cached_in_tenant(ctx_b, _titles, portfolio_id=pid_a))
    assert computed == [org_a.org_id, org_b.org_id]


def test_another_user_or_role_does_not_get_the_cached_view(org_a):
    pid = make_portfolio(org_a)
    make_initiative(org_a, pid, "First")
    viewer = factories.make_member(org_a, Role.VIEWER)
    ctx = _fresh(org_a)
    run(cached_in_tenant(ctx, _titles, portfolio_id=pid))
    run(cached_in_tenant(replace(ctx, role=Role.VIEWER), _titles, portfolio_id=pid))
    run(cached_in_tenant(_fresh(viewer), _titles, portfolio_id=pid))
    assert len(computed) == 3


def test_a_role_change_or_a_removal_applies_on_the_next_look_up(org_a):
    member = factories.make_member(org_a, Role.COACH)
    token = identity.start_session(user_id=member.user_id or 0)
    _, before = identity.resolve_workspace_session(token=token, slug=org_a.org_slug)
    assert before is not None and before.role == Role.COACH
    with system_session() as session:
        membership_id = session.exec(
            select(Membership.id).where(col(Membership.user_id) == member.user_id)
        ).one()
    with tenant_session(org_a) as session:
        identity.change_role(
            session=session, ctx=org_a, membership_id=membership_id or 0, role="viewer"
        )
    _, changed = identity.resolve_workspace_session(token=token, slug=org_a.org_slug)
    assert changed is not None and changed.role == Role.VIEWER
    assert changed.data_version > before.data_version  # no view of the old role is reused
    with tenant_session(org_a) as session:
        identity.remove_member(session=session, ctx=org_a, membership_id=membership_id or 0)
    user, gone = identity.resolve_workspace_session(token=token, slug=org_a.org_slug)
    assert user is not None and gone is None


def test_a_revoked_session_is_refused_on_the_next_look_up(org_a):
    token = identity.start_session(user_id=org_a.user_id or 0)
    assert identity.resolve_workspace_session(token=token, slug=org_a.org_slug)[1] is not None
    identity.revoke_session(token=token)
    assert identity.resolve_workspace_session(token=token, slug=org_a.org_slug) == (None, None)


def test_renaming_a_person_bumps_the_versions_of_their_organisations(org_a, org_b):
    a0, b0 = _version(org_a.org_id), _version(org_b.org_id)
    with system_session() as session:
        user = session.get(User, org_a.user_id)
        assert user is not None
        user.name = "Renamed"
        session.add(user)
    assert _version(org_a.org_id) > a0 and _version(org_b.org_id) == b0


def test_a_reused_organisation_id_never_meets_the_views_of_the_one_before(engine):
    """SQLite gives an emptied table's ids out again (the browser suite empties the database
    between tests while the app keeps running): the new organisation, with the same id, the
    same user id and the same number of writes, must see its own initiatives."""
    from tests.conftest import empty_database

    first = factories.make_org("Reused")
    pid = make_portfolio(first)
    make_initiative(first, pid, "Checkout")
    old = _fresh(first)
    assert run(cached_in_tenant(old, _titles, portfolio_id=pid)) == ["Checkout"]

    empty_database(engine)
    second = factories.make_org("Reused")
    pid_2 = make_portfolio(second)
    make_initiative(second, pid_2, "Initiative 20")
    new = _fresh(second)
    if engine.dialect.name == "sqlite":  # PostgreSQL's sequences never hand an id out twice
        assert (new.org_id, new.user_id, pid_2) == (old.org_id, old.user_id, pid)
    assert new.data_version != old.data_version
    assert run(cached_in_tenant(new, _titles, portfolio_id=pid_2)) == ["Initiative 20"]
