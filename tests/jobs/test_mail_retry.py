"""Mail the SMTP server refused is kept and retried with back-off until it gets through: the
server (the loopback SMTP peer) only starts after the first failures."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta

import pytest
from aiosmtpd.controller import Controller

from pmo_saas.db import tenant_session
from pmo_saas.identity.mail import MailNotSent, keep_failed_mail, send_mail
from pmo_saas.jobs import tasks
from pmo_saas.jobs.mail_retry import backoff
from pmo_saas.kernel import clock
from pmo_saas.kernel.clock import as_utc
from pmo_saas.kernel.context import TenantContext
from tests import factories
from tests.jobs.helpers import MONDAY, free_port, outbox, use_smtp
from tests.peers import smtp


@pytest.fixture
def late_server() -> Iterator[dict[str, Controller]]:
    """A port nobody listens on yet; `start(port)` brings the SMTP peer up there."""
    started: dict[str, Controller] = {}
    yield started
    for controller in started.values():
        controller.stop()


def _start_peer(started: dict[str, Controller], port: int) -> None:
    controller = Controller(smtp._Capture(), hostname="127.0.0.1", port=port)
    controller.start()
    started["peer"] = controller


def _send_in_background(ctx: TenantContext, to: str) -> None:
    with keep_failed_mail(), tenant_session(ctx) as session:
        send_mail(session=session, to=to, subject="Weekly", body="Your week", org_id=ctx.org_id)


def test_failed_mail_is_retried_with_back_off_until_the_server_answers(
    org_a: TenantContext, monkeypatch: pytest.MonkeyPatch, late_server: dict[str, Controller]
) -> None:
    port = free_port()
    use_smtp(monkeypatch, port)
    to = factories.unique_email("late")
    clock.freeze(MONDAY)
    _send_in_background(org_a, to)
    [kept] = outbox()
    assert (kept.status, kept.attempts, kept.sent_via) == ("failed", 1, "outbox")
    assert kept.last_error  # the refusal, for the operator

    def retry_at(minutes: int) -> tuple[str, int, object]:
        clock.freeze(MONDAY + timedelta(minutes=minutes))
        assert tasks.run_retry_mail() is not None
        [row] = outbox()
        due = as_utc(row.next_attempt_at) - MONDAY if row.next_attempt_at else None
        return row.status, row.attempts, due

    assert retry_at(1) == ("failed", 2, timedelta(minutes=1 + 2))  # then waits 2 minutes
    assert retry_at(2) == ("failed", 2, timedelta(minutes=3))  # not due: not tried
    assert retry_at(3) == ("failed", 3, timedelta(minutes=3 + 4))  # then 4 minutes

    _start_peer(late_server, port)  # the mail server comes up
    assert retry_at(6) == ("failed", 3, timedelta(minutes=7))  # still waiting its turn
    assert smtp.messages(to=to) == []
    assert retry_at(7) == ("sent", 4, None)
    [mail] = smtp.messages(to=to)
    assert mail["Subject"] == "Weekly" and smtp.body(mail).strip() == "Your week"
    assert outbox()[0].sent_via == "smtp"

    assert retry_at(30) == ("sent", 4, None)  # delivered once, never again
    assert len(smtp.messages(to=to)) == 1


def test_mail_is_given_up_after_the_last_attempt(
    org_a: TenantContext, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PMO_JOBS_MAIL_MAX_ATTEMPTS", "3")
    use_smtp(monkeypatch, free_port())
    clock.freeze(MONDAY)
    _send_in_background(org_a, factories.unique_email("never"))
    for minutes in (1, 10):
        clock.freeze(MONDAY + timedelta(minutes=minutes))
        tasks.run_retry_mail()
    [row] = outbox()
    assert (row.status, row.attempts, row.next_attempt_at) == ("gave_up", 3, None)
    clock.freeze(MONDAY + timedelta(days=1))
    run = tasks.run_retry_mail()
    assert run is not None and "0 delivered, 0 to try again, 0 given up" in run.detail


def test_back_off_doubles_up_to_six_hours() -> None:
    assert [backoff(n) for n in (1, 2, 3, 4)] == [timedelta(minutes=m) for m in (1, 2, 4, 8)]
    assert backoff(30) == timedelta(hours=6)


def test_an_interactive_send_still_refuses_and_keeps_nothing(
    org_a: TenantContext, monkeypatch: pytest.MonkeyPatch
) -> None:
    use_smtp(monkeypatch, free_port())
    with pytest.raises(MailNotSent), tenant_session(org_a) as session:
        send_mail(session=session, to="x@example.com", subject="s", body="b", org_id=org_a.org_id)
    assert outbox() == []
