"""What the practices services share: look-ups inside the organisation, who may do what, and
the rows every page shows."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from datetime import datetime

from sqlalchemy import func
from sqlmodel import Session, col, select

from pmo_saas.db import get_in_org
from pmo_saas.identity.models import Team, TeamMember, User
from pmo_saas.identity.validation import refuse_nul
from pmo_saas.kernel.clock import as_utc
from pmo_saas.kernel.context import TenantContext
from pmo_saas.kernel.errors import ValidationFailed
from pmo_saas.kernel.roles import Role
from pmo_saas.practices import dimensions
from pmo_saas.practices.models import IN_USE, Practice, PracticeAdoption, PracticeDimension
from pmo_saas.practices.schemas import PracticeRow

MANAGE_ONLY = "Only coaches and admins can publish or change practices."
MAX_TEXT = 20_000


def require_manage(ctx: TenantContext) -> None:
    ctx.require(Role.COACH, MANAGE_ONLY)


def get_practice(session: Session, practice_id: int) -> Practice:
    return get_in_org(session, Practice, practice_id, "That practice")


def get_team(session: Session, team_id: int) -> Team:
    return get_in_org(session, Team, team_id, "That team")


def iso(value: datetime | None) -> str:
    return as_utc(value).isoformat() if value is not None else ""


def clean_text(raw: str | None, *, what: str) -> str:
    text = (raw or "").strip()
    refuse_nul(text, what=what)
    if len(text) > MAX_TEXT:
        raise ValidationFailed(f"The {what} is longer than {MAX_TEXT} characters.", field=what)
    return text


def user_names(session: Session, user_ids: Iterable[int | None]) -> dict[int, str]:
    ids = {u for u in user_ids if u is not None}
    if not ids:
        return {}
    rows = session.exec(select(User.id, User.name).where(col(User.id).in_(ids))).all()
    return {uid: name for uid, name in rows if uid is not None}


def my_team_ids(session: Session, ctx: TenantContext) -> set[int]:
    if ctx.user_id is None:
        return set()
    return set(
        session.exec(select(TeamMember.team_id).where(TeamMember.user_id == ctx.user_id)).all()
    )


def dimension_keys_of(session: Session, practice_ids: Sequence[int]) -> dict[int, list[str]]:
    keys: dict[int, list[str]] = defaultdict(list)
    if practice_ids:
        for pid, key in session.exec(
            select(PracticeDimension.practice_id, PracticeDimension.dimension_key)
            .where(col(PracticeDimension.practice_id).in_(list(practice_ids)))
            .order_by(col(PracticeDimension.id))
        ).all():
            keys[pid].append(key)
    return keys


def practice_rows(
    session: Session, ctx: TenantContext, practices: Sequence[Practice]
) -> list[PracticeRow]:
    ids = [p.id for p in practices if p.id is not None]
    keys = dimension_keys_of(session, ids)
    names = dimensions.dimension_names(session=session, ctx=ctx)
    owners = user_names(session, (p.owner_user_id for p in practices))
    adopted = dict(
        session.exec(
            select(PracticeAdoption.practice_id, func.count())
            .where(
                col(PracticeAdoption.practice_id).in_(ids),
                col(PracticeAdoption.status).in_(IN_USE),
            )
            .group_by(col(PracticeAdoption.practice_id))
        ).all()
    )
    rows = []
    for p in practices:
        assert p.id is not None
        rows.append(
            PracticeRow(
                id=p.id,
                title=p.title,
                framework=p.framework,
                purpose=p.purpose,
                owner_user_id=p.owner_user_id,
                owner_name=owners.get(p.owner_user_id or 0, ""),
                version=p.version,
                builtin=p.builtin_key is not None,
                dimension_keys=keys.get(p.id, []),
                dimension_names=[names.get(k, k) for k in keys.get(p.id, [])],
                adopted_teams=int(adopted.get(p.id, 0)),
                updated_at=iso(p.updated_at),
            )
        )
    return rows
