"""What the workspace home reads of identity at a glance: the organisation's counts, the
person's previous sign-in, and the latest changes in the audit trail."""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlmodel import Session, col, func, select

from pmo_saas.identity.models import AuditEvent, Invitation, Membership, Team, UserSession
from pmo_saas.kernel.clock import as_utc
from pmo_saas.kernel.context import TenantContext


@dataclass(frozen=True, slots=True)
class ChangeRow:
    actor_email: str
    action: str
    target: str
    created_at: datetime


def _count(session: Session, column: Any) -> int:
    return int(session.exec(select(func.count(column))).one())


def count_members(*, session: Session, ctx: TenantContext) -> int:
    return _count(session, Membership.id)


def count_invitations(*, session: Session, ctx: TenantContext) -> int:
    """Every invitation ever sent (accepted, pending or revoked)."""
    return _count(session, Invitation.id)


def count_teams(*, session: Session, ctx: TenantContext) -> int:
    return _count(session, Team.id)


def previous_sign_in(*, session: Session, ctx: TenantContext) -> datetime | None:
    """When the person signed in before this visit: their second newest session."""
    started = session.exec(
        select(UserSession.created_at)
        .where(UserSession.user_id == ctx.user_id)
        .order_by(col(UserSession.created_at).desc())
        .offset(1)
        .limit(1)
    ).first()
    return as_utc(started) if started else None


def recent_changes(
    *,
    session: Session,
    ctx: TenantContext,
    since: datetime | None,
    actions: Collection[str] | None,
    limit: int,
) -> list[ChangeRow]:
    """The newest audit events by others than the person (only `actions`, when given)."""
    query = select(AuditEvent).where(col(AuditEvent.actor_id) != ctx.user_id)
    if actions is not None:
        query = query.where(col(AuditEvent.action).in_(actions))
    if since is not None:
        query = query.where(col(AuditEvent.created_at) > since)
    events = session.exec(
        query.order_by(col(AuditEvent.created_at).desc(), col(AuditEvent.id).desc()).limit(limit)
    ).all()
    return [
        ChangeRow(
            actor_email=e.actor_email,
            action=e.action,
            target=e.target,
            created_at=as_utc(e.created_at),
        )
        for e in events
    ]
