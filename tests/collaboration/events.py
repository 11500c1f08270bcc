"""Test data for the notification events: a closed survey with a shown team and two hidden
ones, a portfolio whose initiatives members own, and reading who was told what."""

from __future__ import annotations

from dataclasses import dataclass

from sqlmodel import col, select

from pmo_saas.collaboration.models import Notification
from pmo_saas.db import system_session, tenant_session
from pmo_saas.identity.models import Membership
from pmo_saas.identity.services import remove_member
from pmo_saas.kernel.context import TenantContext
from pmo_saas.surveys import services as surveys
from pmo_saas.surveys.models import SurveyTeam
from tests.peers.smtp import smtp_delivery
from tests.surveys.helpers import email_of, launch, links_from_outbox, team_with, westrum_answers


def told(ctx: TenantContext, kind: str | None = None) -> list[Notification]:
    """Every notification of ctx's person (whatever the channel), oldest first."""
    with system_session() as session:
        query = select(Notification).where(Notification.recipient_id == ctx.user_id)
        if kind is not None:
            query = query.where(Notification.kind == kind)
        return list(session.exec(query.order_by(col(Notification.id))).all())


def remove(owner: TenantContext, person: TenantContext) -> None:
    with tenant_session(owner) as session:
        membership = session.exec(
            select(Membership.id).where(Membership.user_id == person.user_id)
        ).one()
        remove_member(session=session, ctx=owner, membership_id=membership)


@dataclass
class SurveyWorld:
    survey_id: int
    shown: list[TenantContext]  # team Shown: 4 of 4 answered (visible)
    small: list[TenantContext]  # team Small: 1 of 2 answered (below the threshold of 3)
    cover: list[TenantContext]  # team Cover: 3 of 3, hidden so Small cannot be subtracted
    shown_team: int  # survey team ids
    small_team: int
    cover_team: int


def answered_survey(coach: TenantContext) -> SurveyWorld:
    """A running westrum survey (threshold 3) the coach launched, answered as above."""
    shown_id, shown = team_with(coach, "Shown", 4)
    small_id, small = team_with(coach, "Small", 2)
    cover_id, cover = team_with(coach, "Cover", 3)
    with smtp_delivery():
        survey_id = launch(
            coach,
            [shown_id, small_id, cover_id],
            title="Pulse",
            min_group_size=3,
            min_comment_group_size=3,
        )
        links = links_from_outbox(coach)
        for person in [*shown, small[0], *cover]:
            [token] = links[email_of(person)]
            surveys.submit_response(token=token, answers=westrum_answers(5))
    with tenant_session(coach) as session:
        ids = dict(
            session.exec(
                select(SurveyTeam.team_name, SurveyTeam.id).where(SurveyTeam.survey_id == survey_id)
            ).all()
        )
    return SurveyWorld(survey_id, shown, small, cover, ids["Shown"], ids["Small"], ids["Cover"])
