"""Mail SMTP refused, retried with back-off until it is delivered (or given up).

A background send that fails is kept in the outbox as "failed" (`identity.mail.keep_failed_mail`).
This job tries each due message again, one transaction per message: delivered becomes "sent",
refused again waits twice as long as last time (1, 2, 4 ... minutes, at most 6 hours), and
after `settings.jobs_mail_max_attempts` tries it is "gave_up" (still readable in the outbox).
"""

from __future__ import annotations

import logging
import smtplib
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import ColumnElement, or_
from sqlmodel import col, select

from pmo_saas.db import system_session
from pmo_saas.identity.mail import deliver_again
from pmo_saas.identity.models import OutboxMessage
from pmo_saas.kernel.clock import utcnow
from pmo_saas.settings import get_settings

log = logging.getLogger("pmo_saas.jobs.mail")

MAIL_SENT, MAIL_FAILED, MAIL_GAVE_UP = "sent", "failed", "gave_up"
LONGEST_WAIT = timedelta(hours=6)


def backoff(attempts: int) -> timedelta:
    """The wait after the `attempts`-th failed try."""
    return min(timedelta(minutes=2 ** max(attempts - 1, 0)), LONGEST_WAIT)


@dataclass
class Retried:
    delivered: int = 0
    failed: int = 0
    gave_up: int = 0


def _due(now: datetime) -> ColumnElement[bool]:
    return (col(OutboxMessage.status) == MAIL_FAILED) & or_(
        col(OutboxMessage.next_attempt_at).is_(None), col(OutboxMessage.next_attempt_at) <= now
    )


def retry_failed_mail(
    *,
    now: datetime | None = None,
    limit: int = 200,
    after_each: Callable[[str], None] | None = None,
) -> Retried:
    """Try every due failed message once; `after_each(status)` after each committed one."""
    now = now or utcnow()
    settings = get_settings()
    result = Retried()
    if not settings.smtp_enabled:
        return result  # nothing to retry through: the outbox is the delivery
    with system_session() as session:
        ids = session.exec(
            select(OutboxMessage.id).where(_due(now)).order_by(col(OutboxMessage.id)).limit(limit)
        ).all()
    for message_id in ids:
        with system_session() as session:
            message = session.exec(
                select(OutboxMessage)
                .where(col(OutboxMessage.id) == message_id, _due(now))
                .with_for_update(skip_locked=True)
            ).first()
            if message is None:  # delivered meanwhile
                continue
            message.attempts += 1
            try:
                deliver_again(message)
            except (OSError, smtplib.SMTPException) as error:
                message.last_error = str(error)[:500]
                if message.attempts >= settings.jobs_mail_max_attempts:
                    message.status, message.next_attempt_at = MAIL_GAVE_UP, None
                    result.gave_up += 1
                    log.error("gave up mail %s to %s: %s", message.id, message.to_email, error)
                else:
                    message.next_attempt_at = now + backoff(message.attempts)
                    result.failed += 1
            else:
                message.status, message.sent_via = MAIL_SENT, "smtp"
                message.next_attempt_at, message.last_error = None, ""
                result.delivered += 1
            status = message.status
        if after_each is not None:
            after_each(status)
    return result
