"""Connections (a Jira project or GitHub repository feeding one initiative), the status map
the coach edits, and the runs, as the Connections page reads and changes them.

Coaches and above connect, sync and map (viewers and members read). `connect_source` and
`replace_token` open their own sessions: they first ask the other side whether the
credentials work, with no transaction open while it answers.
"""

from __future__ import annotations

from sqlmodel import Session, col, select

from pmo_saas.db import get_in_org, tenant_session
from pmo_saas.delivery.columns import COLUMNS, clean_column
from pmo_saas.delivery.history import move_work_item
from pmo_saas.delivery.models import WorkItem
from pmo_saas.delivery.services._common import IMPORT, IMPORT_MESSAGE, initiative_in_org
from pmo_saas.delivery.sync import models as m
from pmo_saas.delivery.sync.engine import connection_in_org, open_source, run_row, when
from pmo_saas.delivery.sync.outbound import clean_base_url, masked, seal_token
from pmo_saas.delivery.sync.schemas import (
    ConnectionRow,
    ConnectionsView,
    MappingRow,
    SyncRunRow,
)
from pmo_saas.identity import audit
from pmo_saas.kernel.clock import as_utc, utcnow
from pmo_saas.kernel.context import TenantContext
from pmo_saas.kernel.errors import Conflict, ValidationFailed

KIND_LABELS = {m.JIRA: "Jira Cloud", m.GITHUB: "GitHub"}
DEFAULT_BASE = {m.GITHUB: "https://api.github.com"}


def _clean(kind: str, base_url: str, project: str, account: str, token: str) -> tuple[str, ...]:
    if kind not in KIND_LABELS:
        raise ValidationFailed("Choose Jira Cloud or GitHub.", field="kind")
    base = clean_base_url(base_url or DEFAULT_BASE.get(kind, ""))
    project = project.strip()
    if kind == m.JIRA:
        if not project.replace("_", "").isalnum():
            raise ValidationFailed("Give the Jira project's key, such as PROJ.", field="project")
        project = project.upper()
        if "@" not in account:
            raise ValidationFailed("Give the Jira account's e-mail address.", field="account")
    elif project.count("/") != 1 or not all(project.split("/")):
        raise ValidationFailed("Give the repository as owner/name.", field="project")
    if len(token.strip()) < 8:
        raise ValidationFailed("Paste the API token.", field="token")
    return base, project, account.strip(), token.strip()


def connect_source(
    *,
    ctx: TenantContext,
    initiative_id: int,
    kind: str,
    base_url: str,
    project: str,
    account: str = "",
    token: str,
) -> int:
    """Check the credentials against the other side, then save the connection."""
    ctx.require(IMPORT, IMPORT_MESSAGE)
    base, project, account, token = _clean(kind, base_url, project, account, token)
    with tenant_session(ctx) as session:
        initiative = initiative_in_org(session, initiative_id)
        portfolio_id = initiative.portfolio_id
    source = open_source(kind, base, project, account, token)
    try:
        source.check()
    finally:
        source.close()
    with tenant_session(ctx) as session:
        taken = session.exec(
            select(m.SyncConnection.id).where(
                m.SyncConnection.kind == kind,
                m.SyncConnection.base_url == base,
                m.SyncConnection.project == project,
            )
        ).first()
        if taken is not None:
            raise Conflict("That project is already connected.")
        conn = m.SyncConnection(
            kind=kind,
            base_url=base,
            project=project,
            account=account,
            token_encrypted=seal_token(token),
            token_hint=token[-4:],
            portfolio_id=portfolio_id,
            initiative_id=initiative_id,
        )
        session.add(conn)
        session.flush()
        audit.record(
            session=session,
            ctx=ctx,
            action="delivery.sync_connected",
            target=f"{KIND_LABELS[kind]} {project}",
            detail=f"initiative {initiative_id}",
        )
        assert conn.id is not None
        return conn.id


def replace_token(*, ctx: TenantContext, connection_id: int, account: str, token: str) -> None:
    """A new API token (and, for Jira, optionally another account), checked against the other
    side first; the old ciphertext is overwritten, so no later request can use the old token.
    A blank account keeps the connection's own."""
    ctx.require(IMPORT, IMPORT_MESSAGE)
    with tenant_session(ctx) as session:
        conn = connection_in_org(session, connection_id)
        kind, base, project = conn.kind, conn.base_url, conn.project
        account = account.strip() or conn.account
    _, _, account, token = _clean(kind, base, project, account if kind == m.JIRA else "", token)
    source = open_source(kind, base, project, account, token)
    try:
        source.check()
    finally:
        source.close()
    with tenant_session(ctx) as session:
        conn = connection_in_org(session, connection_id)
        conn.token_encrypted, conn.token_hint = seal_token(token), token[-4:]
        if kind == m.JIRA:
            conn.account = account
        session.add(conn)
        audit.record(
            session=session,
            ctx=ctx,
            action="delivery.sync_token_replaced",
            target=f"{KIND_LABELS[kind]} {project}",
            detail=f"token {masked(token[-4:])}"
            + (f", account {account}" if kind == m.JIRA else ""),
        )


def remove_connection(*, session: Session, ctx: TenantContext, connection_id: int) -> None:
    """The connection, its map and runs go; the work items it brought and their history stay."""
    ctx.require(IMPORT, IMPORT_MESSAGE)
    conn = connection_in_org(session, connection_id)
    audit.record(session=session, ctx=ctx, action="delivery.sync_removed", target=conn.project)
    session.delete(conn)


def _connection_row(conn: m.SyncConnection, unmapped: int) -> ConnectionRow:
    return ConnectionRow(
        id=conn.id or 0,
        kind=conn.kind,
        kind_label=KIND_LABELS.get(conn.kind, conn.kind),
        project=conn.project,
        base_url=conn.base_url,
        account=conn.account,
        token=masked(conn.token_hint),
        status=conn.status,
        last_run=when(conn.last_run_at),
        last_ok=when(conn.last_ok_at),
        last_error=conn.last_error,
        unmapped=unmapped,
    )


def list_connections(
    *, session: Session, ctx: TenantContext, initiative_id: int
) -> list[ConnectionRow]:
    initiative_in_org(session, initiative_id)
    conns = session.exec(
        select(m.SyncConnection)
        .where(m.SyncConnection.initiative_id == initiative_id)
        .order_by(col(m.SyncConnection.id))
    ).all()
    unmapped: dict[int, int] = {}
    for mapping in session.exec(
        select(m.StatusMapping).where(
            col(m.StatusMapping.connection_id).in_([c.id for c in conns]),
            m.StatusMapping.to_column == "",
        )
    ).all():
        unmapped[mapping.connection_id] = unmapped.get(mapping.connection_id, 0) + 1
    return [_connection_row(c, unmapped.get(c.id or 0, 0)) for c in conns]


def list_mappings(*, session: Session, ctx: TenantContext, initiative_id: int) -> list[MappingRow]:
    """Every connection's map for the initiative: unmapped first, then by name."""
    initiative_in_org(session, initiative_id)
    rows = session.exec(
        select(m.StatusMapping)
        .join(m.SyncConnection, col(m.SyncConnection.id) == m.StatusMapping.connection_id)
        .where(m.SyncConnection.initiative_id == initiative_id)
        .order_by(col(m.StatusMapping.to_column) != "", col(m.StatusMapping.external))
    ).all()
    return [
        MappingRow(
            id=r.id or 0,
            connection_id=r.connection_id,
            external=r.external,
            column=r.to_column,
            column_label=COLUMNS.get(r.to_column, "Unmapped"),
            item_count=r.items,
        )
        for r in rows
    ]


def set_mapping(*, session: Session, ctx: TenantContext, mapping_id: int, column: str) -> int:
    """Map their status to our column ("" unmaps it); the items now in that status move there
    (at the time they reached it, never before their last move). Returns how many moved."""
    ctx.require(IMPORT, IMPORT_MESSAGE)
    mapping = get_in_org(session, m.StatusMapping, mapping_id, "That status")
    mapping.to_column = clean_column(column) if column.strip() else ""
    session.add(mapping)
    if not mapping.to_column:
        return 0
    links = session.exec(
        select(m.SyncedItem, WorkItem)
        .join(WorkItem, col(WorkItem.id) == m.SyncedItem.work_item_id)
        .where(
            m.SyncedItem.connection_id == mapping.connection_id,
            m.SyncedItem.external_status == mapping.external,
            col(m.SyncedItem.removed_at).is_(None),
            WorkItem.status != mapping.to_column,
        )
    ).all()
    conn = connection_in_org(session, mapping.connection_id)
    for link, item in links:
        at = max(as_utc(link.external_status_at or utcnow()), as_utc(item.moved_at))
        move_work_item(
            session, item, mapping.to_column, at=at, by_user_id=ctx.user_id, source=conn.kind
        )
    audit.record(
        session=session,
        ctx=ctx,
        action="delivery.status_mapped",
        target=f"{conn.project}: {mapping.external}",
        detail=f"→ {mapping.to_column}; {len(links)} items moved",
    )
    return len(links)


def recent_runs(
    *, session: Session, ctx: TenantContext, initiative_id: int, limit: int = 10
) -> list[SyncRunRow]:
    initiative_in_org(session, initiative_id)
    runs = session.exec(
        select(m.SyncRun)
        .join(m.SyncConnection, col(m.SyncConnection.id) == m.SyncRun.connection_id)
        .where(m.SyncConnection.initiative_id == initiative_id)
        .order_by(col(m.SyncRun.id).desc())
        .limit(limit)
    ).all()
    return [run_row(r) for r in runs]


def run_progress(*, session: Session, ctx: TenantContext, run_id: int) -> SyncRunRow:
    return run_row(get_in_org(session, m.SyncRun, run_id, "That sync"))


def due_connection_ids(*, session: Session, ctx: TenantContext) -> list[int]:
    """Every connection of the organisation not being synced now (the scheduled job's list)."""
    now = utcnow()
    conns = session.exec(select(m.SyncConnection).order_by(col(m.SyncConnection.id))).all()
    return [
        c.id
        for c in conns
        if c.id is not None and (c.locked_until is None or as_utc(c.locked_until) <= now)
    ]


def connections_view(
    *, session: Session, ctx: TenantContext, initiative_id: int
) -> ConnectionsView:
    """Everything the Connections page shows for one initiative."""
    initiative = initiative_in_org(session, initiative_id)
    return ConnectionsView(
        initiative_title=initiative.title,
        connections=list_connections(session=session, ctx=ctx, initiative_id=initiative_id),
        mappings=list_mappings(session=session, ctx=ctx, initiative_id=initiative_id),
        runs=recent_runs(session=session, ctx=ctx, initiative_id=initiative_id),
    )
