"""Work items: add by hand, move between columns, list; CSV import with a preview that writes
nothing (pages/delivery.py). Every move goes through history.move_work_item."""

from __future__ import annotations

from collections.abc import Callable, Mapping

from sqlmodel import Session, col, select

from pmo_saas.delivery import csvio
from pmo_saas.delivery.columns import COLUMNS, KINDS, clean_column
from pmo_saas.delivery.history import move_work_item as record_move
from pmo_saas.delivery.history import set_removed
from pmo_saas.delivery.models import WorkItem
from pmo_saas.delivery.schemas import WorkItemRow
from pmo_saas.delivery.services._common import (
    IMPORT,
    IMPORT_MESSAGE,
    WRITE,
    WRITE_MESSAGE,
    day_text,
    initiative_in_org,
    work_item_in_org,
)
from pmo_saas.identity import audit
from pmo_saas.kernel.clock import utcnow
from pmo_saas.kernel.context import TenantContext
from pmo_saas.kernel.errors import NotFound, ValidationFailed
from pmo_saas.portfolio.models import Initiative
from pmo_saas.portfolio.schemas import ImportPreview, ImportResult, ImportRowError

FLUSH_EVERY = 500


def create_work_item(
    *, session: Session, ctx: TenantContext, initiative_id: int, data: Mapping[str, object]
) -> int:
    """`data`: title (required), kind, status, estimate, as typed."""
    ctx.require(WRITE, WRITE_MESSAGE)
    initiative = initiative_in_org(session, initiative_id)
    now = utcnow()
    cells = {k: str(v if v is not None else "") for k, v in data.items()}
    unknown = sorted(set(cells) - {"title", "kind", "status", "estimate"})
    if unknown:
        raise ValidationFailed(f"Unknown work-item field(s): {', '.join(unknown)}.")
    status = clean_column(cells.get("status"))
    started = {"started_at": now.isoformat()} if status not in ("backlog", "ready") else {}
    done = {"done_at": now.isoformat()} if status == "done" else {}
    row = csvio.clean_item({**cells, **started, **done}, line=0, now=now)
    item = WorkItem(
        portfolio_id=initiative.portfolio_id,
        initiative_id=initiative_id,
        kind=row.kind,
        title=row.title,
        status=row.status,
        estimate=row.estimate,
        created_at=now,
    )
    session.add(item)
    session.flush()
    record_move(
        session, item, row.status, at=now, by_user_id=ctx.user_id, source="manual", first=True
    )
    audit.record(
        session=session,
        ctx=ctx,
        action="workitem.created",
        target=row.title,
        detail=f"initiative {initiative.title}",
    )
    assert item.id is not None
    return item.id


def move_work_item(*, session: Session, ctx: TenantContext, work_item_id: int, status: str) -> None:
    ctx.require(WRITE, WRITE_MESSAGE)
    item = work_item_in_org(session, work_item_id)
    if item.removed_at is not None:
        raise NotFound("That work item")
    old = item.status
    change = record_move(
        session, item, clean_column(status), at=utcnow(), by_user_id=ctx.user_id, source="board"
    )
    if change is not None:
        audit.record(
            session=session,
            ctx=ctx,
            action="workitem.moved",
            target=item.title,
            detail=f"{old} → {item.status}",
        )


def delete_work_item(*, session: Session, ctx: TenantContext, work_item_id: int) -> None:
    """Delete by hand: the item leaves every figure and list (its history stays, unread)."""
    ctx.require(WRITE, WRITE_MESSAGE)
    item = work_item_in_org(session, work_item_id)
    if set_removed(session, item, utcnow()):
        audit.record(session=session, ctx=ctx, action="workitem.deleted", target=item.title)


def _rows(session: Session, items: list[WorkItem]) -> list[WorkItemRow]:
    ids = sorted({i.initiative_id for i in items})
    titles = (
        dict(
            session.exec(
                select(Initiative.id, Initiative.title).where(col(Initiative.id).in_(ids))
            ).all()
        )
        if ids
        else {}
    )
    return [
        WorkItemRow(
            id=i.id or 0,
            initiative_id=i.initiative_id,
            initiative_title=titles.get(i.initiative_id, ""),
            kind=i.kind,
            kind_label=KINDS.get(i.kind, i.kind),
            title=i.title,
            status=i.status,
            status_label=COLUMNS.get(i.status, i.status),
            estimate="" if i.estimate is None else f"{i.estimate:g}",
            created=day_text(i.created_at),
            started=day_text(i.started_at),
            done=day_text(i.done_at),
        )
        for i in items
    ]


def list_work_items(
    *, session: Session, ctx: TenantContext, initiative_id: int, limit: int | None = 200
) -> list[WorkItemRow]:
    """The initiative's items, open ones first (the newest `limit`)."""
    initiative_in_org(session, initiative_id)
    items = session.exec(
        select(WorkItem)
        .where(WorkItem.initiative_id == initiative_id, col(WorkItem.removed_at).is_(None))
        .order_by(col(WorkItem.done_at).is_not(None), col(WorkItem.id).desc())
        .limit(limit)
    ).all()
    return _rows(session, list(items))


def preview_work_item_import(
    *, session: Session, ctx: TenantContext, initiative_id: int, data: bytes
) -> ImportPreview:
    """Every row checked, every problem listed by line; nothing is written."""
    ctx.require(IMPORT, IMPORT_MESSAGE)
    initiative_in_org(session, initiative_id)
    reading = csvio.read_items_csv(data, now=utcnow())
    return ImportPreview(
        columns=list(csvio.COLUMNS),
        rows=[{"title": r.title, "status": r.status} for r in reading.rows],
        errors=[ImportRowError(row=line, message=msg) for line, msg in reading.errors],
        file_errors=reading.file_errors,
    )


def import_work_items(
    *,
    session: Session,
    ctx: TenantContext,
    initiative_id: int,
    data: bytes,
    skip_invalid: bool = False,
    progress: Callable[[int, int], None] | None = None,
) -> ImportResult:
    """Write the previewed rows and their history (at the file's times) in one transaction;
    `progress(done, total)` is told as they are (the page's bar: rows, then their history)."""
    ctx.require(IMPORT, IMPORT_MESSAGE)
    initiative = initiative_in_org(session, initiative_id)
    reading = csvio.read_items_csv(data, now=utcnow())
    if reading.file_errors:
        raise ValidationFailed(" ".join(reading.file_errors), field="file")
    if reading.errors and not skip_invalid:
        lines = ", ".join(str(line) for line, _ in reading.errors)
        raise ValidationFailed(
            f"Line(s) {lines} have errors. Fix them, or import only the valid rows.", field="file"
        )
    if not reading.rows:
        raise ValidationFailed("The file has no valid rows to import.", field="file")
    told = progress or (lambda done, total: None)
    total = 2 * len(reading.rows)
    items = []
    for n, row in enumerate(reading.rows, start=1):
        item = WorkItem(
            portfolio_id=initiative.portfolio_id,
            initiative_id=initiative_id,
            kind=row.kind,
            title=row.title,
            status=row.status,
            estimate=row.estimate,
            created_at=row.created_at,
            source="csv",
        )
        session.add(item)
        items.append(item)
        if n % FLUSH_EVERY == 0:
            session.flush()
            told(n, total)
    session.flush()
    told(len(items), total)
    for n, (row, item) in enumerate(zip(reading.rows, items, strict=True), start=1):
        _replay(session, item, row, ctx.user_id)
        if n % FLUSH_EVERY == 0:
            session.flush()
            told(len(items) + n, total)
    told(total, total)
    skipped = [line for line, _ in reading.errors]
    audit.record(
        session=session,
        ctx=ctx,
        action="workitems.imported",
        target=initiative.title,
        detail=f"{len(items)} created" + (f"; skipped lines {skipped}" if skipped else ""),
    )
    return ImportResult(created=len(items), skipped_rows=skipped)


def _replay(session: Session, item: WorkItem, row: csvio.ItemRow, user_id: int | None) -> None:
    """The row's history at its own times: arrival, start, done."""
    first = row.status if row.status in ("backlog", "ready") else "backlog"
    record_move(
        session, item, first, at=row.created_at, by_user_id=user_id, source="import", first=True
    )
    if row.started_at is not None:
        started_in = "doing" if row.status == "done" else row.status
        record_move(
            session, item, started_in, at=row.started_at, by_user_id=user_id, source="import"
        )
    if row.done_at is not None:
        record_move(session, item, "done", at=row.done_at, by_user_id=user_id, source="import")
