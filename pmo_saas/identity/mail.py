"""Outgoing mail: always recorded in the outbox; sent through SMTP when it is configured."""

from __future__ import annotations

import logging
import smtplib
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from email.message import EmailMessage

from sqlmodel import Session

from pmo_saas.identity.models import OutboxMessage
from pmo_saas.kernel.errors import DomainError
from pmo_saas.settings import get_settings

log = logging.getLogger("pmo_saas.mail")

# Background jobs set this: a failed send is kept as "failed" for the retry job, not raised.
_keep_failed: ContextVar[bool] = ContextVar("pmo_mail_keep_failed", default=False)


class MailNotSent(DomainError):
    def __init__(self) -> None:
        super().__init__("The email could not be sent (the mail server did not answer). Try again.")


def send_mail(
    *, session: Session, to: str, subject: str, body: str, org_id: int | None = None
) -> OutboxMessage:
    settings = get_settings()
    message = OutboxMessage(to_email=to, subject=subject, body=body, org_id=org_id)
    if settings.smtp_enabled:
        try:
            _deliver_smtp(to=to, subject=subject, body=body)
        except (OSError, smtplib.SMTPException) as error:
            log.error("SMTP delivery to %s failed: %s", to, error)
            if not _keep_failed.get():
                raise MailNotSent() from error
            message.status, message.attempts = "failed", 1
            message.last_error = str(error)[:500]
        else:
            message.sent_via = "smtp"
    else:
        log.warning(
            "mail to %s (no SMTP configured; kept in the outbox): %s\n%s", to, subject, body
        )
    session.add(message)
    return message


def _deliver_smtp(*, to: str, subject: str, body: str) -> None:
    settings = get_settings()
    mail = EmailMessage()
    mail["From"] = settings.mail_from
    mail["To"] = to
    mail["Subject"] = subject
    mail.set_content(body)
    with smtplib.SMTP(settings.smtp_host, settings.smtp_port, timeout=10) as smtp:
        if settings.smtp_starttls:
            smtp.starttls()
        if settings.smtp_user:
            smtp.login(settings.smtp_user, settings.smtp_password)
        smtp.send_message(mail)


@contextmanager
def keep_failed_mail() -> Iterator[None]:
    """Inside (background jobs): a send SMTP refuses is kept in the outbox as "failed" and
    retried later by `pmo_saas.jobs.mail_retry`, instead of raising MailNotSent."""
    token = _keep_failed.set(True)
    try:
        yield
    finally:
        _keep_failed.reset(token)


def deliver_again(message: OutboxMessage) -> None:
    """One more SMTP attempt for a kept message (raises OSError/SMTPException on failure)."""
    _deliver_smtp(to=message.to_email, subject=message.subject, body=message.body)
