"""Rows of every practices table for the tenancy matrix (tests/test_tenancy.py)."""

from __future__ import annotations

from sqlmodel import select

from pmo_saas.db import tenant_session
from pmo_saas.identity.models import Team
from pmo_saas.kernel.context import TenantContext
from pmo_saas.practices.services import adoption, playbook


def make_practice_rows(ctx: TenantContext) -> None:
    """A practice (with a version and a dimension) and a team's adoption of it."""
    with tenant_session(ctx) as session:
        pid = playbook.publish_practice(
            session=session,
            ctx=ctx,
            title="Tenancy probe practice",
            purpose="Written for the isolation test.",
            dimension_keys=["flow"],
        )
        team_id = session.exec(select(Team.id)).first()
        assert team_id is not None
        adoption.record_adoption(
            session=session,
            ctx=ctx,
            practice_id=pid,
            team_id=team_id,
            status="adapted",
            note="Adapted for the isolation test.",
        )
