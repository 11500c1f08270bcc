"""Outgoing mail: always recorded in the outbox; sent through SMTP when it is configured."""

from __future__ import annotations

import logging
import smtplib
from email.message import EmailMessage

from sqlmodel import Session

from pmo_saas.identity.models import OutboxMessage
from pmo_saas.kernel.errors import DomainError
from pmo_saas.settings import get_settings

log = logging.getLogger("pmo_saas.mail")


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
            raise MailNotSent() from error
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
