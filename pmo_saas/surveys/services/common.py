"""The look-ups every survey service shares: surveys, questions, teams, status, dates; and
the personal-link mail that launch and reminders both send."""

from __future__ import annotations

import json
from typing import Any

from sqlmodel import Session, col, select

from pmo_saas.db import get_in_org
from pmo_saas.identity.mail import send_mail
from pmo_saas.kernel.clock import as_utc, utcnow
from pmo_saas.kernel.context import TenantContext
from pmo_saas.kernel.errors import DomainError, NotFound
from pmo_saas.settings import get_settings
from pmo_saas.surveys import instruments as ins
from pmo_saas.surveys.models import (
    Survey,
    SurveyQuestion,
    SurveyTeam,
)

OPEN = "open"
CLOSED = "closed"
MANAGE_MESSAGE = "Only coaches, admins and owners can run surveys."


class InvalidLink(NotFound):
    def __init__(self) -> None:
        DomainError.__init__(
            self,
            "This survey link is not valid. Check that you opened the whole link from your "
            "mail, or ask the person running the survey for a new one.",
        )


# ---------------------------------------------------------------- look-ups


def _survey(session: Session, survey_id: int) -> Survey:
    return get_in_org(session, Survey, survey_id, "That survey")


def _questions(session: Session, survey_id: int) -> list[SurveyQuestion]:
    return list(
        session.exec(
            select(SurveyQuestion)
            .where(SurveyQuestion.survey_id == survey_id)
            .order_by(col(SurveyQuestion.position))
        ).all()
    )


def _options(stored: str | None) -> list[tuple[str, str]]:
    return [(str(k), str(label)) for k, label in json.loads(stored or "[]")]


def _spec(q: SurveyQuestion) -> ins.QuestionSpec:
    return ins.QuestionSpec(q.key, q.kind, q.prompt, _options(q.options), q.required)


def _survey_teams(session: Session, survey_id: int) -> list[SurveyTeam]:
    return list(
        session.exec(
            select(SurveyTeam)
            .where(SurveyTeam.survey_id == survey_id)
            .order_by(col(SurveyTeam.team_name))
        ).all()
    )


def _status(survey: Survey) -> str:
    """`closed` once closed or past its end date (links then stop working either way)."""
    if survey.status == CLOSED or as_utc(survey.closes_at) < utcnow():
        return CLOSED
    return OPEN


def _link(token: str) -> str:
    return f"{get_settings().public_url.rstrip('/')}/s/{token}"


def _date(value: Any) -> str:
    return f"{as_utc(value):%Y-%m-%d}" if value else ""


# ---------------------------------------------------------------- personal-link mail


def _mail_link(
    session: Session, ctx: TenantContext, *, to: str, subject: str, body: str, token: str
) -> None:
    # The outbox and the log get the body with the link masked, and the day only (a
    # reminder's time would tell who had not answered by then); SMTP gets the real link.
    send_mail(
        session=session,
        org_id=ctx.org_id,
        to=to,
        subject=subject,
        body=body,
        secret=token,
        day_only=True,
    )


def _invitation_body(survey: Survey, org_name: str, token: str, *, reminder: bool = False) -> str:
    opening = (
        "A friendly reminder: you have not answered this survey yet."
        if reminder
        else f"{org_name} asks for your view in a short survey."
    )
    return (
        f"Hello,\n\n{opening}\n\n{survey.title}\n\n"
        f"Your personal link (it works once, until {_date(survey.closes_at)}):\n\n"
        f"{_link(token)}\n\n"
        "Your answers are stored without your name or account: only your team is kept, and "
        f"results are shown only for groups of at least {survey.min_group_size} people. "
        "Nobody, not even the people running the survey, can see what you answered.\n"
    )
