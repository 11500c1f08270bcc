"""Read-only share links to the dashboard for people without an account.

The token is random (256 bits), shown once and stored as its SHA-256 hash; a link expires
(1 to 90 days) and can be revoked. It opens the dashboard's figures and nothing else: the
resolver returns a viewer context with no user, used only to build the dashboard.
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import timedelta

from sqlmodel import Session, col, select

from pmo_saas.dashboard import services
from pmo_saas.dashboard.models import ShareLink
from pmo_saas.dashboard.schemas import CreatedShareLink, Dashboard, ShareLinkRow
from pmo_saas.db import get_in_org, system_session, tenant_session
from pmo_saas.identity import audit
from pmo_saas.identity.models import Organization, User
from pmo_saas.kernel.clock import as_utc, utcnow
from pmo_saas.kernel.context import TenantContext
from pmo_saas.kernel.errors import NotFound, ValidationFailed
from pmo_saas.kernel.roles import Role

MANAGE_MESSAGE = "Only admins and owners share the dashboard outside the organisation."
MAX_DAYS = 90


class ShareLinkInvalid(NotFound):
    def __init__(self) -> None:
        super().__init__("This dashboard link")


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8", "surrogatepass")).hexdigest()


def _status(link: ShareLink) -> str:
    if link.revoked_at is not None:
        return "revoked"
    if as_utc(link.expires_at) <= utcnow():
        return "expired"
    return "active"


def _row(link: ShareLink, names: dict[int, str]) -> ShareLinkRow:
    return ShareLinkRow(
        id=link.id or 0,
        label=link.label,
        prefix=link.prefix,
        created_by=names.get(link.created_by_id or 0, ""),
        created_at=as_utc(link.created_at).strftime("%Y-%m-%d %H:%M"),
        expires_at=as_utc(link.expires_at).strftime("%Y-%m-%d %H:%M"),
        status=_status(link),
        views=link.views,
    )


def create_share_link(
    *, session: Session, ctx: TenantContext, label: str, days: int = 30
) -> CreatedShareLink:
    ctx.require(Role.ADMIN, MANAGE_MESSAGE)
    label = " ".join(str(label or "").split())
    if not label:
        raise ValidationFailed("Say who the link is for, e.g. “Board, December”.", field="label")
    if len(label) > 120:
        raise ValidationFailed("The label is longer than 120 characters.", field="label")
    try:
        days = int(days)
    except (TypeError, ValueError):
        raise ValidationFailed("The link lasts a whole number of days.", field="days") from None
    if not 1 <= days <= MAX_DAYS:
        raise ValidationFailed(f"A link lasts from 1 to {MAX_DAYS} days.", field="days")
    token = secrets.token_urlsafe(32)
    link = ShareLink(
        label=label,
        prefix=token[:6],
        token_hash=_hash(token),
        created_by_id=ctx.user_id,
        expires_at=utcnow() + timedelta(days=days),
    )
    session.add(link)
    session.flush()
    audit.record(
        session=session,
        ctx=ctx,
        action="dashboard.shared",
        target=label,
        detail=f"expires in {days} days",
    )
    names = _names(session, [ctx.user_id])
    return CreatedShareLink(row=_row(link, names), token=token, path=f"/share/{token}")


def _names(session: Session, ids: list[int | None]) -> dict[int, str]:
    wanted = [i for i in ids if i is not None]
    if not wanted:
        return {}
    rows = session.exec(select(User.id, User.name).where(col(User.id).in_(wanted))).all()
    return {uid: name for uid, name in rows if uid is not None}


def list_share_links(*, session: Session, ctx: TenantContext) -> list[ShareLinkRow]:
    ctx.require(Role.ADMIN, MANAGE_MESSAGE)
    links = session.exec(select(ShareLink).order_by(col(ShareLink.created_at).desc())).all()
    names = _names(session, [link.created_by_id for link in links])
    return [_row(link, names) for link in links]


def revoke_share_link(*, session: Session, ctx: TenantContext, link_id: int) -> None:
    ctx.require(Role.ADMIN, MANAGE_MESSAGE)
    link = get_in_org(session, ShareLink, link_id, "That share link")
    if link.revoked_at is None:
        link.revoked_at = utcnow()
        session.add(link)
        audit.record(session=session, ctx=ctx, action="dashboard.share_revoked", target=link.label)


def resolve_share_token(token: str) -> TenantContext:
    """The viewer context a valid link opens (no user); ShareLinkInvalid otherwise.

    Looked up before any organisation is known, like signing in: a system session.
    """
    if not token or len(token) > 100:
        raise ShareLinkInvalid()
    with system_session() as session:
        found = session.exec(
            select(ShareLink, Organization.slug)
            .join(Organization, col(Organization.id) == ShareLink.org_id)
            .where(ShareLink.token_hash == _hash(token))
        ).first()
        if found is None or _status(found[0]) != "active":
            raise ShareLinkInvalid()
        link, _slug = found
        link.views += 1
        link.last_viewed_at = utcnow()
        session.add(link)
        return TenantContext(org_id=link.org_id or 0, user_id=None, role=Role.VIEWER)


def shared_dashboard(*, token: str) -> Dashboard:
    """The dashboard a share link shows: figures only, no links into the workspace."""
    ctx = resolve_share_token(token)
    with tenant_session(ctx) as session:
        return services.build_dashboard(session=session, ctx=ctx, links=False)
