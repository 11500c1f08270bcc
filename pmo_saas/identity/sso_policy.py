"""Whether password sign-in is allowed for a user (an organisation may require SSO).

The SSO feature fills this in; until an organisation configures SSO, passwords are allowed.
"""

from __future__ import annotations

from sqlmodel import Session


def password_signin_refusal(*, session: Session, user_id: int) -> str | None:
    """A message saying why this user must use SSO instead of a password, or None."""
    return None
