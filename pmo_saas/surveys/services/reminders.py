"""Reminders: by hand from the surveys page, and on the schedule the coach set at launch
(days after launch, default 3 and 7), sent by the `survey_reminders` job.

A reminder carries a fresh personal link: a link's token is kept only as its hash, so the one
sent at launch cannot be mailed again. The new link is added beside the earlier ones (all stay
valid until one is used: answering through any of them marks the person answered, and then
every one of their links says "already used"), so a reminder invalidates nothing.

A scheduled reminder is recorded as the invitation's `reminded_day` (the day offset), set by a
conditional UPDATE in the same transaction as the new link and the mail: a job run twice, or
after a crash mid-way, sends each person each day's reminder once, and never to someone whose
answer committed first. Nothing here reads or writes a response: the records say only "had not
answered by day N", which participation (`answered`) says anyway; the outbox and the audit
trail keep the day, never the time, and no count.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, time, timedelta

from sqlalchemy import update
from sqlmodel import Session, col, select

from pmo_saas.identity.models import AuditEvent, User
from pmo_saas.identity.security import new_token
from pmo_saas.kernel.clock import as_utc, utcnow
from pmo_saas.kernel.context import TenantContext
from pmo_saas.kernel.errors import Conflict, ValidationFailed
from pmo_saas.kernel.roles import Role
from pmo_saas.surveys.models import Survey, SurveyInvitation, SurveyLink
from pmo_saas.surveys.services.common import (
    MANAGE_MESSAGE,
    OPEN,
    _invitation_body,
    _mail_link,
    _survey,
)

DEFAULT_REMINDER_DAYS = (3, 7)
MAX_REMINDERS = 5
SCHEDULE_FIELD = "reminder_days"


# ---------------------------------------------------------------- the schedule


def parse_reminder_days(text: str) -> list[int]:
    """ "3, 7" -> [3, 7]; "" or "none" -> [] (the launch form's field)."""
    raw = (text or "").replace(";", ",").replace(" ", ",").strip(", ")
    if raw.lower() in ("", "none"):
        return []
    parts = [p for p in raw.split(",") if p]
    if not all(p.isdigit() for p in parts):
        raise ValidationFailed(
            "Enter the reminder days as whole numbers, like 3, 7 (or leave it empty).",
            field=SCHEDULE_FIELD,
        )
    return [int(p) for p in parts]


def reminder_schedule(days: list[int] | None, *, days_open: int) -> str:
    """The stored schedule ("3,7") for `days` (None: the default, as far as it fits)."""
    if days is None:
        return ",".join(str(d) for d in DEFAULT_REMINDER_DAYS if d < days_open)
    wanted = sorted(set(days))
    if len(wanted) > MAX_REMINDERS:
        raise ValidationFailed(f"Send at most {MAX_REMINDERS} reminders.", field=SCHEDULE_FIELD)
    if any(not 1 <= d < days_open for d in wanted):
        raise ValidationFailed(
            f"Reminders go out while the survey runs: choose days from 1 to {days_open - 1}.",
            field=SCHEDULE_FIELD,
        )
    return ",".join(str(d) for d in wanted)


def schedule_days(survey: Survey) -> list[int]:
    return [int(d) for d in (survey.reminder_days or "").split(",") if d.strip().isdigit()]


# ---------------------------------------------------------------- by hand


def send_reminders(*, session: Session, ctx: TenantContext, survey_id: int) -> int:
    """Mail a fresh personal link to everyone who has not answered. Returns how many."""
    ctx.require(Role.COACH, MANAGE_MESSAGE)
    survey = _survey(session, survey_id)
    if survey.status != OPEN:
        raise Conflict("This survey is closed; there is nobody left to remind.")
    pending = session.exec(
        select(SurveyInvitation, User)
        .join(User, col(User.id) == SurveyInvitation.user_id)
        .where(SurveyInvitation.survey_id == survey_id, col(SurveyInvitation.answered).is_(False))
    ).all()
    for invitation, user in pending:
        assert invitation.id is not None
        invitation.reminders_sent += 1
        session.add(invitation)
        _mail_reminder(session, ctx, survey, invitation.id, user.email)
    _audit_reminders(session, ctx, survey)
    return len(pending)


def _mail_reminder(
    session: Session, ctx: TenantContext, survey: Survey, invitation_id: int, to: str
) -> None:
    token, token_hash = new_token()
    session.add(SurveyLink(invitation_id=invitation_id, token_hash=token_hash))
    _mail_link(
        session,
        ctx,
        to=to,
        subject=f"Reminder: {survey.title}",
        body=_invitation_body(survey, "", token, reminder=True),
        token=token,
    )


def _audit_reminders(session: Session, ctx: TenantContext, survey: Survey) -> None:
    # Dated to the day and without a count: with the time of day, it and the reminder mails
    # would tell who (and how many) had not answered by then.
    actor = session.get(User, ctx.user_id) if ctx.user_id is not None else None
    now = utcnow()
    session.add(
        AuditEvent(
            actor_id=ctx.user_id,
            actor_email=actor.email if actor else "",
            action="survey.reminders_sent",
            target=survey.title[:254],
            detail="to everyone who had not answered" + ("" if actor else " (scheduled at launch)"),
            created_at=datetime.combine(now.date(), time(), tzinfo=now.tzinfo),
        )
    )


# ---------------------------------------------------------------- on schedule (the job)


@dataclass(frozen=True, slots=True)
class DueReminders:
    survey_id: int
    day: int
    invitation_ids: list[int]


def _due_day(survey: Survey, now: datetime) -> int | None:
    """The latest scheduled day already reached (one reminder if a run missed several)."""
    launched = as_utc(survey.created_at)
    reached = [d for d in schedule_days(survey) if launched + timedelta(days=d) <= now]
    return max(reached) if reached else None


def _still_open(survey: Survey, now: datetime) -> bool:
    return survey.status == OPEN and as_utc(survey.closes_at) > now


def due_reminders(*, session: Session, now: datetime) -> list[DueReminders]:
    """In the session's organisation: per running survey whose reminder day has come, the
    invitations not answered and not yet reminded for that day."""
    surveys = session.exec(
        select(Survey).where(Survey.status == OPEN, col(Survey.reminder_days) != "")
    ).all()
    due = []
    for survey in sorted(surveys, key=lambda s: s.id or 0):
        day = _due_day(survey, now)
        if day is None or not _still_open(survey, now):
            continue
        ids = session.exec(
            select(SurveyInvitation.id)
            .where(
                SurveyInvitation.survey_id == survey.id,
                col(SurveyInvitation.answered).is_(False),
                col(SurveyInvitation.reminded_day) < day,
            )
            .order_by(col(SurveyInvitation.id))
        ).all()
        if ids:
            assert survey.id is not None
            due.append(DueReminders(survey.id, day, [i for i in ids if i is not None]))
    return due


def send_scheduled_reminder(
    *, session: Session, ctx: TenantContext, survey_id: int, invitation_id: int, day: int
) -> bool:
    """Day `day`'s reminder to one invitation, unless it was sent or the person answered
    meanwhile (checked by the UPDATE itself, which waits for a concurrent answer's commit).
    The caller's transaction holds the mark, the new link and the outbox row together."""
    survey = _survey(session, survey_id)
    if not _still_open(survey, utcnow()):
        return False
    marked = session.exec(
        update(SurveyInvitation)
        .where(
            col(SurveyInvitation.id) == invitation_id,
            col(SurveyInvitation.survey_id) == survey_id,
            col(SurveyInvitation.answered).is_(False),
            col(SurveyInvitation.reminded_day) < day,
        )
        .values(reminded_day=day, reminders_sent=col(SurveyInvitation.reminders_sent) + 1)
        .execution_options(synchronize_session=False)
    )
    if not marked.rowcount:  # type: ignore[attr-defined]
        return False
    email = session.exec(
        select(User.email)
        .join(SurveyInvitation, col(SurveyInvitation.user_id) == User.id)
        .where(SurveyInvitation.id == invitation_id)
    ).one()
    _mail_reminder(session, ctx, survey, invitation_id, email)
    return True


def record_scheduled_reminders(*, session: Session, ctx: TenantContext, survey_id: int) -> None:
    """The audit line for a day's scheduled reminders (after they went out)."""
    _audit_reminders(session, ctx, _survey(session, survey_id))
