"""Outgoing mail: always recorded in the outbox; sent through SMTP when it is configured.

A mail carrying a secret passes it as `secret=`: a personal survey link's token, a password
reset, an e-mail verification, an invitation, an SSO domain-verification link. Only the SMTP
delivery gets it; the outbox row is always written with it masked, so neither the outbox page
(which an organisation's admins read) nor the database nor its backups ever hold it. Without
SMTP such a mail cannot be delivered (the outbox says "configure SMTP").

The log line is masked too, with one exception: with `PMO_ENVIRONMENT=development` and no
SMTP, the log line of a secret-bearing mail shows the whole body, link included, so a newcomer
running `scripts/run` can still accept an invitation, verify an address or reset a password
from the terminal (the line is marked so the log redaction of pmo_saas.ops.logs, which would
otherwise hide the token, lets it through; it does so in development only). In `test` and
`production` the log never holds the link: configure SMTP to send these mails. A `day_only`
mail (a personal survey link: its time would tell who had not answered by then) is never
logged with its link, not even in development. Tested in
tests/identity/test_mail.py and tests/security/test_probes.py.
"""

from __future__ import annotations

import logging
import smtplib
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import datetime, time
from email.message import EmailMessage

from sqlmodel import Session

from pmo_saas.identity.models import OutboxMessage
from pmo_saas.kernel.clock import utcnow
from pmo_saas.kernel.errors import DomainError
from pmo_saas.ops.logs import DEV_MAIL_LINK
from pmo_saas.settings import get_settings

log = logging.getLogger("pmo_saas.mail")

# Background jobs set this: a failed send is kept as "failed" for the retry job, not raised.
_keep_failed: ContextVar[bool] = ContextVar("pmo_mail_keep_failed", default=False)


class MailNotSent(DomainError):
    def __init__(self) -> None:
        super().__init__("The email could not be sent (the mail server did not answer). Try again.")


SENT_MASK = "[link hidden: sent by email only]"
UNSENT_MASK = "[link hidden; configure SMTP to deliver it]"


def mask(body: str, secret: str | None, *, delivered: bool) -> str:
    if not secret:
        return body
    return body.replace(secret, SENT_MASK if delivered else UNSENT_MASK)


def send_mail(
    *,
    session: Session,
    to: str,
    subject: str,
    body: str,
    org_id: int | None = None,
    secret: str | None = None,
    day_only: bool = False,
) -> OutboxMessage:
    """Send (or keep) a mail. `secret`: a value only the SMTP delivery may carry (masked in
    the outbox and the log). `day_only`: the outbox keeps the day, not the time (mail whose
    time would tell something, like who had not answered a survey by then)."""
    settings = get_settings()
    delivered = settings.smtp_enabled
    kept = mask(body, secret, delivered=delivered)
    message = OutboxMessage(
        to_email=to,
        subject=subject,
        body=kept,
        org_id=org_id,  # org_id by hand: mail also goes from system sessions (sign-up, reset)
    )
    if day_only:
        now = utcnow()
        message.created_at = datetime.combine(now.date(), time(), tzinfo=now.tzinfo)
    if delivered:
        try:
            _deliver_smtp(to=to, subject=subject, body=body)
        except (OSError, smtplib.SMTPException) as error:
            log.error("SMTP delivery failed: %s", error)
            # A mail carrying a secret cannot be retried later: the outbox keeps it masked.
            if secret or not _keep_failed.get():
                raise MailNotSent() from error
            message.status, message.attempts = "failed", 1
            message.last_error = str(error)[:500]
        else:
            message.sent_via = "smtp"
    elif secret and settings.environment == "development" and not day_only:
        # Local development only (see the module docstring): the terminal is the mailbox.
        log.warning(
            "mail to %s NOT sent (no SMTP configured; development only: its link is shown "
            "here, never in the outbox): %s\n%s",
            to,
            subject,
            body,
            extra={DEV_MAIL_LINK: True},  # the log redaction lets it through in development
        )
    elif secret:
        # Not even the recipient: with the log line's time it would be a timeline.
        log.warning("mail not sent (no SMTP configured; its link is hidden): %s", subject)
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
