"""Rows of every rollout and programmes table for the tenancy matrix (tests/test_tenancy.py)."""

from __future__ import annotations

from sqlmodel import select

from pmo_saas.db import tenant_session
from pmo_saas.identity.models import Team
from pmo_saas.kernel.context import TenantContext
from pmo_saas.portfolio.models import Initiative
from pmo_saas.programmes.services import programmes
from pmo_saas.rollout.services import waves


def make_rollout_rows(ctx: TenantContext) -> None:
    """A wave with a team and an exit criterion."""
    with tenant_session(ctx) as session:
        wid = waves.create_wave(session=session, ctx=ctx, title="Tenancy probe wave")
        team_id = session.exec(select(Team.id)).first()
        assert team_id is not None
        waves.add_wave_team(session=session, ctx=ctx, wave_id=wid, team_id=team_id)
        waves.add_criterion(
            session=session, ctx=ctx, wave_id=wid, kind="exit", metric="maturity", threshold=3
        )


def make_programme_rows(ctx: TenantContext) -> None:
    """A programme with one initiative of its portfolio."""
    with tenant_session(ctx) as session:
        initiative = session.exec(select(Initiative)).first()
        assert initiative is not None and initiative.id is not None
        pid = programmes.create_programme(
            session=session, ctx=ctx, portfolio_id=initiative.portfolio_id, name="Probe programme"
        )
        programmes.add_initiative(
            session=session, ctx=ctx, programme_id=pid, initiative_id=initiative.id
        )
