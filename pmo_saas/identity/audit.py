"""The audit log: who did what, when. Written in the same transaction as the action."""

from __future__ import annotations

from typing import Any, Protocol

from sqlalchemy import bindparam, insert, literal
from sqlmodel import Session

from pmo_saas.db import tenant_org_id, tenant_rows
from pmo_saas.identity.models import AuditEvent, User
from pmo_saas.kernel.clock import utcnow
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
    session.add(
        AuditEvent(
            org_id=ctx.org_id,  # org_id by hand: also recorded in system sessions (sign-in)
            actor_id=ctx.user_id,
            actor_email=_actor_email(session, ctx, actor_email),
            action=action,
            target=target[:254],
            detail=detail,
        )
    )


def _actor_email(session: Session, ctx: TenantContext, given: str) -> str:
    """The e-mail given, or the context's (an event's session look-up carries it), or read."""
    if given or ctx.user_email:
        return given or ctx.user_email
    actor = session.get(User, ctx.user_id) if ctx.user_id is not None else None
    return actor.email if actor else ""


# Built once (parameters named unlike any column: Core reads those as values to SET).
_EVENT: Any = (
    insert(AuditEvent)
    .values(
        org_id=bindparam("org"),
        actor_id=bindparam("actor"),
        actor_email=bindparam("email"),
        action=bindparam("event_action"),
        target=bindparam("event_target"),
        detail=bindparam("event_detail"),
        created_at=bindparam("at"),
    )
    .returning(literal(1))
)


def record_now(
    *, session: Session, ctx: TenantContext, action: str, target: str = "", detail: str = ""
) -> None:
    """`record` in a tenant session, written at once in one Core INSERT through the tenancy
    mechanism (`tenant_rows`) rather than by the flush: for a hot path that writes in Core."""
    params = {
        "org": tenant_org_id(session),
        "actor": ctx.user_id,
        "email": _actor_email(session, ctx, ""),
        "event_action": action,
        "event_target": target[:254],
        "event_detail": detail,
        "at": utcnow(),
    }
    tenant_rows(session, _EVENT, params)


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
