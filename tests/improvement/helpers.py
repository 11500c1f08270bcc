"""Feedback on the PMO answered through personal links, as people answer it."""

from __future__ import annotations

from pmo_saas.db import tenant_session
from pmo_saas.kernel.context import TenantContext
from pmo_saas.surveys import services as surveys
from pmo_saas.surveys.services import pmo_feedback
from tests.surveys.helpers import email_of, links_from_outbox


def launch_feedback(ctx: TenantContext, **kw) -> int:
    with tenant_session(ctx) as session:
        return pmo_feedback.launch_pmo_feedback(session=session, ctx=ctx, **kw)


def answer(people: list[TenantContext], scores: list[dict[str, int]], comment: str = "") -> None:
    """Each person answers their newest PMO feedback link with their scores."""
    links = links_from_outbox(people[0], "Feedback on the PMO")
    for person, given in zip(people, scores, strict=True):
        token = links[email_of(person)][-1]
        answers: dict = dict(given)
        if comment:
            answers["comment"] = comment
        surveys.submit_response(token=token, answers=answers)


def scores(coaching: int, funding: int, reports: int, serves: int) -> dict[str, int]:
    return {"coaching": coaching, "funding": funding, "reports": reports, "serves": serves}


def trend(ctx: TenantContext) -> pmo_feedback.PmoFeedbackTrend:
    with tenant_session(ctx) as session:
        return pmo_feedback.pmo_feedback_trend(session=session, ctx=ctx)
