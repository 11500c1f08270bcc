"""What the workspace home reads of surveys at a glance."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlmodel import Session, col, func, select

from pmo_saas.kernel.clock import as_utc, utcnow
from pmo_saas.kernel.context import TenantContext
from pmo_saas.surveys.models import Survey, SurveyInvitation


@dataclass(frozen=True, slots=True)
class SurveyWaiting:
    title: str
    closes_at: datetime


def surveys_waiting(*, session: Session, ctx: TenantContext) -> list[SurveyWaiting]:
    """Open surveys the person is invited to and has not answered, closing soonest first."""
    now = utcnow()
    rows = session.exec(
        select(Survey)
        .join(SurveyInvitation, col(SurveyInvitation.survey_id) == Survey.id)
        .where(
            SurveyInvitation.user_id == ctx.user_id,
            col(SurveyInvitation.answered).is_(False),
            Survey.status == "open",
        )
        .order_by(col(Survey.closes_at))
    ).all()
    return [SurveyWaiting(s.title, as_utc(s.closes_at)) for s in rows if as_utc(s.closes_at) > now]


def count_surveys(*, session: Session, ctx: TenantContext) -> int:
    return int(session.exec(select(func.count(col(Survey.id)))).one())
