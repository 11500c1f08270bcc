"""Many members quickly: accounts without a password (as SSO-only accounts are), no hashing."""

from __future__ import annotations

from pmo_saas.db import system_session
from pmo_saas.identity.models import Membership, User
from pmo_saas.kernel.context import TenantContext
from pmo_saas.kernel.roles import Role
from tests.factories import unique_email


def add_people(ctx: TenantContext, count: int) -> list[int]:
    """`count` new members of ctx's organisation; returns their user ids."""
    with system_session() as session:
        users = [User(email=unique_email("person"), name="Person") for _ in range(count)]
        session.add_all(users)
        session.flush()
        for user in users:
            assert user.id is not None
            session.add(Membership(org_id=ctx.org_id, user_id=user.id, role=Role.MEMBER))
        return [user.id for user in users if user.id is not None]
