"""Identity tests: every case starts with no guessing counters (memory or Redis), and mails
through the loopback SMTP server (tests/peers/smtp.py): links carrying a secret (invitation,
reset, verification, SSO domain proof) reach people only by SMTP; the outbox keeps them masked.
A test of the no-SMTP behaviour turns it off itself."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from pmo_saas.identity.guessing import guessing
from tests.peers import smtp


@pytest.fixture(autouse=True)
def fresh_guessing_counters() -> Iterator[None]:
    guessing().reset()
    yield
    guessing().reset()


@pytest.fixture(autouse=True)
def _smtp() -> Iterator[None]:
    smtp.clear()
    with smtp.smtp_delivery():
        yield
