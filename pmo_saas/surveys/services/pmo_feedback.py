"""Feedback on the PMO itself: the built-in instrument launched to every team, round after
round in one series, and its trend (the headline and each statement, per round).

Nothing here decides what may be shown: every figure comes from the same results computation
as any culture survey (`_compute_results`), so its thresholds, the differencing protection and
the rule that results wait for the close apply unchanged. The trend reads the organisation's
figures only, never a team's.
"""

from __future__ import annotations

from pydantic import BaseModel
from sqlalchemy import func
from sqlmodel import Session, col, select

from pmo_saas.identity.models import Team
from pmo_saas.kernel.anonymity import DEFAULT_MIN_COMMENTS, DEFAULT_MIN_GROUP
from pmo_saas.kernel.context import TenantContext
from pmo_saas.kernel.errors import Conflict
from pmo_saas.kernel.roles import Role
from pmo_saas.surveys import instruments as ins
from pmo_saas.surveys.models import Survey
from pmo_saas.surveys.services.common import CLOSED, MANAGE_MESSAGE, _date, _status
from pmo_saas.surveys.services.launch import launch_survey
from pmo_saas.surveys.services.results import _compute_results


class PmoFeedbackQuestion(BaseModel):
    key: str
    label: str
    prompt: str


class PmoFeedbackRound(BaseModel):
    survey_id: int
    round_label: str
    closed: str
    running: bool = False
    responses: int = 0
    headline: float | None = None
    hidden_reason: str = ""
    # statement key -> the organisation's mean (1-5); empty when hidden or running.
    questions: dict[str, float | None] = {}


class PmoFeedbackTrend(BaseModel):
    series_id: int | None = None
    questions: list[PmoFeedbackQuestion]
    rounds: list[PmoFeedbackRound]


PMO_TITLE = "Feedback on the PMO"
# Short names of the four statements, for the tile's columns and the backlog's links.
PMO_QUESTION_LABELS = {
    "coaching": "Coaching helps",
    "funding": "Funding decisions are clear",
    "reports": "Reports are worth it",
    "serves": "Serves rather than controls",
}
TREND_ROUNDS = 8


def pmo_questions() -> list[PmoFeedbackQuestion]:
    return [
        PmoFeedbackQuestion(key=key, label=PMO_QUESTION_LABELS[key], prompt=prompt)
        for key, prompt in ins.PMO_ITEMS
    ]


def _latest_series(session: Session) -> int | None:
    """The series of the newest PMO feedback round (one series per organisation in practice)."""
    return session.exec(
        select(func.max(Survey.series_id)).where(Survey.instrument == ins.PMO)
    ).one()


def launch_pmo_feedback(
    *,
    session: Session,
    ctx: TenantContext,
    days_open: int = 14,
    min_group_size: int = DEFAULT_MIN_GROUP,
    notify: bool = True,
) -> int:
    """The next round of feedback on the PMO, to every team of the organisation today (new
    teams included), with personal links. Refused while a round still runs."""
    ctx.require(Role.COACH, MANAGE_MESSAGE)
    series_id = _latest_series(session)
    rounds = (
        session.exec(select(Survey).where(Survey.series_id == series_id)).all()
        if series_id is not None
        else []
    )
    if any(_status(r) != CLOSED for r in rounds):
        raise Conflict("A round of feedback on the PMO is still running: close it first.")
    team_ids = [t for t in session.exec(select(Team.id)).all() if t is not None]
    survey_id = launch_survey(
        session=session,
        ctx=ctx,
        title=PMO_TITLE,
        instrument=ins.PMO,
        team_ids=team_ids,
        min_group_size=min_group_size,
        min_comment_group_size=max(min_group_size, DEFAULT_MIN_COMMENTS),
        days_open=days_open,
        notify=notify,
    )
    if rounds:
        survey = session.get(Survey, survey_id)
        assert survey is not None
        survey.series_id = series_id
        survey.round_number = max(r.round_number for r in rounds) + 1
        session.add(survey)
        session.flush()
    return survey_id


def pmo_feedback_trend(*, session: Session, ctx: TenantContext) -> PmoFeedbackTrend:
    """The organisation's PMO service score and each statement's mean, per round (the last
    TREND_ROUNDS), as the results page shows them to a coach: hidden with the reason when the
    anonymity rules hide the organisation's total."""
    ctx.require(Role.COACH, "Only coaches, admins and owners can see survey results.")
    series_id = _latest_series(session)
    if series_id is None:
        return PmoFeedbackTrend(questions=pmo_questions(), rounds=[])
    rounds = session.exec(
        select(Survey)
        .where(Survey.series_id == series_id)
        .order_by(col(Survey.round_number).desc())
        .limit(TREND_ROUNDS)
    ).all()
    points = []
    for r in reversed(rounds):
        assert r.id is not None
        label = f"Round {r.round_number}"
        if _status(r) != CLOSED:
            points.append(
                PmoFeedbackRound(
                    survey_id=r.id,
                    round_label=label,
                    closed="",
                    running=True,
                    hidden_reason="Still running: results appear once it has closed.",
                )
            )
            continue
        org = _compute_results(session, r, None).org
        points.append(
            PmoFeedbackRound(
                survey_id=r.id,
                round_label=label,
                closed=_date(r.closed_at or r.closes_at),
                responses=org.responses,
                headline=org.headline.value if org.visible and org.headline else None,
                hidden_reason="" if org.visible else org.hidden_reason,
                questions={q.key: q.mean for q in org.questions if org.visible and q.key},
            )
        )
    return PmoFeedbackTrend(series_id=series_id, questions=pmo_questions(), rounds=points)


def pmo_feedback_rounds(*, session: Session, ctx: TenantContext) -> list[tuple[int, str]]:
    """(survey id, "Round N") of every PMO feedback round, newest first: what an improvement
    item can be raised from."""
    ctx.require(Role.VIEWER)
    return [
        (sid, f"{PMO_TITLE}, round {n}")
        for sid, n in session.exec(
            select(Survey.id, Survey.round_number)
            .where(Survey.instrument == ins.PMO)
            .order_by(col(Survey.id).desc())
        ).all()
        if sid is not None
    ]
