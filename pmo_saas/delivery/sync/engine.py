"""One sync of one connection: fetch what changed since the cursor (no transaction open while
the other side answers), then write it all in one tenant transaction: new and changed items,
their status history at the other side's own times (through history.move_work_item), the
status map (a status never seen before arrives unmapped), and deleted items marked removed.

A failure (their 500, a timeout, refused credentials) writes nothing but the run's error: the
items already imported and the cursor stay, so the next sync asks again from the same point.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlmodel import Session, col, func, select

from pmo_saas.db import get_in_org, tenant_session
from pmo_saas.delivery.history import move_work_item, set_removed
from pmo_saas.delivery.models import WorkItem
from pmo_saas.delivery.services._common import IMPORT, IMPORT_MESSAGE
from pmo_saas.delivery.sync import models as m
from pmo_saas.delivery.sync.github import GitHubSource
from pmo_saas.delivery.sync.jira import JiraSource
from pmo_saas.delivery.sync.outbound import SyncFailed, open_token
from pmo_saas.delivery.sync.remote import RemoteItem
from pmo_saas.delivery.sync.schemas import SyncOutcome, SyncRunRow
from pmo_saas.kernel.clock import as_utc, utcnow
from pmo_saas.kernel.context import TenantContext
from pmo_saas.kernel.errors import Conflict, DomainError

log = logging.getLogger("pmo_saas.delivery.sync")
LEASE = timedelta(minutes=30)
PROGRESS_EVERY_SECONDS = 0.5
# Their status names we dare map by ourselves; any other (a renamed one) waits for the coach.
GUESSES = {
    "to do": "backlog",
    "backlog": "backlog",
    "open": "backlog",
    "selected for development": "ready",
    "ready": "ready",
    "in progress": "doing",
    "done": "done",
    "closed": "done",
}


def guess_column(external: str) -> str:
    name = external.strip().lower()
    return GUESSES.get(name.removeprefix("status:").strip(), "")


def connection_in_org(session: Session, connection_id: int) -> m.SyncConnection:
    return get_in_org(session, m.SyncConnection, connection_id, "That connection")


def when(value: datetime | None) -> str:
    return f"{as_utc(value):%Y-%m-%d %H:%M} UTC" if value is not None else ""


def run_row(run: m.SyncRun) -> SyncRunRow:
    return SyncRunRow(
        id=run.id or 0,
        connection_id=run.connection_id,
        status=run.status,
        started=when(run.started_at),
        finished=when(run.finished_at),
        fetched=run.fetched,
        created=run.created,
        updated=run.updated,
        removed=run.removed,
        unmapped=run.unmapped,
        requests=run.requests,
        error=run.error,
    )


def open_source(
    kind: str, base_url: str, project: str, account: str, token: str
) -> JiraSource | GitHubSource:
    if kind == m.JIRA:
        return JiraSource(base_url=base_url, project=project, account=account, token=token)
    return GitHubSource(base_url=base_url, project=project, token=token)


@dataclass
class _Plan:
    """What the fetch phase needs, read in the opening transaction."""

    source: JiraSource | GitHubSource
    cursor: datetime | None
    known: dict[str, datetime]
    live: set[str]


@dataclass
class _Fetched:
    """What the fetch phase brings back to the write phase."""

    items: list[RemoteItem] = field(default_factory=list)
    live: set[str] | None = None
    requests: int = 0


def _start(ctx: TenantContext, connection_id: int, trigger: str) -> tuple[int, _Plan]:
    with tenant_session(ctx) as session:
        conn = connection_in_org(session, connection_id)
        now = utcnow()
        if conn.locked_until is not None and as_utc(conn.locked_until) > now:
            raise Conflict("A sync of this connection is already running.")
        conn.locked_until, conn.status, conn.last_run_at = now + LEASE, m.RUNNING, now
        run = m.SyncRun(connection_id=connection_id, trigger=trigger, started_at=now)
        session.add(conn)
        session.add(run)
        session.flush()
        known = session.exec(
            select(
                m.SyncedItem.external_key, m.SyncedItem.remote_updated_at, m.SyncedItem.removed_at
            ).where(m.SyncedItem.connection_id == connection_id)
        ).all()
        plan = _Plan(
            source=open_source(
                conn.kind,
                conn.base_url,
                conn.project,
                conn.account,
                open_token(conn.token_encrypted),
            ),
            cursor=as_utc(conn.cursor) if conn.cursor is not None else None,
            known={k: as_utc(u) for k, u, _ in known if u is not None},
            live={k for k, _, removed in known if removed is None},
        )
        assert run.id is not None
        return run.id, plan


def _fetch(
    ctx: TenantContext, run_id: int, plan: _Plan, on_progress: Callable[[int], None] | None
) -> _Fetched:
    fetched, source = _Fetched(), plan.source
    state = {"count": 0, "noted": time.monotonic()}

    def counted(n: int) -> None:
        state["count"] += n
        if on_progress is not None:
            on_progress(int(state["count"]))
        if time.monotonic() - state["noted"] >= PROGRESS_EVERY_SECONDS:
            state["noted"] = time.monotonic()
            with tenant_session(ctx) as session:
                run = session.get(m.SyncRun, run_id)
                if run is not None:
                    run.fetched, run.requests = int(state["count"]), source.requests
                    session.add(run)

    try:
        source.check()
        fetched.items = list(source.changed_since(plan.cursor, plan.known, counted))
        live_after = plan.live | {i.key for i in fetched.items}
        fetched.live = source.live_keys(len(live_after))
    finally:
        fetched.requests = source.requests
        source.close()
    return fetched


def _finish(ctx: TenantContext, connection_id: int, run_id: int, error: str, requests: int) -> None:
    with tenant_session(ctx) as session:
        now = utcnow()
        conn = connection_in_org(session, connection_id)
        run = get_in_org(session, m.SyncRun, run_id)
        run.status, run.error, run.finished_at, run.requests = m.FAILED, error[:500], now, requests
        conn.status, conn.last_error, conn.locked_until = m.FAILED, error[:500], None
        session.add(run)
        session.add(conn)


def sync_connection(
    *,
    ctx: TenantContext,
    connection_id: int,
    trigger: str = "manual",
    on_progress: Callable[[int], None] | None = None,
) -> SyncRunRow:
    """Sync one connection now; the run's record (ok, or failed with the reason) is returned."""
    ctx.require(IMPORT, IMPORT_MESSAGE)
    run_id, plan = _start(ctx, connection_id, trigger)
    requests = 0
    try:
        fetched = _fetch(ctx, run_id, plan, on_progress)
        requests = fetched.requests
        with tenant_session(ctx) as session:
            _apply(session, connection_id, run_id, fetched)
    except SyncFailed as error:
        _finish(ctx, connection_id, run_id, str(error), plan.source.requests)
    except Exception:
        log.exception("sync of connection %s failed", connection_id)
        _finish(
            ctx,
            connection_id,
            run_id,
            "The sync failed on our side; nothing was changed. Try again, or tell support.",
            requests,
        )
    with tenant_session(ctx) as session:
        return run_row(get_in_org(session, m.SyncRun, run_id))


def sync_for_page(
    *, ctx: TenantContext, connection_id: int, on_progress: Callable[[int], None] | None = None
) -> SyncOutcome:
    """`sync_connection` for a page's background event, which may not hold the state while the
    sync runs: a refusal (not a coach, not found, running already) comes back as its message."""
    try:
        run = sync_connection(ctx=ctx, connection_id=connection_id, on_progress=on_progress)
    except DomainError as error:
        return SyncOutcome(refused=str(error))
    return SyncOutcome(run=run)


# ---------------------------------------------------------------- the write phase


class _Writer:
    def __init__(self, session: Session, conn: m.SyncConnection) -> None:
        self.session, self.conn = session, conn
        self.maps = {
            x.external: x
            for x in session.exec(
                select(m.StatusMapping).where(m.StatusMapping.connection_id == conn.id)
            ).all()
        }

    def column(self, external: str) -> str:
        mapping = self.maps.get(external)
        if mapping is None:
            assert self.conn.id is not None
            mapping = m.StatusMapping(
                connection_id=self.conn.id,
                external=external[:120],
                to_column=guess_column(external),
            )
            self.session.add(mapping)
            self.maps[external] = mapping
        mapping.last_seen_at = utcnow()
        return mapping.to_column

    def move(self, item: WorkItem, column: str, at: datetime) -> None:
        when = max(as_utc(at), as_utc(item.moved_at))
        move_work_item(self.session, item, column, at=when, by_user_id=None, source=self.conn.kind)

    def create(self, remote: RemoteItem) -> tuple[m.SyncedItem, WorkItem]:
        conn = self.conn
        steps = remote.timeline or [(remote.created_at, remote.status)]
        item = WorkItem(
            portfolio_id=conn.portfolio_id,
            initiative_id=conn.initiative_id,
            kind=remote.kind,
            title=remote.title,
            created_at=remote.created_at,
            moved_at=remote.created_at,
            source=conn.kind,
            external_key=remote.key,
        )
        self.session.add(item)
        self.session.flush()
        first = self.column(steps[0][1]) or "backlog"
        move_work_item(
            self.session,
            item,
            first,
            at=remote.created_at,
            by_user_id=None,
            source=conn.kind,
            first=True,
        )
        assert conn.id is not None and item.id is not None
        synced = m.SyncedItem(connection_id=conn.id, work_item_id=item.id, external_key=remote.key)
        return synced, item

    def update(self, remote: RemoteItem, synced: m.SyncedItem, item: WorkItem, fresh: bool) -> None:
        steps = remote.timeline or [(remote.updated_at, remote.status)]
        applied = (
            None
            if fresh or synced.external_status_at is None
            else as_utc(synced.external_status_at)
        )
        for at, status in steps[1:] if fresh else steps:
            column = self.column(status)
            if column and (applied is None or as_utc(at) > applied) and column != item.status:
                self.move(item, column, at)
        now_column = self.column(remote.status)
        last_at = steps[-1][0]
        if now_column and now_column != item.status:
            self.move(item, now_column, last_at)
        item.title, item.kind = remote.title, remote.kind
        synced.external_status, synced.external_status_at = remote.status[:120], last_at
        if synced.removed_at is not None:  # listed there again: back in the figures
            set_removed(self.session, item, None)
        synced.remote_updated_at, synced.removed_at = remote.updated_at, None
        self.session.add(item)
        self.session.add(synced)


def _set_item_removed(session: Session, work_item_id: int, removed_at: datetime | None) -> None:
    item = session.get(WorkItem, work_item_id)
    if item is not None:
        set_removed(session, item, removed_at)


def _apply(session: Session, connection_id: int, run_id: int, fetched: _Fetched) -> None:
    conn = connection_in_org(session, connection_id)
    run = get_in_org(session, m.SyncRun, run_id)
    writer = _Writer(session, conn)
    synced = {
        s.external_key: s
        for s in session.exec(
            select(m.SyncedItem).where(m.SyncedItem.connection_id == connection_id)
        ).all()
    }
    changed = [i for i in fetched.items if i.changed]
    changed_keys = {i.key for i in changed}
    ids = [s.work_item_id for k, s in synced.items() if k in changed_keys]
    items = (
        {w.id: w for w in session.exec(select(WorkItem).where(col(WorkItem.id).in_(ids))).all()}
        if ids
        else {}
    )
    for remote in changed:
        link = synced.get(remote.key)
        item = items.get(link.work_item_id) if link is not None else None
        if link is None or item is None:
            link, item = writer.create(remote)
            synced[remote.key] = link
            writer.update(remote, link, item, fresh=True)
            run.created += 1
        else:
            writer.update(remote, link, item, fresh=False)
            run.updated += 1
    now = utcnow()
    if fetched.live is not None:
        for key, link in synced.items():
            if link.removed_at is None and key not in fetched.live:
                link.removed_at = now
                session.add(link)
                _set_item_removed(session, link.work_item_id, now)
                run.removed += 1
            elif link.removed_at is not None and key in fetched.live:  # restored there
                link.removed_at = None
                session.add(link)
                _set_item_removed(session, link.work_item_id, None)
    session.flush()
    counts = dict(
        session.exec(
            select(m.SyncedItem.external_status, func.count())
            .where(
                m.SyncedItem.connection_id == connection_id, col(m.SyncedItem.removed_at).is_(None)
            )
            .group_by(col(m.SyncedItem.external_status))
        ).all()
    )
    for external, mapping in writer.maps.items():
        mapping.items = int(counts.get(external, 0))
        session.add(mapping)
    run.unmapped = sum(n for s, n in counts.items() if not writer.column(s))
    newest = max((i.updated_at for i in fetched.items), default=None)
    if newest is not None and (conn.cursor is None or newest > as_utc(conn.cursor)):
        conn.cursor = newest
    run.fetched, run.requests = len(changed), fetched.requests
    run.status, run.finished_at = m.OK, now
    conn.status, conn.last_error, conn.last_ok_at, conn.locked_until = m.OK, "", now, None
    session.add(run)
    session.add(conn)
