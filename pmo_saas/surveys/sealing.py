"""Sealed boxes for survey data the server must keep but nobody may read before its time.

Two uses, each with its own key derived from `settings.secret_key` (HKDF-SHA256):
- a submitted response waits, sealed, until its survey closes (see anonymity.py): AES-GCM over
  JSON padded to whole blocks of `BLOCK` bytes, so a comment's length shows only in 2 KiB
  steps (every answer without a long comment fills exactly one block);
- the respondent page keeps, instead of the link's token, a short-lived sealed handle in a
  backend var: the state store then holds nothing that opens a survey without the server.

Whoever holds the database, its backups, the logs and the state store, but not the secret
key, learns nothing from either. Rotating `PMO_SECRET_KEY` while a survey runs would make its
waiting responses unreadable: rotate it between surveys (the README says so).
"""

from __future__ import annotations

import base64
import json
import os
import time
from functools import lru_cache
from typing import Any

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from pmo_saas.settings import get_settings

BLOCK = 2 * 1024
RESPONSE = b"pmo-survey-sealed-response-v1"
HANDLE = b"pmo-survey-page-handle-v1"
HANDLE_SECONDS = 4 * 3600


class Unsealable(ValueError):
    """Not sealed by this server (wrong key, altered, or expired)."""


@lru_cache(maxsize=8)
def _aead(secret_key: str, purpose: bytes) -> AESGCM:
    key = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=purpose).derive(
        secret_key.encode()
    )
    return AESGCM(key)


def _box(purpose: bytes) -> AESGCM:
    return _aead(get_settings().secret_key, purpose)


def seal(value: Any, *, purpose: bytes = RESPONSE, associated: bytes = b"") -> bytes:
    """JSON, padded with NUL bytes (never part of JSON) to whole blocks, then encrypted."""
    plain = json.dumps(value, separators=(",", ":")).encode()
    plain += b"\x00" * (-len(plain) % BLOCK)
    nonce = os.urandom(12)
    return nonce + _box(purpose).encrypt(nonce, plain, associated)


def unseal(blob: bytes, *, purpose: bytes = RESPONSE, associated: bytes = b"") -> Any:
    try:
        plain = _box(purpose).decrypt(blob[:12], blob[12:], associated)
    except (InvalidTag, ValueError) as error:
        raise Unsealable("not sealed by this server") from error
    return json.loads(plain.rstrip(b"\x00"))


def page_handle(token: str) -> str:
    """An opaque, expiring stand-in for a survey link's token (for the page's backend state)."""
    nonce = os.urandom(12)
    payload = json.dumps([token, int(time.time()) + HANDLE_SECONDS]).encode()
    blob = nonce + _box(HANDLE).encrypt(nonce, payload, None)
    return base64.urlsafe_b64encode(blob).decode()


def token_from_handle(handle: str) -> str:
    """The token behind a handle; `Unsealable` if forged, altered or expired."""
    try:
        blob = base64.urlsafe_b64decode(handle.encode())
        token, expires = json.loads(_box(HANDLE).decrypt(blob[:12], blob[12:], None))
    except (InvalidTag, ValueError, TypeError) as error:
        raise Unsealable("not a handle of this server") from error
    if int(expires) < time.time():
        raise Unsealable("expired")
    return str(token)
