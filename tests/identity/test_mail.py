"""Mail goes through a real SMTP server when one is configured (aiosmtpd on loopback)."""

from __future__ import annotations

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
