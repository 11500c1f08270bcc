"""Agile training (pages/training.py): the course catalogue, enrolments, completions and
each team's coverage.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from datetime import date

from sqlalchemy import case, func
from sqlmodel import Session, col, select

from pmo_saas.coaching.models import (
    COURSE_LEVELS,
    Course,
    Enrolment,
)
from pmo_saas.coaching.schemas import (
    CourseRow,
    EnrolmentRow,
    TeamCoverage,
)
from pmo_saas.coaching.services.common import (
    _get,
    _iso,
    _names,
    _reads_everything,
    _require_manage,
    _require_member,
    parse_date,
    today,
)
from pmo_saas.identity import audit
from pmo_saas.identity.models import Team, TeamMember
from pmo_saas.identity.services import clean_name
from pmo_saas.kernel.clock import utcnow
from pmo_saas.kernel.context import TenantContext
from pmo_saas.kernel.errors import Conflict, Forbidden, ValidationFailed
from pmo_saas.kernel.roles import Role


def _clean_course(
    name: str, level: str, duration_hours: float, provider: str
) -> tuple[str, str, float, str]:
    name = clean_name(name, what="course name", max_length=160)
    if level not in COURSE_LEVELS:
        raise ValidationFailed("Choose a level: beginner, intermediate or advanced.", field="level")
    if not 0 < duration_hours <= 1000:
        raise ValidationFailed(
            "Enter the duration in hours, more than 0 and at most 1000.", field="duration_hours"
        )
    return name, level, float(duration_hours), " ".join((provider or "").split())[:120]


def _check_course_name_free(session: Session, name: str, course_id: int | None = None) -> None:
    existing = session.exec(
        select(Course.id).where(func.lower(Course.name) == func.lower(name))
    ).first()
    if existing is not None and existing != course_id:
        raise Conflict(f"The catalogue already has a course called “{name}”.")


def _course_rows(session: Session, courses: Sequence[Course]) -> list[CourseRow]:
    ids = [c.id for c in courses]
    counts = {
        cid: (int(n), int(d or 0))
        for cid, n, d in session.exec(
            select(
                Enrolment.course_id,
                func.count(col(Enrolment.id)),
                func.sum(case((col(Enrolment.completed_on).is_not(None), 1), else_=0)),
            )
            .where(col(Enrolment.course_id).in_(ids))
            .group_by(col(Enrolment.course_id))
        ).all()
    }
    rows = []
    for c in courses:
        assert c.id is not None
        enrolled, completed = counts.get(c.id, (0, 0))
        rows.append(
            CourseRow(
                id=c.id,
                name=c.name,
                level=c.level,
                duration_hours=c.duration_hours,
                provider=c.provider,
                archived=c.archived_at is not None,
                enrolled=enrolled,
                completed=completed,
            )
        )
    return rows


def create_course(
    *,
    session: Session,
    ctx: TenantContext,
    name: str,
    level: str = "beginner",
    duration_hours: float = 1.0,
    provider: str = "",
) -> CourseRow:
    _require_manage(ctx)
    name, level, duration_hours, provider = _clean_course(name, level, duration_hours, provider)
    _check_course_name_free(session, name)
    course = Course(name=name, level=level, duration_hours=duration_hours, provider=provider)
    session.add(course)
    session.flush()
    audit.record(session=session, ctx=ctx, action="coaching.course_created", target=name)
    return _course_rows(session, [course])[0]


def update_course(
    *,
    session: Session,
    ctx: TenantContext,
    course_id: int,
    name: str,
    level: str,
    duration_hours: float,
    provider: str,
    archived: bool = False,
) -> CourseRow:
    _require_manage(ctx)
    course = _get(session, Course, course_id, "That course")
    name, level, duration_hours, provider = _clean_course(name, level, duration_hours, provider)
    _check_course_name_free(session, name, course_id)
    course.name, course.level, course.duration_hours, course.provider = (
        name,
        level,
        duration_hours,
        provider,
    )
    if archived and course.archived_at is None:
        course.archived_at = utcnow()
    elif not archived:
        course.archived_at = None
    session.add(course)
    session.flush()
    return _course_rows(session, [course])[0]


def list_courses(
    *, session: Session, ctx: TenantContext, include_archived: bool = False
) -> list[CourseRow]:
    query = select(Course)
    if not include_archived:
        query = query.where(col(Course.archived_at).is_(None))
    return _course_rows(session, session.exec(query.order_by(Course.name)).all())


def _enrolment_rows(session: Session, enrolments: Sequence[Enrolment]) -> list[EnrolmentRow]:
    courses = {
        c.id: c.name
        for c in session.exec(
            select(Course).where(col(Course.id).in_({e.course_id for e in enrolments}))
        ).all()
    }
    names = _names(session, (e.user_id for e in enrolments))
    rows = []
    for e in enrolments:
        assert e.id is not None
        rows.append(
            EnrolmentRow(
                id=e.id,
                course_id=e.course_id,
                course_name=courses.get(e.course_id, ""),
                user_id=e.user_id,
                user_name=names.get(e.user_id, ""),
                enrolled_at=_iso(e.enrolled_at) or "",
                completed_on=_iso(e.completed_on),
            )
        )
    return rows


def _require_self_or_coach(ctx: TenantContext, user_id: int | None, message: str) -> None:
    if ctx.has(Role.COACH):
        return
    if ctx.role == Role.VIEWER or user_id != ctx.user_id:
        raise Forbidden(message)


def enrol(*, session: Session, ctx: TenantContext, course_id: int, user_id: int) -> EnrolmentRow:
    """Enrol a person in a course: coaches enrol anyone, members themselves."""
    _require_self_or_coach(ctx, user_id, "You can enrol yourself only; a coach enrols others.")
    course = _get(session, Course, course_id, "That course")
    if course.archived_at is not None:
        raise ValidationFailed("This course is archived: it takes no new enrolments.")
    _require_member(session, user_id, what="person", field="user")
    exists = session.exec(
        select(Enrolment.id).where(Enrolment.course_id == course_id, Enrolment.user_id == user_id)
    ).first()
    if exists is not None:
        raise Conflict("This person is already enrolled in this course.")
    enrolment = Enrolment(course_id=course_id, user_id=user_id)
    session.add(enrolment)
    session.flush()
    return _enrolment_rows(session, [enrolment])[0]


def complete_enrolment(
    *,
    session: Session,
    ctx: TenantContext,
    enrolment_id: int,
    completed_on: date | str | None = None,
) -> EnrolmentRow:
    """Record a completion (today unless given); not in the future."""
    enrolment = _get(session, Enrolment, enrolment_id, "That enrolment")
    _require_self_or_coach(ctx, enrolment.user_id, "You can record your own completions only.")
    done = parse_date(completed_on, field="completed_on", what="completion date") or today()
    if done > today():
        raise ValidationFailed("A completion date cannot be in the future.", field="completed_on")
    enrolment.completed_on = done
    session.add(enrolment)
    session.flush()
    row = _enrolment_rows(session, [enrolment])[0]
    audit.record(
        session=session,
        ctx=ctx,
        action="coaching.training_completed",
        target=row.course_name,
        detail=f"{row.user_name} on {done.isoformat()}",
    )
    return row


def list_enrolments(
    *,
    session: Session,
    ctx: TenantContext,
    user_id: int | None = None,
    course_id: int | None = None,
) -> list[EnrolmentRow]:
    """Coaches and viewers see everyone's enrolments; members their own."""
    if not _reads_everything(ctx):
        if user_id is not None and user_id != ctx.user_id:
            raise Forbidden("You can see your own enrolments only.")
        user_id = ctx.user_id
    query = select(Enrolment)
    if user_id is not None:
        query = query.where(Enrolment.user_id == user_id)
    if course_id is not None:
        query = query.where(Enrolment.course_id == course_id)
    return _enrolment_rows(session, session.exec(query.order_by(col(Enrolment.id))).all())


def training_coverage(*, session: Session, ctx: TenantContext) -> list[TeamCoverage]:
    """Per team: members, members who completed at least one course, and per-course counts."""
    teams = session.exec(select(Team).order_by(Team.name)).all()
    members = session.exec(select(TeamMember.team_id, TeamMember.user_id)).all()
    completions = session.exec(
        select(Enrolment.user_id, Enrolment.course_id).where(
            col(Enrolment.completed_on).is_not(None)
        )
    ).all()
    done_by_user: dict[int, set[int]] = defaultdict(set)
    for uid, cid in completions:
        done_by_user[uid].add(cid)
    team_members: dict[int, set[int]] = defaultdict(set)
    for tid, uid in members:
        team_members[tid].add(uid)
    rows = []
    for team in teams:
        assert team.id is not None
        people = team_members.get(team.id, set())
        trained = [u for u in people if done_by_user.get(u)]
        by_course: dict[int, int] = defaultdict(int)
        for u in people:
            for cid in done_by_user.get(u, ()):
                by_course[cid] += 1
        rows.append(
            TeamCoverage(
                team_id=team.id,
                team_name=team.name,
                members=len(people),
                trained=len(trained),
                coverage_percent=round(100 * len(trained) / len(people)) if people else 0,
                completed_by_course=dict(by_course),
            )
        )
    return rows
