"""The playbook (pages/playbook.py, pages/practice.py): publish and edit practices (each save
keeps a version), list them, one practice with its versions, the starter practices, and
`practices_for_dimension`.

Stable read API for other domains (coaching goals: "to raise Flow & delivery, try these"):
- `practices_for_dimension(session=, ctx=, dimension_key=) -> list[PracticeRow]`
"""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import func
from sqlmodel import Session, col, delete, select

from pmo_saas.identity import audit
from pmo_saas.identity.models import Membership, Team
from pmo_saas.identity.validation import clean_name
from pmo_saas.kernel.clock import utcnow
from pmo_saas.kernel.context import TenantContext
from pmo_saas.kernel.errors import Conflict, ValidationFailed
from pmo_saas.kernel.roles import Role
from pmo_saas.practices import dimensions
from pmo_saas.practices.models import (
    ADOPTION_LABELS,
    FRAMEWORKS,
    NOT_STARTED,
    Practice,
    PracticeAdoption,
    PracticeDimension,
    PracticeVersion,
)
from pmo_saas.practices.schemas import (
    AdoptionRow,
    DimensionChoice,
    HelpingPractice,
    HelpsPage,
    PracticeDetail,
    PracticeRow,
    PracticeVersionRow,
)
from pmo_saas.practices.services.common import (
    clean_text,
    get_practice,
    get_team,
    iso,
    my_team_ids,
    practice_rows,
    require_manage,
    user_names,
)
from pmo_saas.practices.starters import STARTERS


def dimension_choices(*, session: Session, ctx: TenantContext) -> list[DimensionChoice]:
    """The assessment dimensions a practice can name as helped."""
    names = dimensions.dimension_names(session=session, ctx=ctx)
    return [DimensionChoice(key=k, name=n) for k, n in names.items()]


def _clean(
    session: Session,
    ctx: TenantContext,
    *,
    title: str,
    framework: str,
    purpose: str,
    how_to: str,
    owner_user_id: int | None,
    dimension_keys: Sequence[str],
) -> tuple[str, str, str, str, int | None, list[str]]:
    title = clean_name(title, what="title", max_length=160)
    if framework not in FRAMEWORKS:
        raise ValidationFailed("Choose a framework: DSDM, Scrum, Kanban or General.")
    if owner_user_id is not None:
        member = session.exec(
            select(Membership.id).where(Membership.user_id == owner_user_id)
        ).first()
        if member is None:
            raise ValidationFailed("The owner must be a member of this organisation.")
    known = dimensions.dimension_names(session=session, ctx=ctx)
    keys = list(dict.fromkeys(k.strip() for k in dimension_keys if k and k.strip()))
    unknown = [k for k in keys if k not in known]
    if unknown:
        raise ValidationFailed(f"Unknown assessment dimension: {', '.join(unknown)}.")
    return (
        title,
        framework,
        clean_text(purpose, what="purpose"),
        clean_text(how_to, what="how-to"),
        owner_user_id,
        keys,
    )


def _title_free(session: Session, title: str, practice_id: int | None = None) -> None:
    found = session.exec(
        select(Practice.id).where(func.lower(Practice.title) == func.lower(title))
    ).first()
    if found is not None and found != practice_id:
        raise Conflict(f"The playbook already has a practice called “{title}”.")


def _save_version(
    session: Session, ctx: TenantContext, practice: Practice, keys: list[str]
) -> None:
    assert practice.id is not None
    session.add(
        PracticeVersion(
            practice_id=practice.id,
            number=practice.version,
            title=practice.title,
            purpose=practice.purpose,
            how_to=practice.how_to,
            owner_user_id=practice.owner_user_id,
            dimension_keys=",".join(keys),
            edited_by_id=ctx.user_id,
        )
    )
    session.exec(delete(PracticeDimension).where(col(PracticeDimension.practice_id) == practice.id))
    for key in keys:
        session.add(PracticeDimension(practice_id=practice.id, dimension_key=key))
    session.flush()


def publish_practice(
    *,
    session: Session,
    ctx: TenantContext,
    title: str,
    purpose: str = "",
    how_to: str = "",
    framework: str = "general",
    owner_user_id: int | None = None,
    dimension_keys: Sequence[str] = (),
    builtin_key: str | None = None,
) -> int:
    """Publish a new practice (version 1). Returns its id."""
    require_manage(ctx)
    title, framework, purpose, how_to, owner, keys = _clean(
        session,
        ctx,
        title=title,
        framework=framework,
        purpose=purpose,
        how_to=how_to,
        owner_user_id=owner_user_id if owner_user_id is not None else ctx.user_id,
        dimension_keys=dimension_keys,
    )
    _title_free(session, title)
    practice = Practice(
        title=title,
        framework=framework,
        purpose=purpose,
        how_to=how_to,
        owner_user_id=owner,
        builtin_key=builtin_key,
    )
    session.add(practice)
    session.flush()
    _save_version(session, ctx, practice, keys)
    audit.record(session=session, ctx=ctx, action="practice.published", target=title)
    assert practice.id is not None
    return practice.id


def update_practice(
    *,
    session: Session,
    ctx: TenantContext,
    practice_id: int,
    title: str,
    purpose: str,
    how_to: str,
    framework: str,
    owner_user_id: int | None,
    dimension_keys: Sequence[str],
) -> int:
    """Save an edit as the next version (the previous ones stay). Returns the version number."""
    require_manage(ctx)
    practice = get_practice(session, practice_id)
    title, framework, purpose, how_to, owner, keys = _clean(
        session,
        ctx,
        title=title,
        framework=framework,
        purpose=purpose,
        how_to=how_to,
        owner_user_id=owner_user_id,
        dimension_keys=dimension_keys,
    )
    _title_free(session, title, practice.id)
    practice.title, practice.framework, practice.purpose = title, framework, purpose
    practice.how_to, practice.owner_user_id = how_to, owner
    practice.version += 1
    practice.updated_at = utcnow()
    session.add(practice)
    _save_version(session, ctx, practice, keys)
    audit.record(
        session=session,
        ctx=ctx,
        action="practice.updated",
        target=title,
        detail=f"version {practice.version}",
    )
    return practice.version


def add_starter_practices(*, session: Session, ctx: TenantContext) -> int:
    """Add the DSDM and Scrum/Kanban starter practices the organisation lacks (by their key or
    by title). Returns how many were added."""
    require_manage(ctx)
    have_keys = set(session.exec(select(Practice.builtin_key)).all())
    have_titles = {t.lower() for t in session.exec(select(Practice.title)).all()}
    added = 0
    for starter in STARTERS:
        if starter.key in have_keys or starter.title.lower() in have_titles:
            continue
        publish_practice(
            session=session,
            ctx=ctx,
            title=starter.title,
            purpose=starter.purpose,
            how_to=starter.how_to,
            framework=starter.framework,
            dimension_keys=starter.dimensions,
            builtin_key=starter.key,
        )
        added += 1
    return added


def list_practices(*, session: Session, ctx: TenantContext) -> list[PracticeRow]:
    return practice_rows(
        session, ctx, session.exec(select(Practice).order_by(Practice.title)).all()
    )


def practices_for_dimension(
    *, session: Session, ctx: TenantContext, dimension_key: str
) -> list[PracticeRow]:
    """The practices that name `dimension_key` as helped, by title."""
    practices = session.exec(
        select(Practice)
        .join(PracticeDimension, col(PracticeDimension.practice_id) == Practice.id)
        .where(PracticeDimension.dimension_key == dimension_key)
        .order_by(Practice.title)
    ).all()
    return practice_rows(session, ctx, practices)


def practice_detail(*, session: Session, ctx: TenantContext, practice_id: int) -> PracticeDetail:
    """One practice as it reads now, every version newest first, and each team's adoption."""
    practice = get_practice(session, practice_id)
    versions = session.exec(
        select(PracticeVersion)
        .where(PracticeVersion.practice_id == practice_id)
        .order_by(col(PracticeVersion.number).desc())
    ).all()
    names = user_names(
        session, [v.owner_user_id for v in versions] + [v.edited_by_id for v in versions]
    )
    dim_names = dimensions.dimension_names(session=session, ctx=ctx)
    adoptions = {
        a.team_id: a
        for a in session.exec(
            select(PracticeAdoption).where(PracticeAdoption.practice_id == practice_id)
        ).all()
    }
    mine = my_team_ids(session, ctx)
    manage = ctx.has(Role.COACH)
    rows = []
    for team in session.exec(select(Team).order_by(Team.name)).all():
        assert team.id is not None
        a = adoptions.get(team.id)
        status = a.status if a else NOT_STARTED
        rows.append(
            AdoptionRow(
                team_id=team.id,
                team_name=team.name,
                status=status,
                status_label=ADOPTION_LABELS[status],
                note=a.note if a else "",
                can_record=manage or (team.id in mine and ctx.user_id is not None),
                updated_at=iso(a.updated_at) if a else "",
            )
        )
    return PracticeDetail(
        practice=practice_rows(session, ctx, [practice])[0],
        how_to=practice.how_to,
        versions=[
            PracticeVersionRow(
                number=v.number,
                title=v.title,
                purpose=v.purpose,
                how_to=v.how_to,
                owner_name=names.get(v.owner_user_id or 0, ""),
                dimension_names=[dim_names.get(k, k) for k in v.dimension_keys.split(",") if k],
                edited_by=names.get(v.edited_by_id or 0, ""),
                created_at=iso(v.created_at),
            )
            for v in versions
        ],
        adoption=rows,
    )


def helping_practices(
    *, session: Session, ctx: TenantContext, dimension_keys: list[str], team_id: int | None
) -> list[HelpingPractice]:
    """Practices that help each of `dimension_keys` ("to raise Flow, try these"), by title,
    with `team_id`'s adoption state (not started when it has no record; another
    organisation's team gives NotFound)."""
    keys = sorted({k for k in dimension_keys if k})
    if not keys:
        return []
    if team_id is not None:
        get_team(session, team_id)
    rows = session.exec(
        select(PracticeDimension.dimension_key, Practice)
        .join(Practice, col(Practice.id) == PracticeDimension.practice_id)
        .where(col(PracticeDimension.dimension_key).in_(keys))
        .order_by(col(PracticeDimension.dimension_key), col(Practice.title))
    ).all()
    states = (
        dict(
            session.exec(
                select(PracticeAdoption.practice_id, PracticeAdoption.status).where(
                    PracticeAdoption.team_id == team_id
                )
            ).all()
        )
        if team_id is not None
        else {}
    )
    return [
        HelpingPractice(
            dimension_key=key,
            practice_id=p.id or 0,
            title=p.title,
            purpose=p.purpose,
            status=(status := states.get(p.id or 0, NOT_STARTED)),
            status_label=ADOPTION_LABELS.get(status, status) if team_id is not None else "",
        )
        for key, p in rows
    ]


def helps_page(
    *, session: Session, ctx: TenantContext, dimension_key: str, team_id: int | None
) -> HelpsPage:
    """The practices page for one dimension (linked from assessment results and goals)."""
    names = dimensions.dimension_names(session=session, ctx=ctx)
    team_name = get_team(session, team_id).name if team_id is not None else ""
    return HelpsPage(
        dimension_key=dimension_key,
        dimension_name=names.get(dimension_key, dimension_key),
        team_name=team_name,
        practices=helping_practices(
            session=session, ctx=ctx, dimension_keys=[dimension_key], team_id=team_id
        ),
    )
