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


def make_sync_rows(ctx: TenantContext) -> None:
    """A connection with a map entry, a run and a synced item (no peer: the rows as a sync
    leaves them; the sync itself is tested against the peers in test_sync_*.py)."""
    from pmo_saas.db import tenant_session
    from pmo_saas.delivery.models import WorkItem
    from pmo_saas.delivery.sync import models as m
    from pmo_saas.delivery.sync.outbound import seal_token

    initiative_id = make_initiative(ctx, make_portfolio(ctx, "Synced"), "From Jira")
    item_id = add_item(ctx, initiative_id, "Synced story")
    with tenant_session(ctx) as session:
        item = session.get(WorkItem, item_id)
        assert item is not None
        conn = m.SyncConnection(
            kind=m.JIRA,
            base_url="https://acme.atlassian.net",
            project="PROJ",
            account="bot@example.com",
            token_encrypted=seal_token("jira-token-xyz"),
            portfolio_id=item.portfolio_id,
            initiative_id=initiative_id,
        )
        session.add(conn)
        session.flush()
        assert conn.id is not None
        session.add(m.StatusMapping(connection_id=conn.id, external="To Do", to_column="backlog"))
        session.add(m.SyncRun(connection_id=conn.id, status=m.OK, fetched=1, created=1))
        session.add(
            m.SyncedItem(connection_id=conn.id, work_item_id=item_id, external_key="PROJ-1")
        )
