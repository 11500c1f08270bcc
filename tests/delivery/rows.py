"""Delivery rows for the tenancy test's TENANT_ROW_MAKERS (the demo seed has no work items)."""

from __future__ import annotations

from pmo_saas.kernel.context import TenantContext
from tests.delivery.builders import add_item, move_item
from tests.portfolio.builders import make_initiative, make_portfolio


def make_delivery_rows(ctx: TenantContext) -> None:
    """A work item moved once (its history: two status changes) under a new initiative."""
    initiative_id = make_initiative(ctx, make_portfolio(ctx, "Delivered"), "Shipped")
    item = add_item(ctx, initiative_id, "First story")
    move_item(ctx, item, "doing", "2026-11-02 09:00")
