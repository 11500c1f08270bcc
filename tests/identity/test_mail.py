"""Mail goes through a real SMTP server when one is configured (aiosmtpd on loopback)."""

from __future__ import annotations

import re
import socket
from collections.abc import Iterator
from email import message_from_bytes
from email.message import Message

import pytest
from aiosmtpd.controller import Controller
from sqlmodel import select

from pmo_saas.db import system_session, tenant_session
from pmo_saas.identity import services as identity
from pmo_saas.identity.models import OutboxMessage
from pmo_saas.settings import get_settings
from tests.factories import PASSWORD


class Inbox:
    def __init__(self) -> None:
        self.messages: list[Message] = []

    async def handle_DATA(self, server, session, envelope):
        self.messages.append(message_from_bytes(envelope.content))
        return "250 OK"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
def smtp(monkeypatch) -> Iterator[Inbox]:
    inbox = Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=_free_port())
    controller.start()
    monkeypatch.setenv("PMO_SMTP_HOST", "127.0.0.1")
    monkeypatch.setenv("PMO_SMTP_PORT", str(controller.port))
    get_settings.cache_clear()
    try:
        yield inbox
    finally:
        controller.stop()
        monkeypatch.delenv("PMO_SMTP_HOST")
        get_settings.cache_clear()


def test_invitation_is_delivered_by_smtp_and_kept_in_the_outbox(org_a, smtp):
    with tenant_session(org_a) as session:
        identity.invite_member(session=session, ctx=org_a, email="smtp@example.com", role="coach")
    assert len(smtp.messages) == 1
    mail = smtp.messages[0]
    assert mail["To"] == "smtp@example.com"
    assert "invited to Org A" in mail["Subject"]
    body = mail.get_payload(decode=True).decode()
    token = body.split("/invite/")[1].split()[0]
    assert identity.preview_invitation(token=token).role == "coach"
    with system_session() as session:
        kept = session.exec(select(OutboxMessage)).one()
    assert kept.sent_via == "smtp" and kept.org_id == org_a.org_id


def test_password_reset_is_delivered_by_smtp(org_a, smtp):
    with system_session() as session:
        from pmo_saas.identity.models import User

        email = session.get(User, org_a.user_id).email
    identity.request_password_reset(email=email)
    assert [m["To"] for m in smtp.messages] == [email]
    assert "/reset/" in smtp.messages[0].get_payload(decode=True).decode()


def test_unreachable_smtp_server_refuses_the_action_and_writes_nothing(org_a, monkeypatch):
    monkeypatch.setenv("PMO_SMTP_HOST", "127.0.0.1")
    monkeypatch.setenv("PMO_SMTP_PORT", str(_free_port()))
    get_settings.cache_clear()
    try:
        with pytest.raises(Exception, match="could not be sent"), tenant_session(org_a) as session:
            identity.invite_member(session=session, ctx=org_a, email="x@example.com", role="member")
    finally:
        monkeypatch.delenv("PMO_SMTP_HOST")
        get_settings.cache_clear()
    with tenant_session(org_a) as session:
        assert identity.list_invitations(session=session, ctx=org_a) == []


# ------------------------------------------------- secret links: by SMTP only, never kept


def _owner_email(ctx) -> str:
    from pmo_saas.identity.models import User

    with system_session() as session:
        return session.get(User, ctx.user_id).email


def _send_invitation(ctx) -> str:
    with tenant_session(ctx) as session:
        identity.invite_member(session=session, ctx=ctx, email="secret@example.com", role="member")
    return "secret@example.com"


def _send_reset(ctx) -> str:
    email = _owner_email(ctx)
    identity.request_password_reset(email=email)
    return email


def _send_verification(ctx) -> str:
    identity.sign_up(
        org_name="Fresh", name="Fresh Person", email="fresh@example.com", password=PASSWORD
    )
    return "fresh@example.com"


def _send_domain_proof(ctx) -> str:
    from pmo_saas.identity import sso_domains

    with tenant_session(ctx) as session:
        sso_domains.claim_sso_domain(session=session, ctx=ctx, domain="proof.example")
        sso_domains.send_domain_verification_mail(
            session=session, ctx=ctx, domain="proof.example", mailbox="admin"
        )
    return "admin@proof.example"


def _redeem_reset(token: str) -> None:
    identity.reset_password(token=token, password="a-brand-new-password-7")


def _redeem_domain_proof(token: str) -> None:
    from pmo_saas.identity import sso_domains

    sso_domains.describe_domain_link(token=token)


# kind: (send it, the link's token pattern, redeem a token: raises unless usable)
SECRET_MAILS = {
    "invitation": (
        _send_invitation,
        r"/invite/([\w-]{16,})",
        lambda t: identity.preview_invitation(token=t),
    ),
    "password reset": (_send_reset, r"/reset/([\w-]{16,})", _redeem_reset),
    "email verification": (
        _send_verification,
        r"/verify/([\w-]{16,})",
        lambda t: identity.verify_email(token=t),
    ),
    "sso domain proof": (_send_domain_proof, r"token=([\w-]{16,})", _redeem_domain_proof),
}


def _no_smtp(monkeypatch, environment: str) -> None:
    monkeypatch.setattr(get_settings(), "smtp_host", "")
    monkeypatch.setattr(get_settings(), "environment", environment)


def _logged(caplog) -> str:
    """The mail lines as the app's own (redacting) log handler would write them."""
    from pmo_saas.ops.logs import RedactingFilter

    lines = []
    for record in caplog.records:
        if record.name == "pmo_saas.mail":
            RedactingFilter().filter(record)
            lines.append(record.getMessage())
    return "\n".join(lines)


@pytest.mark.parametrize("kind", sorted(SECRET_MAILS))
def test_a_secret_link_goes_by_smtp_only(org_a, kind, caplog):
    send, pattern, redeem = SECRET_MAILS[kind]
    from tests.peers import smtp

    with caplog.at_level("INFO", logger="pmo_saas.mail"):
        to = send(org_a)
    token = smtp.last_link(to, pattern)
    redeem(token)  # the delivered link works
    with system_session() as session:
        kept = session.exec(select(OutboxMessage).where(OutboxMessage.to_email == to)).one()
    assert kept.sent_via == "smtp"
    assert token not in kept.body and "[link hidden: sent by email only]" in kept.body
    assert token not in caplog.text


@pytest.mark.parametrize("environment", ["test", "production"])
@pytest.mark.parametrize("kind", sorted(SECRET_MAILS))
def test_without_smtp_a_secret_link_is_in_neither_the_outbox_nor_the_log(
    org_a, kind, environment, monkeypatch, caplog
):
    send, pattern, _ = SECRET_MAILS[kind]
    _no_smtp(monkeypatch, environment)
    with caplog.at_level("INFO", logger="pmo_saas.mail"):
        to = send(org_a)
    with system_session() as session:
        kept = session.exec(select(OutboxMessage).where(OutboxMessage.to_email == to)).one()
    assert kept.sent_via != "smtp"
    assert "configure SMTP" in kept.body and re.findall(pattern, kept.body) == []
    assert re.findall(pattern, caplog.text) == [] and re.findall(pattern, _logged(caplog)) == []
    assert "its link is hidden" in caplog.text


@pytest.mark.parametrize("kind", sorted(SECRET_MAILS))
def test_in_development_without_smtp_the_link_is_in_the_log_only(org_a, kind, monkeypatch, caplog):
    """scripts/run without SMTP: a newcomer copies the link from the terminal; the outbox
    page (and the database) still never hold it."""
    send, pattern, redeem = SECRET_MAILS[kind]
    _no_smtp(monkeypatch, "development")
    with caplog.at_level("INFO", logger="pmo_saas.mail"):
        to = send(org_a)
    with system_session() as session:
        kept = session.exec(select(OutboxMessage).where(OutboxMessage.to_email == to)).one()
    assert "configure SMTP" in kept.body and re.findall(pattern, kept.body) == []
    (token,) = re.findall(pattern, _logged(caplog))  # through the app's log redaction
    redeem(token)  # and it works


def test_in_development_a_personal_survey_link_stays_out_of_the_log(org_a, monkeypatch, caplog):
    """A day_only mail (a survey link: its time would tell who had not answered) is the
    exception to the development exception."""
    from pmo_saas.identity.mail import send_mail

    _no_smtp(monkeypatch, "development")
    with caplog.at_level("INFO", logger="pmo_saas.mail"), tenant_session(org_a) as session:
        send_mail(
            session=session,
            org_id=org_a.org_id,
            to="respondent@example.com",
            subject="Your voice, anonymously",
            body="Your personal link: http://localhost:3000/s/the-survey-secret-0123456789",
            secret="the-survey-secret-0123456789",
            day_only=True,
        )
    assert "the-survey-secret" not in caplog.text and "its link is hidden" in caplog.text
    assert "respondent@example.com" not in caplog.text
