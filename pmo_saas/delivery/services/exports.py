"""Delivery data as it leaves for other tools (the REST API and CSV downloads): an initiative's
work items, its status history (its own moves and its items'), and its flow figures with the
forecast. Never a sync credential: these read work items and moves, not connections."""

from __future__ import annotations

from sqlmodel import Session, col, select

from pmo_saas.delivery.columns import COLUMNS
from pmo_saas.delivery.models import StatusChange, WorkItem
from pmo_saas.delivery.schemas import StatusChangeRow
from pmo_saas.delivery.services._common import initiative_in_org
from pmo_saas.delivery.services.flow import initiative_flow
from pmo_saas.delivery.services.plan_views import csv_text
from pmo_saas.delivery.services.workitems import list_work_items
from pmo_saas.identity.models import User
from pmo_saas.kernel.clock import as_utc
from pmo_saas.kernel.context import TenantContext

PERCENTILES = ("50", "85", "95")


def status_history(
    *, session: Session, ctx: TenantContext, initiative_id: int
) -> list[StatusChangeRow]:
    """Every recorded move of the initiative and its work items, oldest first."""
    initiative = initiative_in_org(session, initiative_id)
    rows = session.exec(
        select(StatusChange, WorkItem.title, WorkItem.external_key, User.name)
        .outerjoin(WorkItem, col(WorkItem.id) == StatusChange.work_item_id)
        .outerjoin(User, col(User.id) == StatusChange.by_user_id)
        .where(StatusChange.initiative_id == initiative_id)
        .order_by(col(StatusChange.at), col(StatusChange.id))
    ).all()
    return [
        StatusChangeRow(
            at=as_utc(change.at).isoformat(),
            initiative_id=change.initiative_id,
            work_item_id=change.work_item_id,
            external_key=key or "",
            title=title if change.work_item_id is not None else initiative.title,
            from_status=change.from_status or "",
            to_status=change.to_status,
            by=name or "",
            source=change.source,
        )
        for change, title, key, name in rows
    ]


def export_work_items_csv(*, session: Session, ctx: TenantContext, initiative_id: int) -> str:
    """The import's columns first (a file that round-trips), then where each item came from."""
    rows = list_work_items(session=session, ctx=ctx, initiative_id=initiative_id, limit=None)
    keys = dict(
        session.exec(
            select(WorkItem.id, WorkItem.external_key).where(
                WorkItem.initiative_id == initiative_id
            )
        ).all()
    )
    head = ["title", "kind", "status", "estimate", "created_at", "started_at", "done_at", "key"]
    return csv_text(
        [head]
        + [
            [r.title, r.kind, r.status, r.estimate, r.created, r.started, r.done, keys.get(r.id)]
            for r in rows
        ]
    )


def export_status_history_csv(*, session: Session, ctx: TenantContext, initiative_id: int) -> str:
    rows = status_history(session=session, ctx=ctx, initiative_id=initiative_id)
    head = ["at", "work item", "key", "from", "to", "by", "source"]
    return csv_text(
        [head]
        + [
            [
                r.at,
                r.title if r.work_item_id is not None else "(the initiative)",
                r.external_key,
                COLUMNS.get(r.from_status, r.from_status),
                COLUMNS.get(r.to_status, r.to_status),
                r.by,
                r.source,
            ]
            for r in rows
        ]
    )


def export_flow_csv(*, session: Session, ctx: TenantContext, initiative_id: int) -> str:
    """One figure a line: counts, cycle and lead time percentiles, WIP, the forecast beside the
    planned end, then throughput per week (the history the forecast used)."""
    view = initiative_flow(session=session, ctx=ctx, initiative_id=initiative_id)
    f, fc = view.figures, view.forecast
    lines: list[list[object] | list[str]] = [
        ["figure", "value"],
        ["done items", f.done_items],
        ["open items", f.open_items],
        *[[f"cycle time {p}%", f.cycle.get(p, "")] for p in PERCENTILES],
        *[[f"lead time {p}%", f.lead.get(p, "")] for p in PERCENTILES],
        ["work in progress", f.wip],
        ["WIP age median", f.wip_age_median],
        ["WIP age oldest", f.wip_age_oldest],
        ["flow efficiency", f.efficiency],
        ["planned end", view.planned_end],
        ["forecast remaining", fc.remaining],
        *[[f"forecast {p}%", fc.dates.get(p, "")] for p in PERCENTILES],
        ["forecast", fc.sentence or fc.message],
        *[[f"throughput week of {w.week}", w.done] for w in view.throughput],
    ]
    return csv_text(lines)
