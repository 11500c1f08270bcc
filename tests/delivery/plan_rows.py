"""Plan-side rows for the tenancy test's TENANT_ROW_MAKERS (the demo seed has none)."""

from __future__ import annotations

from pmo_saas.db import tenant_session
from pmo_saas.delivery.services import value
from pmo_saas.kernel.context import TenantContext
from tests.delivery.plan_builders import funded_initiative, set_rag, spend


def make_delivery_plan_rows(ctx: TenantContext) -> None:
    """A funded initiative (plan, tranches), a RAG change, spend, a key result measured."""
    _pid, iid = funded_initiative(ctx, title="Planned", portfolio="Planned delivery")
    set_rag(ctx, iid, "amber", "Supplier late")
    spend(ctx, iid, "2026-01", 10_000)
    with tenant_session(ctx) as session:
        kr = value.add_key_result(
            session=session,
            ctx=ctx,
            initiative_id=iid,
            title="Sign-ups",
            target=100,
            due_on="2026-09-30",
        )
        value.record_result(
            session=session, ctx=ctx, key_result_id=kr, value=40, measured_on="2026-07-01"
        )
