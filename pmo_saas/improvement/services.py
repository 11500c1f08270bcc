"""The PMO's improvement backlog: raise an item (from a feedback round and statement, or from
a PMO retrospective), move it through its statuses, give it an owner, list it, export it.

Everyone in the organisation reads the backlog (a PMO that serves shows what it changes);
coaches, admins and owners write it. Every write is an audit row. Another organisation's item,
round or person gives the same NotFound as a missing one.
"""

from __future__ import annotations

import csv
import io
from datetime import datetime

from sqlmodel import Session, col, select

from pmo_saas.db import get_in_org
from pmo_saas.identity import audit
from pmo_saas.identity.models import Membership, User
from pmo_saas.identity.validation import clean_name, refuse_nul
from pmo_saas.improvement.models import (
    FROM_FEEDBACK,
    FROM_RETRO,
    SOURCE_LABELS,
    SOURCES,
    STATUS_LABELS,
    STATUSES,
    ImprovementItem,
)
from pmo_saas.improvement.schemas import Choice, ImprovementRow
from pmo_saas.kernel.clock import as_utc, utcnow
from pmo_saas.kernel.context import TenantContext
from pmo_saas.kernel.errors import NotFound, ValidationFailed
from pmo_saas.kernel.roles import Role
from pmo_saas.surveys import instruments as ins
from pmo_saas.surveys.models import Survey
from pmo_saas.surveys.services.pmo_feedback import PMO_QUESTION_LABELS, PMO_TITLE

MANAGE_ONLY = "Only coaches, admins and owners can change the PMO's improvement backlog."
MAX_DETAIL = 4000
MAX_ID = 2**31 - 1  # PostgreSQL `integer`: a larger id is no one's (and would not bind)


def _iso(value: datetime | None) -> str:
    return as_utc(value).isoformat() if value is not None else ""


def _owner(session: Session, owner_user_id: int | None) -> int | None:
    """`owner_user_id` if that person is a member of this organisation, else NotFound."""
    if owner_user_id is None:
        return None
    if not 0 < owner_user_id <= MAX_ID:
        raise NotFound("That person")
    found = session.exec(
        select(Membership.user_id).where(Membership.user_id == owner_user_id)
    ).first()
    if found is None:
        raise NotFound("That person")
    return owner_user_id


def _feedback_round(session: Session, survey_id: int | None) -> Survey:
    if survey_id is None:
        raise ValidationFailed("Choose the feedback round it comes from.", field="survey_id")
    survey = get_in_org(session, Survey, survey_id, "That feedback round")
    if survey.instrument != ins.PMO:
        raise NotFound("That feedback round")
    return survey


def raise_item(
    *,
    session: Session,
    ctx: TenantContext,
    title: str,
    detail: str = "",
    source: str = FROM_FEEDBACK,
    survey_id: int | None = None,
    question_key: str = "",
    retro: str = "",
    owner_user_id: int | None = None,
) -> int:
    """A new item, proposed. From feedback it names the round (and optionally the statement);
    from a retrospective it says which one. Returns its id."""
    ctx.require(Role.COACH, MANAGE_ONLY)
    title = clean_name(title, what="title", max_length=160)
    detail = (detail or "").strip()
    refuse_nul(detail, what="detail")
    if len(detail) > MAX_DETAIL:
        raise ValidationFailed(f"Keep the detail under {MAX_DETAIL} characters.", field="detail")
    if source not in SOURCES:
        raise ValidationFailed("Choose where the item comes from.", field="source")
    item = ImprovementItem(
        title=title, detail=detail, source=source, created_by_id=ctx.user_id, status="proposed"
    )
    if source == FROM_FEEDBACK:
        survey = _feedback_round(session, survey_id)
        if question_key and question_key not in PMO_QUESTION_LABELS:
            raise ValidationFailed("Choose one of the survey's statements.", field="question_key")
        item.survey_id, item.question_key = survey.id, question_key
        origin = f"{PMO_TITLE}, round {survey.round_number}"
    else:
        item.retro = clean_name(retro, what="retrospective", max_length=160)
        origin = item.retro
    item.owner_user_id = _owner(session, owner_user_id)
    session.add(item)
    session.flush()
    assert item.id is not None
    audit.record(
        session=session,
        ctx=ctx,
        action="improvement.raised",
        target=title,
        detail=f"{SOURCE_LABELS[source]}: {origin}",
    )
    return item.id


def _item(session: Session, item_id: int) -> ImprovementItem:
    return get_in_org(session, ImprovementItem, item_id, "That improvement item")


def set_item_status(*, session: Session, ctx: TenantContext, item_id: int, status: str) -> None:
    ctx.require(Role.COACH, MANAGE_ONLY)
    item = _item(session, item_id)
    if status not in STATUSES:
        raise ValidationFailed("Choose proposed, doing, done or dropped.", field="status")
    if status == item.status:
        return
    before = item.status
    item.status, item.updated_at = status, utcnow()
    session.add(item)
    audit.record(
        session=session,
        ctx=ctx,
        action="improvement.status",
        target=item.title,
        detail=f"{STATUS_LABELS[before]} -> {STATUS_LABELS[status]}",
    )


def set_item_owner(
    *, session: Session, ctx: TenantContext, item_id: int, owner_user_id: int | None
) -> None:
    ctx.require(Role.COACH, MANAGE_ONLY)
    item = _item(session, item_id)
    owner = _owner(session, owner_user_id)
    if owner == item.owner_user_id:
        return
    item.owner_user_id, item.updated_at = owner, utcnow()
    session.add(item)
    name = session.exec(select(User.name).where(User.id == owner)).first() if owner else None
    audit.record(
        session=session,
        ctx=ctx,
        action="improvement.owner",
        target=item.title,
        detail=f"owner: {name or 'nobody'}",
    )


def list_items(*, session: Session, ctx: TenantContext) -> list[ImprovementRow]:
    """Every item, open ones first (proposed, doing), then done and dropped; newest first."""
    ctx.require(Role.VIEWER)
    items = session.exec(select(ImprovementItem).order_by(col(ImprovementItem.id).desc())).all()
    people = {i.owner_user_id for i in items if i.owner_user_id is not None}
    names = (
        dict(session.exec(select(User.id, User.name).where(col(User.id).in_(people))).all())
        if people
        else {}
    )
    surveys = {i.survey_id for i in items if i.survey_id is not None}
    rounds = (
        dict(
            session.exec(
                select(Survey.id, Survey.round_number).where(col(Survey.id).in_(surveys))
            ).all()
        )
        if surveys
        else {}
    )
    order = {s: n for n, s in enumerate(STATUSES)}
    rows = [
        ImprovementRow(
            id=i.id or 0,
            title=i.title,
            detail=i.detail,
            source=i.source,
            source_label=SOURCE_LABELS.get(i.source, i.source),
            survey_id=i.survey_id,
            round_label=f"Round {rounds[i.survey_id]}" if i.survey_id in rounds else "",
            question_key=i.question_key,
            question_label=PMO_QUESTION_LABELS.get(i.question_key, ""),
            retro=i.retro if i.source == FROM_RETRO else "",
            status=i.status,
            status_label=STATUS_LABELS.get(i.status, i.status),
            owner_user_id=i.owner_user_id,
            owner_name=names.get(i.owner_user_id or 0, ""),
            created_at=_iso(i.created_at),
            updated_at=_iso(i.updated_at),
        )
        for i in items
    ]
    return sorted(rows, key=lambda r: order.get(r.status, 9))


def owner_choices(*, session: Session, ctx: TenantContext) -> list[Choice]:
    """The organisation's people, by name: who can own an item."""
    ctx.require(Role.VIEWER)
    rows = session.exec(
        select(User.id, User.name)
        .join(Membership, col(Membership.user_id) == User.id)
        .order_by(col(User.name))
    ).all()
    return [Choice(value=str(uid), label=name) for uid, name in rows]


def _safe(value: str) -> str:
    return f"'{value}" if value[:1] in ("=", "+", "-", "@", "\t", "\r") else value


def export_items_csv(*, session: Session, ctx: TenantContext) -> str:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(
        ["title", "status", "source", "round", "statement", "retrospective", "owner", "detail"]
    )
    for r in list_items(session=session, ctx=ctx):
        writer.writerow(
            [
                _safe(r.title),
                r.status,
                r.source,
                r.round_label,
                r.question_label,
                _safe(r.retro),
                _safe(r.owner_name),
                _safe(r.detail),
            ]
        )
    return out.getvalue()
