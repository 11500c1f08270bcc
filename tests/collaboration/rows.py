"""Rows of every collaboration table for the tenancy matrix (tests/test_tenancy.py)."""

from __future__ import annotations

from sqlmodel import select

from pmo_saas.collaboration.services import comments, notifications
from pmo_saas.db import tenant_session
from pmo_saas.kernel.context import TenantContext
from pmo_saas.kernel.roles import Role
from pmo_saas.portfolio.models import Initiative
from tests import factories


def make_collaboration_rows(ctx: TenantContext) -> None:
    """A comment mentioning another member (a notification) and a preference."""
    other = factories.make_member(ctx, Role.MEMBER, name="Tenancy probe")
    with tenant_session(ctx) as session:
        initiative_id = session.exec(select(Initiative.id)).first()
        assert initiative_id is not None
        comments.post_comment(
            session=session,
            ctx=ctx,
            target_kind="initiative",
            target_id=initiative_id,
            body=f"Probe @[x](user:{other.user_id})",
        )
    with tenant_session(other) as session:
        notifications.set_preference(session=session, ctx=other, kind="reply", channel="digest")
