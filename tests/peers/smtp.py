"""A real SMTP server on loopback (aiosmtpd) that keeps every message it receives.

One server per test process, started on first use and stopped at exit. The browser journeys'
app server sends its mail here: `app_env()` gives the PMO_SMTP_* settings the e2e conftest
merges into the app's environment. The server runs in the pytest process, so a test reads
what was delivered with `messages()` (or waits for them with `wait_for(n)`). In-process
tests point the app's own settings at it with `smtp_delivery()`.
"""

from __future__ import annotations

import atexit
import contextlib
import os
import re
import socket
import threading
import time
from collections.abc import Iterator
from email import message_from_bytes
from email.message import Message
from typing import Any

from aiosmtpd.controller import Controller

from pmo_saas.settings import get_settings

_lock = threading.Lock()
_inbox: list[Message] = []
_server: dict[str, Any] = {}


class _Capture:
    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        message = message_from_bytes(envelope.content)
        with _lock:
            _inbox.append(message)
        return "250 OK"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def port() -> int:
    """The server's port, starting it on first call."""
    if "controller" not in _server:
        controller = Controller(_Capture(), hostname="127.0.0.1", port=_free_port())
        controller.start()
        atexit.register(controller.stop)
        _server["controller"] = controller
    return int(_server["controller"].port)


def app_env() -> dict[str, str]:
    return {"PMO_SMTP_HOST": "127.0.0.1", "PMO_SMTP_PORT": str(port())}


def messages(to: str | None = None) -> list[Message]:
    """Every message received so far (optionally only those to one address), oldest first."""
    with _lock:
        found = list(_inbox)
    return [m for m in found if to is None or m["To"] == to]


def clear() -> None:
    """Forget every message received so far (a test that counts mails starts from none)."""
    with _lock:
        _inbox.clear()


def discard(to: str, subject: str) -> None:
    """Forget the messages to `to` with exactly `subject` (read and used: a test counting
    what later reached that address does not see them)."""
    with _lock:
        _inbox[:] = [
            m
            for m in _inbox
            if not ((m["To"] or "").lower() == to.lower() and m["Subject"] == subject)
        ]


def links(to: str, pattern: str) -> list[str]:
    """The first group of `pattern` in every mail delivered to `to`, oldest first."""
    found = []
    for message in messages():
        if (message["To"] or "").lower() == to.lower():
            found += [m.group(1) for m in re.finditer(pattern, body(message))]
    return found


def body(message: Message) -> str:
    payload = message.get_payload(decode=True)
    assert isinstance(payload, bytes)
    return payload.decode()


def wait_for(count: int, *, subject: str = "", seconds: float = 20) -> list[Message]:
    """The messages whose subject contains `subject`, once there are at least `count`."""
    deadline = time.monotonic() + seconds
    while True:
        found = [m for m in messages() if subject in (m["Subject"] or "")]
        if len(found) >= count or time.monotonic() > deadline:
            return found
        time.sleep(0.1)


@contextlib.contextmanager
def smtp_delivery() -> Iterator[None]:
    """The app's mail goes to this server meanwhile (nested uses keep the outer one).

    Sets the PMO_SMTP_* variables and the same fields of the cached settings in place, without
    clearing the cache: a test's own `monkeypatch.setattr(get_settings(), ...)` (the DNS
    resolver, allowed networks) survives a factory that mails through here."""
    before_env = {k: os.environ.get(k) for k in ("PMO_SMTP_HOST", "PMO_SMTP_PORT")}
    settings = get_settings()
    before = (settings.smtp_host, settings.smtp_port)
    os.environ.update(app_env())
    settings.smtp_host, settings.smtp_port = "127.0.0.1", port()
    try:
        yield
    finally:
        for key, value in before_env.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value
        settings.smtp_host, settings.smtp_port = before
        if get_settings() is not settings:  # rebuilt meanwhile, from the peer's variables
            get_settings.cache_clear()


def last_link(to: str, pattern: str) -> str:
    """The first group of `pattern` in the newest mail delivered to `to` that holds it."""
    found = links(to, pattern)
    assert found, f"no mail to {to} delivered by SMTP holds {pattern!r}"
    return found[-1]
