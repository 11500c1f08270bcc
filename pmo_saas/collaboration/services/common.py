"""Look-ups the collaboration services share: names of people and teams, dates as text."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from sqlmodel import Session, col, select

from pmo_saas.identity.models import Team, TeamMember, User
from pmo_saas.kernel.clock import as_utc


def user_names(session: Session, user_ids: Iterable[int | None]) -> dict[int, str]:
    ids = {u for u in user_ids if u is not None}
    if not ids:
        return {}
    rows = session.exec(select(User.id, User.name).where(col(User.id).in_(ids))).all()
    return {uid: name for uid, name in rows if uid is not None}


def team_names(session: Session, team_ids: Iterable[int]) -> dict[int, str]:
    ids = set(team_ids)
    if not ids:
        return {}
    rows = session.exec(select(Team.id, Team.name).where(col(Team.id).in_(ids))).all()
    return {tid: name for tid, name in rows if tid is not None}


def team_member_ids(session: Session, team_id: int) -> set[int]:
    return set(session.exec(select(TeamMember.user_id).where(TeamMember.team_id == team_id)).all())


def iso(value: datetime | None) -> str:
    return as_utc(value).isoformat() if value is not None else ""


def when(value: datetime) -> str:
    """2026-12-02 14:05 UTC (by hand: strftime costs ten times more, per comment of a thread)."""
    v = as_utc(value)
    return f"{v.year:04d}-{v.month:02d}-{v.day:02d} {v.hour:02d}:{v.minute:02d} UTC"
