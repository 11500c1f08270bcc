"""The audit log: who did what, when. Written in the same transaction as the action."""

from __future__ import annotations

from typing import Protocol

from sqlmodel import Session

from pmo_saas.identity.models import AuditEvent, User
from pmo_saas.kernel.context import TenantContext


def record(
    *,
    session: Session,
    ctx: TenantContext,
    action: str,
    target: str = "",
    detail: str = "",
    actor_email: str = "",
) -> None:
    if not actor_email:
        actor_email = ctx.user_email
    if not actor_email and ctx.user_id is not None:
        actor = session.get(User, ctx.user_id)
        actor_email = actor.email if actor else ""
    session.add(
        AuditEvent(
            org_id=ctx.org_id,  # org_id by hand: also recorded in system sessions (sign-in)
            actor_id=ctx.user_id,
            actor_email=actor_email,
            action=action,
            target=target[:254],
            detail=detail,
        )
    )


class _WithId(Protocol):
    id: int | None


def add_audited(
    *,
    session: Session,
    ctx: TenantContext,
    row: _WithId,
    action: str,
    target: str = "",
    detail: str = "",
) -> int:
    """Add a new row, flush for its id and record the action, in the caller's transaction."""
    session.add(row)
    session.flush()
    assert row.id is not None
    record(session=session, ctx=ctx, action=action, target=target, detail=detail)
    return row.id
