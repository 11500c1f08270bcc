"""Helpers of the sync tests: the loopback peers allowed (tests only), a connection made
through the service, a sync run, and reads of what it left."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import pytest
from sqlmodel import col, select

from pmo_saas.db import tenant_session
from pmo_saas.delivery.models import StatusChange, WorkItem
from pmo_saas.delivery.sync import engine, services
from pmo_saas.delivery.sync import models as m
from pmo_saas.delivery.sync.schemas import SyncRunRow
from pmo_saas.kernel.context import TenantContext
from pmo_saas.settings import get_settings
from tests.peers.github_peer import GitHubPeer
from tests.peers.jira_peer import JiraPeer
from tests.portfolio.builders import make_initiative, make_portfolio


@contextmanager
def peers_allowed(monkeypatch: pytest.MonkeyPatch, timeout: float = 20) -> Iterator[None]:
    """What only tests set: plain http to loopback (the peers), and a timeout."""
    monkeypatch.setenv("PMO_DELIVERY_SYNC_ALLOW_PRIVATE_NETWORKS", "true")
    monkeypatch.setenv("PMO_DELIVERY_SYNC_TIMEOUT_SECONDS", str(timeout))
    get_settings.cache_clear()
    try:
        yield
    finally:
        monkeypatch.delenv("PMO_DELIVERY_SYNC_ALLOW_PRIVATE_NETWORKS")
        monkeypatch.delenv("PMO_DELIVERY_SYNC_TIMEOUT_SECONDS")
        get_settings.cache_clear()


def new_initiative(ctx: TenantContext) -> int:
    return make_initiative(ctx, make_portfolio(ctx, "Delivery"), "Checkout")


def connect_jira(ctx: TenantContext, peer: JiraPeer, initiative_id: int) -> int:
    return services.connect_source(
        ctx=ctx,
        initiative_id=initiative_id,
        kind=m.JIRA,
        base_url=peer.base,
        project=peer.project,
        account=peer.email,
        token=peer.token,
    )


def connect_github(ctx: TenantContext, peer: GitHubPeer, initiative_id: int) -> int:
    return services.connect_source(
        ctx=ctx,
        initiative_id=initiative_id,
        kind=m.GITHUB,
        base_url=peer.base,
        project=peer.repo,
        token=peer.token,
    )


def sync(ctx: TenantContext, connection_id: int) -> SyncRunRow:
    return engine.sync_connection(ctx=ctx, connection_id=connection_id)


def items(ctx: TenantContext) -> dict[str, WorkItem]:
    """Work items by their key on the other side."""
    with tenant_session(ctx) as session:
        rows = session.exec(select(WorkItem).order_by(col(WorkItem.id))).all()
        session.expunge_all()
    return {w.external_key: w for w in rows}


def history(ctx: TenantContext, key: str) -> list[tuple[str | None, str, str]]:
    """(from, to, at as 'YYYY-MM-DD HH:MM') of the item's moves, in order."""
    with tenant_session(ctx) as session:
        item = session.exec(select(WorkItem).where(WorkItem.external_key == key)).one()
        changes = session.exec(
            select(StatusChange)
            .where(StatusChange.work_item_id == item.id)
            .order_by(col(StatusChange.at), col(StatusChange.id))
        ).all()
        return [(c.from_status, c.to_status, f"{c.at:%Y-%m-%d %H:%M}") for c in changes]


def mappings(ctx: TenantContext, initiative_id: int) -> dict[str, str]:
    with tenant_session(ctx) as session:
        rows = services.list_mappings(session=session, ctx=ctx, initiative_id=initiative_id)
    return {r.external: r.column for r in rows}


def set_map(ctx: TenantContext, initiative_id: int, external: str, column: str) -> int:
    with tenant_session(ctx) as session:
        row = next(
            r
            for r in services.list_mappings(session=session, ctx=ctx, initiative_id=initiative_id)
            if r.external == external
        )
        return services.set_mapping(session=session, ctx=ctx, mapping_id=row.id, column=column)


def synced(ctx: TenantContext) -> dict[str, m.SyncedItem]:
    with tenant_session(ctx) as session:
        rows = session.exec(select(m.SyncedItem)).all()
        session.expunge_all()
    return {s.external_key: s for s in rows}


def connection(ctx: TenantContext, connection_id: int) -> m.SyncConnection:
    with tenant_session(ctx) as session:
        row = session.get(m.SyncConnection, connection_id)
        assert row is not None
        session.expunge(row)
    return row
