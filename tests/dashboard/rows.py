"""One row in every dashboard table, for the tenancy test's TENANT_ROW_MAKERS."""

from __future__ import annotations

from pmo_saas.dashboard import share
from pmo_saas.db import tenant_session
from pmo_saas.kernel.context import TenantContext
from pmo_saas.portfolio.services import governance
from tests.dashboard.helpers import initiative_ids, make_portfolio


def make_dashboard_rows(ctx: TenantContext) -> None:
    """A share link, a lifecycle, a gate review, a decision."""
    initiative_id = initiative_ids(ctx, make_portfolio(ctx, "Governed", initiatives=1))[0]
    with tenant_session(ctx) as session:
        share.create_share_link(session=session, ctx=ctx, label="Row maker")
        governance.record_gate_review(
            session=session,
            ctx=ctx,
            initiative_id=initiative_id,
            decision="proceed",
            decided_on="2026-11-01",
            approvers="Sponsor",
        )
        governance.log_decision(
            session=session,
            ctx=ctx,
            initiative_id=initiative_id,
            title="x",
            decided_on="2026-11-02",
        )
