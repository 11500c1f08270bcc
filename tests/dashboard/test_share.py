"""Share links: random, hashed, expiring, revocable, admins only, one organisation's figures."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlmodel import select

from pmo_saas.dashboard import share
from pmo_saas.dashboard.models import ShareLink
from pmo_saas.db import system_session, tenant_session
from pmo_saas.kernel import clock
from pmo_saas.kernel.errors import Forbidden, NotFound, ValidationFailed
from pmo_saas.kernel.roles import Role
from tests import factories
from tests.dashboard.helpers import make_portfolio


def _create(ctx, label="Board, December", days=30):
    with tenant_session(ctx) as session:
        return share.create_share_link(session=session, ctx=ctx, label=label, days=days)


def test_link_works_without_an_account_and_counts_views(org_a):
    make_portfolio(org_a, initiatives=2)
    created = _create(org_a)
    assert created.path == f"/share/{created.token}" and len(created.token) >= 40
    with system_session() as session:
        stored = session.exec(select(ShareLink)).one()
    assert created.token not in stored.token_hash
    dashboard = share.shared_dashboard(token=created.token)  # no user, no session
    assert dashboard.statuses.total == 2
    share.shared_dashboard(token=created.token)
    with tenant_session(org_a) as session:
        [row] = share.list_share_links(session=session, ctx=org_a)
    assert (row.status, row.views, row.label) == ("active", 2, "Board, December")
    ctx = share.resolve_share_token(created.token)
    assert ctx.user_id is None and ctx.role == Role.VIEWER and ctx.org_id == org_a.org_id


def test_revoked_link_stops_working(org_a):
    created = _create(org_a)
    with tenant_session(org_a) as session:
        share.revoke_share_link(session=session, ctx=org_a, link_id=created.row.id)
    with pytest.raises(NotFound):
        share.shared_dashboard(token=created.token)
    with tenant_session(org_a) as session:
        assert share.list_share_links(session=session, ctx=org_a)[0].status == "revoked"


def test_expired_link_stops_working(org_a):
    created = _create(org_a, days=1)
    clock.freeze(clock.utcnow() + timedelta(days=1, seconds=1))
    with pytest.raises(NotFound):
        share.shared_dashboard(token=created.token)
    with tenant_session(org_a) as session:
        assert share.list_share_links(session=session, ctx=org_a)[0].status == "expired"


@pytest.mark.parametrize("token", ["", "nope", "x" * 500, "\x00"])
def test_unknown_tokens_are_not_found(org_a, token):
    _create(org_a)
    with pytest.raises(NotFound):
        share.shared_dashboard(token=token)


@pytest.mark.parametrize(("label", "days"), [("", 30), ("ok", 0), ("ok", 91), ("ok", "soon")])
def test_bad_input_is_refused(org_a, label, days):
    with pytest.raises(ValidationFailed):
        _create(org_a, label=label, days=days)


@pytest.mark.parametrize("role", [Role.COACH, Role.MEMBER, Role.VIEWER])
def test_only_admins_share(org_a, role):
    person = factories.make_member(org_a, role)
    with pytest.raises(Forbidden):
        _create(person)
    created = _create(org_a)
    with tenant_session(person) as session, pytest.raises(Forbidden):
        share.revoke_share_link(session=session, ctx=person, link_id=created.row.id)


def test_other_organisation_cannot_list_or_revoke(org_a, org_b):
    created = _create(org_a)
    with tenant_session(org_b) as session:
        assert share.list_share_links(session=session, ctx=org_b) == []
        with pytest.raises(NotFound):
            share.revoke_share_link(session=session, ctx=org_b, link_id=created.row.id)
    make_portfolio(org_b, "B", initiatives=5)
    assert share.shared_dashboard(token=created.token).statuses.total == 0
