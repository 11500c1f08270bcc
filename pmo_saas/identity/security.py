"""Password hashing (argon2) and one-time tokens (only their SHA-256 is ever stored)."""

from __future__ import annotations

import hashlib
import secrets

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from pmo_saas.settings import get_settings

# Argon2id with the library's strong defaults; the test environment uses a cheap profile
# (the same code path, smaller memory and time cost) so hundreds of test users stay fast.
_hasher = (
    PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)
    if get_settings().environment == "test"
    else PasswordHasher()
)
# A real hash to verify against when the email is unknown, so timing does not tell.
_DUMMY_HASH = _hasher.hash("not-a-real-password-" + secrets.token_hex(8))


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def verify_password(password_hash: str, password: str) -> bool:
    try:
        return _hasher.verify(password_hash or _DUMMY_HASH, password) and bool(password_hash)
    except (VerificationError, InvalidHashError):
        return False


def new_token() -> tuple[str, str]:
    """A URL-safe random token and the hash to store."""
    token = secrets.token_urlsafe(32)
    return token, hash_token(token)


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def hash_binding(binding: str) -> str:
    """What a sign-in ticket keeps of the browser's `pmo_bind` cookie (see security_headers)."""
    return hashlib.sha256(("pmo_bind|" + binding).encode()).hexdigest() if binding else ""
