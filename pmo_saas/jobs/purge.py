"""Purge what has expired: sessions, sign-in tickets, password resets and share links.

Each kind is deleted in small batches, one transaction per batch, chosen by its expiry column
alone: a second run finds nothing left to delete, and a run interrupted after some batches
leaves only rows the next run deletes (nothing half-done, nothing deleted that is still live).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import ColumnElement, and_, delete, or_
from sqlmodel import col, select

from pmo_saas.dashboard.models import ShareLink
from pmo_saas.db import system_session
from pmo_saas.identity.models import PasswordReset, SignInTicket, UserSession
from pmo_saas.identity.sso_models import SsoSessionLink
from pmo_saas.kernel.clock import utcnow

BATCH = 500
# A revoked session stays a day (the account page may list it); an expired one goes at once.
REVOKED_SESSION_KEPT = timedelta(days=1)
# An expired or revoked share link stays listed (as expired) for a week, then goes.
SHARE_LINK_KEPT = timedelta(days=7)


@dataclass
class Purged:
    sessions: int = 0
    sign_in_tickets: int = 0
    password_resets: int = 0
    share_links: int = 0

    @property
    def total(self) -> int:
        return self.sessions + self.sign_in_tickets + self.password_resets + self.share_links


def _purge_batches(
    model: Any,
    expired: ColumnElement[bool],
    *,
    batch_size: int,
    after_batch: Callable[[int], None] | None,
    also: Callable[[Any, list[Any]], None] | None = None,
) -> int:
    total = 0
    while True:
        with system_session() as session:
            rows = session.exec(
                select(model).where(expired).order_by(col(model.id)).limit(batch_size)
            ).all()
            if not rows:
                return total
            ids = [r.id for r in rows]
            if also is not None:
                also(session, list(rows))
            session.exec(delete(model).where(col(model.id).in_(ids)))  # type: ignore[call-overload]
        total += len(ids)
        if after_batch is not None:
            after_batch(len(ids))


def _forget_sso_links(session: Any, sessions: list[UserSession]) -> None:
    hashes = [s.token_hash for s in sessions]
    session.exec(delete(SsoSessionLink).where(col(SsoSessionLink.session_token_hash).in_(hashes)))


def purge_expired(
    *,
    now: datetime | None = None,
    batch_size: int = BATCH,
    after_batch: Callable[[int], None] | None = None,
) -> Purged:
    """Delete every expired row; `after_batch(n)` is called after each committed batch."""
    now = now or utcnow()
    purged = Purged()
    purged.sessions = _purge_batches(
        UserSession,
        or_(
            col(UserSession.expires_at) < now,
            col(UserSession.revoked_at) < now - REVOKED_SESSION_KEPT,
        ),
        batch_size=batch_size,
        after_batch=after_batch,
        also=_forget_sso_links,
    )
    purged.sign_in_tickets = _purge_batches(
        SignInTicket,
        col(SignInTicket.expires_at) < now,
        batch_size=batch_size,
        after_batch=after_batch,
    )
    purged.password_resets = _purge_batches(
        PasswordReset,
        col(PasswordReset.expires_at) < now,
        batch_size=batch_size,
        after_batch=after_batch,
    )
    purged.share_links = _purge_batches(
        ShareLink,
        or_(
            col(ShareLink.expires_at) < now - SHARE_LINK_KEPT,
            and_(
                col(ShareLink.revoked_at).is_not(None),
                col(ShareLink.revoked_at) < now - SHARE_LINK_KEPT,
            ),
        ),
        batch_size=batch_size,
        after_batch=after_batch,
    )
    return purged
