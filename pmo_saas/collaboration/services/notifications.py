"""Notifications: `notify` (the one entry other domains call), the bell's unread count, the
notifications page, mark read, and each person's channel per kind of event.

A notification is created only for a member of the organisation who may see its object (the
object's own rules, targets.py), once per person and event, and never for the actor. Its
channel is the recipient's preference at that moment: in-app only, mailed at once or in the
daily digest (mailing.py sends both from the job runner), or off (nothing is created).

Who calls it, in the transaction of the change (the domains import collaboration, never the
other way): comments (mentioned, reply), coaching/services/actions.py (action assigned; action
overdue from the due_events job), portfolio/services/governance.py (gate decision),
rounds.py (invited to score), notices.py (my initiative funded or not, by a published plan),
surveys/services/notices.py (the survey I run closed; my team's results published).
"""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import func, insert, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as lite_insert
from sqlmodel import Session, col, select

from pmo_saas.collaboration import targets
from pmo_saas.collaboration.models import (
    ACTION_ASSIGNED,
    ACTION_OVERDUE,
    CHANNELS,
    FUNDING,
    GATE_DECISION,
    IN_APP,
    INVITED_TO_SCORE,
    KINDS,
    MENTIONED,
    OFF,
    REPLY,
    RESULTS_PUBLISHED,
    SURVEY_CLOSED,
    Notification,
    NotificationPreference,
)
from pmo_saas.collaboration.schemas import NotificationRow, PreferenceRow
from pmo_saas.collaboration.services.common import iso, when
from pmo_saas.db import ORG_KEY, get_in_org
from pmo_saas.kernel.clock import utcnow
from pmo_saas.kernel.context import TenantContext
from pmo_saas.kernel.errors import ValidationFailed

KIND_LABELS = {
    MENTIONED: "Someone mentions me",
    REPLY: "A reply in a thread I took part in",
    ACTION_ASSIGNED: "A coaching action is assigned to me",
    GATE_DECISION: "A gate decision on an initiative I follow",
    INVITED_TO_SCORE: "An invitation to score in a scoring round",
    FUNDING: "An initiative I own is funded or no longer funded",
    ACTION_OVERDUE: "A coaching action of mine is overdue",
    SURVEY_CLOSED: "A survey I run has closed",
    RESULTS_PUBLISHED: "My team's survey results are published",
}
CHANNEL_LABELS = {
    IN_APP: "In the app only",
    "immediate": "In the app and by mail at once",
    "digest": "In the app and in a daily mail digest",
    OFF: "Off",
}
PAGE_SIZE = 50


def channels_for(session: Session, kind: str, user_ids: Iterable[int]) -> dict[int, str]:
    """Each person's channel for `kind` (in-app unless they chose otherwise)."""
    ids = set(user_ids)
    chosen = (
        dict(
            session.exec(
                select(NotificationPreference.user_id, NotificationPreference.channel).where(
                    NotificationPreference.kind == kind,
                    col(NotificationPreference.user_id).in_(ids),
                )
            ).all()
        )
        if ids
        else {}
    )
    return {uid: chosen.get(uid, IN_APP) for uid in ids}


def notify(
    *,
    session: Session,
    ctx: TenantContext,
    kind: str,
    recipient_ids: Iterable[int | None],
    title: str,
    target_kind: str,
    target_id: int,
    comment_id: int | None = None,
    event_key: str | None = None,
) -> int:
    """Notify each of `recipient_ids` (once each; not the actor; only those who may see the
    object; as their preference for `kind` says). Returns how many were created.

    An event that may be reported again (a job run twice, on two workers, a retry) names
    itself in `event_key`: a person already told of that event is not told twice (the
    unique key decides, so two transactions at once cannot both insert)."""
    if kind not in KINDS:
        raise ValueError(f"unknown notification kind {kind!r}")
    wanted = {r for r in recipient_ids if r is not None and r != ctx.user_id}
    if not wanted:
        return 0
    allowed = targets.who_can_see(session, ctx, target_kind, target_id, wanted)
    channels = channels_for(session, kind, allowed)
    now = utcnow()
    rows = [
        {
            # Bulk insert (one statement for any number of people) skips the flush that
            # stamps org_id: it is the tenant session's own organisation, as the stamp's.
            "org_id": session.info[ORG_KEY],
            "recipient_id": uid,
            "kind": kind,
            "channel": channel,
            "actor_id": ctx.user_id,
            "title": title[:300],
            "target_kind": target_kind,
            "target_id": target_id,
            "comment_id": comment_id,
            "event_key": f"{kind}:{event_key}"[:120] if event_key else None,
            "created_at": now,
        }
        for uid, channel in sorted(channels.items())
        if channel != OFF
    ]
    if not rows:
        return 0
    if event_key is None:
        session.execute(insert(Notification), rows)
        return len(rows)
    postgres = session.get_bind().dialect.name == "postgresql"
    statement = (pg_insert if postgres else lite_insert)(Notification).on_conflict_do_nothing()
    created = session.execute(statement.returning(col(Notification.id)), rows).all()
    return len(created)


def people_in_conversation(*, session: Session, target_kind: str, target_id: int) -> set[int]:
    """Who has commented on the object: those who follow it (a gate decision tells them)."""
    from pmo_saas.collaboration.models import Comment

    rows = session.exec(
        select(Comment.author_id).where(
            Comment.target_kind == target_kind, Comment.target_id == target_id
        )
    ).all()
    return {a for a in rows if a is not None}


def unread_count(*, session: Session, ctx: TenantContext) -> int:
    if ctx.user_id is None:
        return 0
    return int(
        session.exec(
            select(func.count(col(Notification.id))).where(
                Notification.recipient_id == ctx.user_id, col(Notification.read_at).is_(None)
            )
        ).one()
    )


def list_notifications(
    *, session: Session, ctx: TenantContext, unread_only: bool = False, limit: int = PAGE_SIZE
) -> list[NotificationRow]:
    """The caller's newest notifications; each links to its object while they may see it."""
    query = select(Notification).where(Notification.recipient_id == ctx.user_id)
    if unread_only:
        query = query.where(col(Notification.read_at).is_(None))
    rows = session.exec(
        query.order_by(col(Notification.id).desc()).limit(max(1, min(limit, 200)))
    ).all()
    found = []
    for n in rows:
        assert n.id is not None
        path = targets.path_if_visible(session, ctx, n.target_kind, n.target_id)
        found.append(
            NotificationRow(
                id=n.id,
                kind=n.kind,
                title=n.title if path is not None else "An item you can no longer see",
                target_kind=n.target_kind,
                target_id=n.target_id,
                comment_id=n.comment_id,
                path=path or "",
                created_at=iso(n.created_at),
                when=when(n.created_at),
                read=n.read_at is not None,
            )
        )
    return found


def mark_read(*, session: Session, ctx: TenantContext, notification_id: int) -> None:
    row = get_in_org(session, Notification, notification_id, "That notification")
    if row.recipient_id != ctx.user_id:
        raise ValidationFailed("That notification was not found.")
    if row.read_at is None:
        row.read_at = utcnow()
        session.add(row)


def mark_all_read(*, session: Session, ctx: TenantContext) -> int:
    result = session.execute(
        update(Notification)
        .where(col(Notification.recipient_id) == ctx.user_id, col(Notification.read_at).is_(None))
        .values(read_at=utcnow())
    )
    return int(getattr(result, "rowcount", 0) or 0)


def list_preferences(*, session: Session, ctx: TenantContext) -> list[PreferenceRow]:
    assert ctx.user_id is not None
    chosen = {kind: channels_for(session, kind, [ctx.user_id])[ctx.user_id] for kind in KINDS}
    return [PreferenceRow(kind=k, label=KIND_LABELS[k], channel=chosen[k]) for k in KINDS]


def set_preference(*, session: Session, ctx: TenantContext, kind: str, channel: str) -> None:
    if kind not in KINDS:
        raise ValidationFailed("Choose one of the listed kinds of notification.", field="kind")
    if channel not in CHANNELS:
        raise ValidationFailed("Choose how to be told: in the app, by mail, digest or off.")
    if ctx.user_id is None:
        raise ValidationFailed("Sign in to choose your notifications.")
    save_channel(session, user_id=ctx.user_id, kind=kind, channel=channel)


def save_channel(session: Session, *, user_id: int, kind: str, channel: str) -> None:
    row = session.exec(
        select(NotificationPreference).where(
            NotificationPreference.user_id == user_id, NotificationPreference.kind == kind
        )
    ).first()
    if row is None:
        row = NotificationPreference(user_id=user_id, kind=kind, channel=channel)
    row.channel = channel
    session.add(row)
