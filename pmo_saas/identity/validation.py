"""Checks of what people type: email addresses, passwords, names, slugs."""

from __future__ import annotations

import re
import unicodedata

from email_validator import EmailNotValidError, validate_email

from pmo_saas.kernel.errors import ValidationFailed

MIN_PASSWORD_LENGTH = 10
COMMON_PASSWORDS = {
    "password",
    "password1",
    "password123",
    "1234567890",
    "12345678910",
    "qwertyuiop",
    "letmein123",
    "iloveyou12",
    "welcome123",
    "administrator",
    "passw0rd123",
    "abcdefghij",
}


def clean_email(raw: str) -> str:
    email = (raw or "").strip()
    if not email:
        raise ValidationFailed("Enter your email address.", field="email")
    try:
        result = validate_email(email, check_deliverability=False, test_environment=True)
    except EmailNotValidError as error:
        raise ValidationFailed(f"That email address is not valid: {error}", field="email") from None
    return result.normalized.lower()


def check_password(password: str, *, email: str = "") -> None:
    if len(password or "") < MIN_PASSWORD_LENGTH:
        raise ValidationFailed(
            f"Choose a password of at least {MIN_PASSWORD_LENGTH} characters.", field="password"
        )
    lowered = password.lower()
    if lowered in COMMON_PASSWORDS or len(set(password)) < 4:
        raise ValidationFailed(
            "That password is too easy to guess; choose another.", field="password"
        )
    local = email.split("@")[0].lower()
    if len(local) >= 4 and local in lowered:
        raise ValidationFailed("The password must not contain your email name.", field="password")


def refuse_nul(text: str, *, what: str = "text") -> None:
    """PostgreSQL cannot store NUL in text (a DataError): refuse it with a message."""
    if "\x00" in (text or ""):
        raise ValidationFailed(f"The {what} contains a NUL character; remove it.", field=what)


def clean_name(raw: str, *, what: str = "name", max_length: int = 120) -> str:
    refuse_nul(raw, what=what)
    name = " ".join((raw or "").split())
    if not name:
        raise ValidationFailed(f"Enter a {what}.", field=what)
    if len(name) > max_length:
        raise ValidationFailed(f"The {what} is longer than {max_length} characters.", field=what)
    return name


def slugify(text: str) -> str:
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    slug = re.sub(r"[^a-z0-9]+", "-", ascii_text.lower()).strip("-")
    return slug[:40] or "org"
