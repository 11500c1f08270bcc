"""Quarters, numbers and look-ups the capacity services share."""

from __future__ import annotations

import re

from sqlmodel import Session

from pmo_saas.db import get_in_org
from pmo_saas.identity.models import Team
from pmo_saas.kernel.context import TenantContext
from pmo_saas.kernel.errors import ValidationFailed
from pmo_saas.kernel.roles import Role

MANAGE_ONLY = "Only coaches and admins can change capacity and allocations."
_QUARTER = re.compile(r"^(\d{4})-?Q([1-4])$", re.IGNORECASE)
MAX_PEOPLE = 10_000
MAX_DAYS_PER_PERSON = 92  # the longest quarter, every day worked
MAX_PERSON_DAYS = 1_000_000


def require_manage(ctx: TenantContext) -> None:
    ctx.require(Role.COACH, MANAGE_ONLY)


def get_team(session: Session, team_id: int) -> Team:
    return get_in_org(session, Team, team_id, "That team")


def clean_quarter(raw: str) -> str:
    """ "2027-Q1" (also "2027Q1", "2027-q1"); anything else is refused."""
    match = _QUARTER.match((raw or "").strip())
    if not match or not 2000 <= int(match.group(1)) <= 2100:
        raise ValidationFailed(
            f"The quarter “{raw}” is not a quarter; use the form 2027-Q1.", field="quarter"
        )
    return f"{match.group(1)}-Q{match.group(2)}"


def clean_number(raw: object, *, what: str, maximum: float) -> float:
    """A number from 0 to `maximum` (a form's text or a number)."""
    try:
        value = float(str(raw).strip().replace(",", "."))
    except ValueError:
        raise ValidationFailed(f"Enter the {what} as a number.", field=what) from None
    if not 0 <= value <= maximum or value != value:  # NaN fails both
        raise ValidationFailed(f"The {what} must be from 0 to {maximum:g}.", field=what)
    return value


def clean_stream(raw: str) -> str:
    stream = " ".join((raw or "").split())
    if len(stream) > 120:
        raise ValidationFailed("The value stream is longer than 120 characters.")
    return stream
