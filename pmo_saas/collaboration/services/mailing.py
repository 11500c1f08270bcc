"""Notification mail, sent by the job runner (pmo_saas/jobs/tasks.py): each minute the
notifications of people who chose "mail at once" (one mail per person per run, listing them
all), each morning the daily digest of those who chose it. Every mail carries an unsubscribe
link that works signed out: a token sealed with a key derived from the server's secret
(Fernet: authenticated, so it cannot be made up or altered; expiring after TOKEN_DAYS), naming
the organisation, the person and the kind. The sealing is identity/link_tokens.py's, with its
own key purpose; that module is not imported here (it reaches Reflex for its page helper).
"""

from __future__ import annotations

import base64
from collections import defaultdict
from datetime import datetime
from functools import lru_cache

from cryptography.fernet import Fernet, InvalidToken
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from sqlmodel import Session, col, select

from pmo_saas.collaboration.models import DIGEST, IMMEDIATE, IN_APP, KINDS, Notification
from pmo_saas.collaboration.services.notifications import KIND_LABELS, save_channel
from pmo_saas.db import tenant_session
from pmo_saas.identity.mail import send_mail
from pmo_saas.identity.models import Membership, Organization, User
from pmo_saas.kernel.context import TenantContext
from pmo_saas.kernel.errors import ValidationFailed
from pmo_saas.kernel.roles import Role
from pmo_saas.settings import get_settings

UNSUBSCRIBE_PATH = "/notifications/unsubscribe"
ALL_KINDS = "all"
TOKEN_DAYS = 180
REFUSED = "This unsubscribe link is not valid. Change your notifications in the app instead."


@lru_cache(maxsize=4)
def _fernet(secret_key: str) -> Fernet:
    key = HKDF(
        algorithm=hashes.SHA256(),
        length=32,
        salt=b"pmo_saas.collaboration.mailing",
        info=b"notification unsubscribe v1",
    ).derive(secret_key.encode())
    return Fernet(base64.urlsafe_b64encode(key))


def unsubscribe_token(*, org_id: int, user_id: int, kind: str) -> str:
    plain = f"{org_id}:{user_id}:{kind}".encode()
    return _fernet(get_settings().secret_key).encrypt(plain).decode()


def unsubscribe_url(*, org_id: int, user_id: int, kind: str) -> str:
    base = get_settings().public_url.rstrip("/")
    return (
        f"{base}{UNSUBSCRIBE_PATH}/{unsubscribe_token(org_id=org_id, user_id=user_id, kind=kind)}"
    )


def read_unsubscribe_token(token: str) -> tuple[int, int, str]:
    """(org id, user id, kind) of a token this server sealed; ValidationFailed otherwise."""
    try:
        plain = _fernet(get_settings().secret_key).decrypt(token.encode(), ttl=TOKEN_DAYS * 86400)
        org, user, kind = plain.decode().split(":")
        found = int(org), int(user), kind
    except (InvalidToken, ValueError, TypeError):
        raise ValidationFailed(REFUSED) from None
    if kind != ALL_KINDS and kind not in KINDS:
        raise ValidationFailed(REFUSED)
    return found


def unsubscribe(*, token: str) -> str:
    """Signed out: the person's mail for that kind (or every kind) stops; in-app stays."""
    org_id, user_id, kind = read_unsubscribe_token(token)
    ctx = TenantContext(org_id=org_id, user_id=user_id, role=Role.MEMBER)
    with tenant_session(ctx) as session:
        if session.exec(select(Membership.id).where(Membership.user_id == user_id)).first() is None:
            raise ValidationFailed(REFUSED)
        for each in KINDS if kind == ALL_KINDS else (kind,):
            save_channel(session, user_id=user_id, kind=each, channel=IN_APP)
        name = session.exec(select(Organization.name).where(Organization.id == org_id)).one()
    what = "any notification" if kind == ALL_KINDS else f"“{KIND_LABELS[kind].lower()}”"
    return f"You will no longer get mail from {name} for {what}. In-app notifications stay."


def _pending(session: Session, channel: str) -> dict[int, list[Notification]]:
    rows = session.exec(
        select(Notification)
        .where(Notification.channel == channel, col(Notification.mailed_at).is_(None))
        .order_by(col(Notification.id))
    ).all()
    found: dict[int, list[Notification]] = defaultdict(list)
    for n in rows:
        found[n.recipient_id].append(n)
    return found


def _body(ctx: TenantContext, user_id: int, items: list[Notification], intro: str) -> str:
    base = get_settings().public_url.rstrip("/")
    lines = [intro, ""]
    lines += [f"- {n.title}" for n in items]
    lines += ["", f"Open your notifications: {base}/o/{ctx.org_slug}/notifications", ""]
    kinds = sorted({n.kind for n in items})
    if len(kinds) == 1:
        link = unsubscribe_url(org_id=ctx.org_id, user_id=user_id, kind=kinds[0])
        lines.append(f"Stop these mails ({KIND_LABELS[kinds[0]].lower()}): {link}")
    link = unsubscribe_url(org_id=ctx.org_id, user_id=user_id, kind=ALL_KINDS)
    lines.append(f"Stop all notification mail from this organisation: {link}")
    return "\n".join(lines)


def send_notification_mail(
    *, session: Session, ctx: TenantContext, now: datetime, digest: bool
) -> int:
    """The organisation's pending mail of one channel (at once, or the digest): one mail per
    person listing every pending notification, marked mailed in the same transaction."""
    pending = _pending(session, DIGEST if digest else IMMEDIATE)
    if not pending:
        return 0
    slug = session.exec(select(Organization.slug).where(Organization.id == ctx.org_id)).one()
    ctx = TenantContext(org_id=ctx.org_id, user_id=ctx.user_id, role=ctx.role, org_slug=slug)
    emails = dict(session.exec(select(User.id, User.email).where(col(User.id).in_(pending))).all())
    sent = 0
    for user_id, items in sorted(pending.items()):
        email = emails.get(user_id)
        if email:
            count = len(items)
            subject = (
                f"Your daily digest: {count} notification{'s' if count != 1 else ''}"
                if digest
                else items[0].title
                if count == 1
                else f"{count} new notifications"
            )
            intro = "Since yesterday's digest:" if digest else "New in pmo_saas:"
            send_mail(
                session=session,
                to=email,
                subject=subject[:255],
                body=_body(ctx, user_id, items, intro),
                org_id=ctx.org_id,
            )
            sent += 1
        for n in items:
            n.mailed_at = now
            session.add(n)
    return sent
