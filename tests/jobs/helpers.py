"""Shared by the job tests: SMTP settings, rows that expire, outbox reads, run rows, a
survey launched for reminders and the reminders its people received."""

from __future__ import annotations

import re
import socket
import threading
from datetime import UTC, datetime, timedelta

import pytest
from huey import Huey
from huey.consumer import Scheduler
from sqlmodel import col, select

from pmo_saas.db import system_session
from pmo_saas.identity.models import OutboxMessage, User, UserSession
from pmo_saas.jobs.models import JobRun
from pmo_saas.kernel import clock
from pmo_saas.kernel.clock import utcnow
from pmo_saas.kernel.context import TenantContext
from pmo_saas.settings import get_settings
from tests.peers import smtp
from tests.surveys.helpers import launch, team_with

MONDAY = datetime(2026, 11, 23, 6, 0, tzinfo=UTC)  # 06:00 UTC on the Monday of 2026-W48


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def use_smtp(monkeypatch: pytest.MonkeyPatch, port: int) -> None:
    monkeypatch.setenv("PMO_SMTP_HOST", "127.0.0.1")
    monkeypatch.setenv("PMO_SMTP_PORT", str(port))
    get_settings.cache_clear()


def tick(huey: Huey, at: datetime) -> None:
    """One pass of the consumer's scheduler at `at`, with the app's clock there too."""
    clock.freeze(at)
    scheduler = Scheduler(huey, threading.Event(), interval=1, periodic=True)
    scheduler.enqueue_periodic_tasks(at.astimezone(UTC).replace(tzinfo=None))  # huey: naive UTC


def email_of(ctx: TenantContext) -> str:
    with system_session() as session:
        user = session.get(User, ctx.user_id)
        assert user is not None
        return user.email


def outbox() -> list[OutboxMessage]:
    with system_session() as session:
        return list(session.exec(select(OutboxMessage).order_by(col(OutboxMessage.id))).all())


def runs(job: str) -> list[JobRun]:
    with system_session() as session:
        return list(
            session.exec(select(JobRun).where(JobRun.job == job).order_by(col(JobRun.id))).all()
        )


def add_sessions(ctx: TenantContext, *, expired: int, live: int = 0) -> None:
    now = utcnow()
    with system_session() as session:
        for n in range(expired + live):
            session.add(
                UserSession(
                    user_id=ctx.user_id,
                    token_hash=f"{ctx.user_id}-{n}-{now.timestamp()}".ljust(64, "x")[:64],
                    expires_at=now - timedelta(minutes=5)
                    if n < expired
                    else now + timedelta(days=1),
                )
            )


def count_sessions() -> int:
    with system_session() as session:
        return len(session.exec(select(UserSession.id)).all())


class Interrupt(RuntimeError):
    """Raised by a test inside a job, after part of its work, as a crash would stop it."""


def crash_on_call(number: int):  # type: ignore[no-untyped-def]
    """A hook that raises Interrupt on its `number`-th call."""
    calls = {"n": 0}

    def hook(*_args: object) -> None:
        calls["n"] += 1
        if calls["n"] == number:
            raise Interrupt(f"interrupted after step {number}")

    return hook


# Survey reminders

LAUNCH = datetime(2026, 11, 25, 10, 0, tzinfo=UTC)  # a Wednesday, 10:00 UTC
LINK = r"/s/([A-Za-z0-9_\-]+)"
REMINDER = "Reminder: "


def launched_survey(ctx: TenantContext, size: int = 4, **kw: object) -> tuple[int, list[str]]:
    """A Westrum survey launched at LAUNCH to a new team of `size`: its id and their emails."""
    clock.freeze(LAUNCH)
    team, members = team_with(ctx, "Alpha", size)
    survey_id = launch(ctx, [team], title="Pulse", **kw)
    return survey_id, [email_of(m) for m in members]


def reminders_to(to: str) -> list[str]:
    """The links of the reminders `to` received, oldest first."""
    return [
        link
        for m in smtp.messages(to=to)
        if (m["Subject"] or "").startswith(REMINDER)
        for link in re.findall(LINK, smtp.body(m))
    ]
