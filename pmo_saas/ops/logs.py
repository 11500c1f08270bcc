"""Logs: one JSON object per line in production, with the request id, organisation id and user
id where known, and never a secret.

The handler `configure_logging` puts on the root logger, and Reflex's own sinks, carry
`RedactingFilter`: values that look like tokens, passwords, cookies, bearer headers or URLs with
credentials are replaced by `[redacted]` before a record is formatted, whatever the message.
Survey answers are never logged by the code; the filter is the net under that rule.

The request id is bound per HTTP request (metrics.HttpMetricsMiddleware), per Reflex event
(metrics.EventMetricsMiddleware) and per job run (`bound`, in jobs.services.run_job). org_id
and user_id: `bind_actor`, called by identity.auth_state.tenant_context when an event builds
the caller's context, holds for the rest of that event (each event runs in a task of its own,
whose context ends with it; the middleware also clears them when the task ends); a tenant
session names its organisation for as long as its transaction lasts and then puts back what
was bound before, so a thread that runs one organisation after another (the job worker) never
writes a line under an organisation it has left.
"""

from __future__ import annotations

import contextvars
import json
import logging
import re
import sys
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import IO, Any

from sqlalchemy import event
from sqlalchemy.orm import Session as OrmSession

from pmo_saas.db import ORG_KEY
from pmo_saas.settings import get_settings

REDACTED = "[redacted]"
DEV_MAIL_LINK = "pmo_dev_mail_link"  # a LogRecord attribute; see RedactingFilter

request_id_var: contextvars.ContextVar[str] = contextvars.ContextVar("pmo_request_id", default="")
org_id_var: contextvars.ContextVar[int | None] = contextvars.ContextVar("pmo_org_id", default=None)
user_id_var: contextvars.ContextVar[int | None] = contextvars.ContextVar(
    "pmo_user_id", default=None
)

_REQUEST_ID = re.compile(r"[A-Za-z0-9._-]{1,64}")


def new_request_id(incoming: str = "") -> str:
    """The caller's X-Request-ID when it is a plain short id, else a fresh one."""
    return incoming if _REQUEST_ID.fullmatch(incoming or "") else uuid.uuid4().hex


def bind_request(request_id: str) -> None:
    request_id_var.set(request_id)
    org_id_var.set(None)
    user_id_var.set(None)


def bind_actor(*, org_id: int | None, user_id: int | None) -> None:
    """Say who acts, for the rest of this request or event (call it where the context is built)."""
    org_id_var.set(org_id)
    user_id_var.set(user_id)


def clear_actor() -> None:
    org_id_var.set(None)
    user_id_var.set(None)


@contextmanager
def bound(
    *, request_id: str = "", org_id: int | None = None, user_id: int | None = None
) -> Iterator[None]:
    """These ids for the block only; what was bound before comes back after it."""
    tokens = (
        request_id_var.set(request_id),
        org_id_var.set(org_id),
        user_id_var.set(user_id),
    )
    try:
        yield
    finally:
        for var, token in zip((request_id_var, org_id_var, user_id_var), tokens, strict=True):
            var.reset(token)  # type: ignore[attr-defined]


_BOUND_ORG = "pmo_log_bound_org"


@event.listens_for(OrmSession, "after_begin")
def _bind_org_of_tenant_session(session: OrmSession, _transaction: Any, _connection: Any) -> None:
    """A tenant session names its organisation: log lines written inside it carry org_id."""
    org_id = session.info.get(ORG_KEY)
    if org_id is not None and _BOUND_ORG not in session.info:
        session.info[_BOUND_ORG] = org_id_var.set(org_id)


@event.listens_for(OrmSession, "after_transaction_end")
def _unbind_org_of_tenant_session(session: OrmSession, transaction: Any) -> None:
    """The transaction is over: put back the organisation bound before it (usually none)."""
    if transaction.parent is not None or _BOUND_ORG not in session.info:
        return
    token = session.info.pop(_BOUND_ORG)
    try:
        org_id_var.reset(token)
    except ValueError:  # ended in another context than it began: bind nothing stale
        org_id_var.set(None)


# key=value / "key": "value" pairs whose key names a secret.
_SENSITIVE_NAMES = (
    r"(?:password|passwd|pwd|secret|token|api[_-]?key|apikey|authorization|cookie|set-cookie|"
    r"session|ticket|code_verifier|client_secret|answer|answers|pmo_session)"
)
_PATTERNS: list[tuple[re.Pattern[str], str]] = [
    # Authorization: Bearer abc / Basic abc
    (re.compile(r"(?i)\b(bearer|basic)\s+[A-Za-z0-9._~+/=-]{8,}"), r"\1 " + REDACTED),
    # scheme://user:password@host
    (re.compile(r"(?i)([a-z][a-z0-9+.-]*://[^/\s:@]*):[^@\s/]+@"), r"\1:" + REDACTED + "@"),
    # "password": "x"  /  'token': 'x'
    (
        re.compile(
            r"""(?i)(["']?[\w-]*""" + _SENSITIVE_NAMES + r"""[\w-]*["']?\s*[:=]\s*)(["'])(.*?)\2"""
        ),
        r"\1\2" + REDACTED + r"\2",
    ),
    # password=x  token=x  (query strings, headers, key=value logs)
    (
        re.compile(r"(?i)(\b[\w-]*" + _SENSITIVE_NAMES + r"[\w-]*\s*[=:]\s*)([^\s&;,'\"]+)"),
        r"\1" + REDACTED,
    ),
    # Stripe-style keys and webhook secrets, JWTs, long random tokens.
    (re.compile(r"\b(?:sk|rk|pk|whsec)_(?:live|test)?_?[A-Za-z0-9]{8,}\b"), REDACTED),
    (re.compile(r"\beyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]*"), REDACTED),
    # A long run of url-safe characters mixing lower case with digits or upper case: a random
    # token (a snake_case identifier or a word is left alone).
    (
        re.compile(
            r"(?<![A-Za-z0-9_-])(?=[A-Za-z0-9_-]*[a-z])(?=[A-Za-z0-9_-]*[0-9A-Z])[A-Za-z0-9_-]{24,}"
            r"(?![A-Za-z0-9_-])"
        ),
        REDACTED,
    ),
]


def redact(text: str) -> str:
    for pattern, replacement in _PATTERNS:
        text = pattern.sub(replacement, text)
    return text


class RedactingFilter(logging.Filter):
    """Rewrites the message (and exception text) of every record so no secret is written."""

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:  # a bad format string: log what there is, redacted
            message = str(record.msg)
        # The one exception: in local development without SMTP, a secret-bearing mail's line
        # (pmo_saas.identity.mail, marked DEV_MAIL_LINK) keeps its link: the terminal is the
        # mailbox. Any other environment redacts it like everything else.
        keep = getattr(record, DEV_MAIL_LINK, False) and get_settings().environment == (
            "development"
        )
        record.msg = message if keep else redact(message)
        record.args = None
        if record.exc_info:
            record.exc_text = redact(logging.Formatter().formatException(record.exc_info))
            record.exc_info = None
        record.request_id = request_id_var.get()
        record.org_id = org_id_var.get()
        record.user_id = user_id_var.get()
        return True


class JsonFormatter(logging.Formatter):
    """One JSON object per record: time, level, logger, message, request/org/user ids."""

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        for key in ("request_id", "org_id", "user_id"):
            value = getattr(record, key, None)
            if value not in (None, ""):
                entry[key] = value
        if record.exc_text:
            entry["exception"] = record.exc_text
        return json.dumps(entry, ensure_ascii=False)


class TextFormatter(logging.Formatter):
    def __init__(self) -> None:
        super().__init__("%(asctime)s %(levelname)s %(name)s [%(request_id)s] %(message)s")


def build_handler(stream: IO[str], log_format: str) -> logging.Handler:
    """A handler that redacts and writes JSON (or text) lines to `stream`."""
    handler = logging.StreamHandler(stream)
    handler.addFilter(RedactingFilter())
    handler.setFormatter(JsonFormatter() if log_format == "json" else TextFormatter())
    return handler


def configure_logging() -> logging.Handler:
    """One stderr handler on the root logger (JSON or text, per PMO_LOG_FORMAT), redacting."""
    settings = get_settings()
    root = logging.getLogger()
    for existing in root.handlers:
        if getattr(existing, "_pmo_handler", False):
            return existing
    handler = build_handler(sys.stderr, settings.log_format)
    handler._pmo_handler = True  # type: ignore[attr-defined]
    root.addHandler(handler)
    logging.getLogger("pmo_saas").setLevel(settings.log_level.upper())
    _redact_reflex_sinks()
    return handler


def _redact_reflex_sinks() -> None:
    """Under its CLI, Reflex logs through its own handlers on the "reflex" logger, which does
    not propagate to ours: give those handlers the same redaction."""
    try:
        from reflex_base.utils import log as reflex_log

        sinks = [reflex_log._console_handler(), reflex_log._json_handler()]
    except (ImportError, AttributeError):  # another Reflex version: its logs stay as they are
        return
    for sink in sinks:
        if not any(isinstance(f, RedactingFilter) for f in sink.filters):
            sink.addFilter(RedactingFilter())
