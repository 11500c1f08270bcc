"""Programme test data through the portfolio, delivery and capacity services."""

from __future__ import annotations

from pmo_saas.db import tenant_session
from pmo_saas.kernel.context import TenantContext
from pmo_saas.programmes.services import programmes


def programme(ctx: TenantContext, portfolio_id: int, name: str, initiatives=(), **kw) -> int:
    with tenant_session(ctx) as session:
        pid = programmes.create_programme(
            session=session, ctx=ctx, portfolio_id=portfolio_id, name=name, **kw
        )
        for iid in initiatives:
            programmes.add_initiative(session=session, ctx=ctx, programme_id=pid, initiative_id=iid)
    return pid
