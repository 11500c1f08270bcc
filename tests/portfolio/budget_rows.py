"""Rows of the budgeting tables for the tenancy matrix (the demo seed leaves them empty)."""

from __future__ import annotations

from sqlmodel import select

from pmo_saas.db import tenant_session
from pmo_saas.kernel.context import TenantContext
from pmo_saas.kernel.roles import Role
from pmo_saas.portfolio.models import Portfolio
from pmo_saas.portfolio.services import budgeting
from tests import factories
from tests.portfolio.builders import allocate, make_budget_session, make_initiative


def make_budgeting_rows(ctx: TenantContext) -> None:
    """A session (with a stakeholder) and one allocation."""
    stakeholder = factories.make_member(ctx, Role.MEMBER, name="Budget probe")
    with tenant_session(ctx) as session:
        pid = session.exec(select(Portfolio.id)).first()
    assert pid is not None
    make_initiative(ctx, pid, "Budget probe initiative", value_stream="Probe stream", cost=1)
    sid = make_budget_session(ctx, pid, [stakeholder], name="Tenancy probe")
    with tenant_session(ctx) as session:
        view = budgeting.budget_session(session=session, ctx=ctx, budget_session_id=sid)
    allocate(stakeholder, sid, {view.options[0].key: 100})
