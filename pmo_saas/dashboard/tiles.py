"""The dashboard's tiles: each one aggregate query in a tenant session, read-only.

The tenant session scopes every table of every query (joins included) to the organisation,
and PostgreSQL row security holds behind it. Figures that carry rules of another domain are
not recomputed here: the culture headline (Westrum, eNPS) comes from the surveys service, so
its anonymity thresholds and differencing protection apply unchanged.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from dataclasses import replace
from datetime import timedelta
from typing import Any

from sqlalchemy import case, distinct, func
from sqlmodel import Session, col, select

from pmo_saas.assessments.models import (
    KIND_MATURITY,
    ROUND_CLOSED,
    AssessmentDimension,
    AssessmentModel,
    AssessmentModelVersion,
    AssessmentRound,
    RoundDimensionTotal,
    RoundParticipant,
)
from pmo_saas.coaching.models import ACTION_DONE, CoachingAction, CoachingPlan, Enrolment
from pmo_saas.dashboard.schemas import (
    CountRow,
    CultureFigure,
    CultureTile,
    FundingTile,
    MaturityTile,
    PlansTile,
    PmoFeedbackTile,
    ResponseRateRow,
    ResponseRatesTile,
    RiskRow,
    RisksTile,
    StatusTile,
    TeamsAssessedTile,
    TrainingTile,
    TrendPoint,
)
from pmo_saas.delivery.services.plan_views import delivery_tile
from pmo_saas.identity.models import Team, TeamMember
from pmo_saas.kernel.clock import utcnow
from pmo_saas.kernel.context import TenantContext
from pmo_saas.kernel.roles import Role
from pmo_saas.portfolio.fields import STATUSES
from pmo_saas.portfolio.models import Initiative, Portfolio, PublishedPlan, Risk
from pmo_saas.surveys import services as surveys
from pmo_saas.surveys.models import Survey, SurveyInvitation
from pmo_saas.surveys.services import pmo_feedback

# A round's organisation mean is shown only when at least this many people answered it.
MIN_ASSESSMENT_RESPONDENTS = 3
TREND_ROUNDS = 8
TOP_RISKS = 5
RATE_SURVEYS = 6
ASSESSED_WITHIN_DAYS = 365


def _pct(part: float, whole: float) -> float:
    return round(100.0 * part / whole, 1) if whole else 0.0


# ---------------------------------------------------------------- portfolio


def funding_tile(session: Session, ctx: TenantContext) -> FundingTile:
    """Budget of the active portfolios against their latest published plan (what is funded)."""
    latest = (
        select(PublishedPlan.portfolio_id, func.max(PublishedPlan.published_at).label("at"))
        .group_by(col(PublishedPlan.portfolio_id))
        .subquery()
    )
    rows = session.exec(
        select(Portfolio.budget, Portfolio.currency, PublishedPlan.snapshot_json)
        .outerjoin(latest, latest.c.portfolio_id == Portfolio.id)
        .outerjoin(
            PublishedPlan,
            (col(PublishedPlan.portfolio_id) == Portfolio.id)
            & (col(PublishedPlan.published_at) == latest.c.at),
        )
        .where(col(Portfolio.archived_at).is_(None))
    ).all()
    budget = cost = funded = 0
    value = 0.0
    currencies: list[str] = []
    for portfolio_budget, currency, snapshot in rows:
        budget += portfolio_budget or 0
        if currency not in currencies:
            currencies.append(currency)
        if snapshot:
            plan: dict[str, Any] = json.loads(snapshot)
            cost += int(plan.get("total_cost") or 0)
            value += float(plan.get("total_value") or 0.0)
            funded += len(plan.get("funded_ids") or [])
    return FundingTile(
        portfolios=len(rows),
        currency=currencies[0] if len(currencies) == 1 else "",
        budget=budget,
        funded_cost=cost,
        funded_value=round(value, 1),
        funded_initiatives=funded,
        budget_used_percent=_pct(cost, budget),
    )


def status_tile(session: Session, ctx: TenantContext) -> StatusTile:
    counts = dict(
        session.exec(
            select(Initiative.status, func.count())
            .where(col(Initiative.archived_at).is_(None))
            .group_by(col(Initiative.status))
        ).all()
    )
    rows = [CountRow(label=label, count=int(counts.get(key, 0))) for key, label in STATUSES.items()]
    return StatusTile(total=sum(r.count for r in rows), rows=rows)


def risks_tile(session: Session, ctx: TenantContext) -> RisksTile:
    exposure = col(Risk.probability) * col(Risk.impact)
    rows = session.exec(
        select(  # type: ignore[call-overload]
            Risk.title,
            Initiative.title,
            exposure,
            Risk.probability,
            Risk.impact,
            Risk.status,
            Risk.owner,
            func.count().over(),
        )
        .outerjoin(Initiative, col(Initiative.id) == Risk.initiative_id)
        .where(col(Risk.status) != "closed")
        .order_by(exposure.desc(), col(Risk.impact).desc(), col(Risk.title))
        .limit(TOP_RISKS)
    ).all()
    return RisksTile(
        open_risks=int(rows[0][7]) if rows else 0,
        rows=[
            RiskRow(
                title=title,
                initiative=initiative or "",
                exposure=int(exp),
                probability=p,
                impact=i,
                status=status,
                owner=owner,
            )
            for title, initiative, exp, p, i, status, owner, _n in rows
        ],
    )


# ---------------------------------------------------------------- transformation


def maturity_tile(session: Session, ctx: TenantContext) -> MaturityTile:
    """Mean per dimension over every answer of each closed maturity round (the latest model).

    The mean is the answers' sum over their count, both from the counts and sums written when
    each round closed (RoundDimensionTotal: a few rows per team, not every answer); a round
    counts only with at least MIN_ASSESSMENT_RESPONDENTS people who submitted.
    """
    round_sums = (
        select(
            RoundDimensionTotal.round_id,
            RoundDimensionTotal.dimension_id,
            func.sum(RoundDimensionTotal.total).label("total"),
            func.sum(RoundDimensionTotal.answers).label("answers"),
        )
        .group_by(col(RoundDimensionTotal.round_id), col(RoundDimensionTotal.dimension_id))
        .subquery()
    )
    submitted = (
        select(RoundParticipant.round_id, func.count().label("people"))
        .where(col(RoundParticipant.submitted_at).is_not(None))
        .group_by(col(RoundParticipant.round_id))
        .subquery()
    )
    rows = session.exec(
        select(  # type: ignore[call-overload]
            AssessmentModel.id,
            AssessmentModel.name,
            AssessmentRound.id,
            AssessmentRound.title,
            AssessmentRound.closed_at,
            AssessmentDimension.key,
            AssessmentDimension.name,
            round_sums.c.total,
            round_sums.c.answers,
            func.coalesce(submitted.c.people, 0),
        )
        .select_from(round_sums)
        .join(AssessmentRound, col(AssessmentRound.id) == round_sums.c.round_id)
        .join(AssessmentDimension, col(AssessmentDimension.id) == round_sums.c.dimension_id)
        .join(
            AssessmentModelVersion,
            col(AssessmentModelVersion.id) == AssessmentRound.model_version_id,
        )
        .join(AssessmentModel, col(AssessmentModel.id) == AssessmentModelVersion.model_id)
        .outerjoin(submitted, submitted.c.round_id == AssessmentRound.id)
        .where(AssessmentRound.status == ROUND_CLOSED, AssessmentModel.kind == KIND_MATURITY)
    ).all()
    return maturity_trend(
        [
            (m_id, m_name, round_id, title, closed_at, key, name, int(total) / int(n), people)
            for m_id, m_name, round_id, title, closed_at, key, name, total, n, people in rows
        ]
    )


def maturity_trend(rows: Sequence[tuple[Any, ...]]) -> MaturityTile:
    """The tile from one row per closed round and dimension: model id and name, round id,
    title and close time, dimension key and name, the answers' mean, people who submitted."""
    if not rows:
        return MaturityTile(model="", dimensions=[], points=[], chart=[], latest_overall=None)
    # The model whose latest closed round is newest.
    newest = max(rows, key=lambda r: (r[4], r[2]))
    model_id, model_name = newest[0], newest[1]
    rounds: dict[int, tuple[Any, str]] = {}
    means: dict[int, dict[str, float]] = {}
    names: dict[str, str] = {}
    for m_id, _m, round_id, title, closed_at, key, name, mean, people in rows:
        if m_id != model_id or people < MIN_ASSESSMENT_RESPONDENTS:
            continue
        rounds[round_id] = (closed_at, title)
        names.setdefault(key, name)
        means.setdefault(round_id, {})[name] = round(float(mean), 2)
    ordered = sorted(rounds, key=lambda r: (rounds[r][0], r))[-TREND_ROUNDS:]
    dimensions = sorted(names.values())
    points = [TrendPoint(label=rounds[r][1], values=means[r]) for r in ordered]
    chart: list[dict[str, str | float]] = [{"round": p.label, **p.values} for p in points]
    last = points[-1].values if points else {}
    return MaturityTile(
        model=model_name,
        dimensions=dimensions,
        points=points,
        chart=chart,
        latest_overall=round(sum(last.values()) / len(last), 2) if last else None,
    )


def teams_assessed_tile(session: Session, ctx: TenantContext) -> TeamsAssessedTile:
    """Teams with at least one submitted answer sheet in a round opened in the last year."""
    since = utcnow() - timedelta(days=ASSESSED_WITHIN_DAYS)
    teams, assessed = session.exec(
        select(
            func.count(distinct(col(Team.id))),
            func.count(distinct(col(RoundParticipant.team_id))),
        )
        .select_from(Team)
        .outerjoin(
            RoundParticipant,
            (col(RoundParticipant.team_id) == Team.id)
            & col(RoundParticipant.submitted_at).is_not(None)
            & col(RoundParticipant.round_id).in_(
                select(AssessmentRound.id).where(col(AssessmentRound.opened_at) >= since)
            ),
        )
    ).one()
    return TeamsAssessedTile(
        teams=int(teams), assessed=int(assessed), percent=_pct(int(assessed), int(teams))
    )


# ---------------------------------------------------------------- culture

CULTURE_INSTRUMENTS = (("westrum", "Westrum culture (1-7)"), ("enps", "eNPS"))


def culture_tile(session: Session, ctx: TenantContext) -> CultureTile:
    """Latest Westrum and eNPS for the organisation, with their trend across rounds.

    One query finds the latest survey per instrument; the figures then come from the surveys
    service (its anonymity rules decide what is shown). The dashboard reads organisation
    totals only, with the coach role those results need: the same figures the surveys page
    shows a coach, never a team's.
    """
    instruments = [key for key, _ in CULTURE_INSTRUMENTS]
    newest = session.exec(
        select(Survey.instrument, func.max(Survey.id))
        .where(col(Survey.instrument).in_(instruments))
        .group_by(col(Survey.instrument))
    ).all()
    by_instrument = {instrument: survey_id for instrument, survey_id in newest}
    reader = replace(ctx, role=Role.COACH) if not ctx.has(Role.COACH) else ctx
    figures = []
    for key, label in CULTURE_INSTRUMENTS:
        survey_id = by_instrument.get(key)
        if survey_id is None:
            continue
        points = surveys.survey_trend(session=session, ctx=reader, survey_id=survey_id, teams=False)
        if not points:
            continue
        shown = [p for p in points if p.org is not None]
        latest = shown[-1] if shown else points[-1]
        previous = shown[-2].org if len(shown) > 1 else None
        running = points[-1] is not latest
        figures.append(
            CultureFigure(
                instrument=key,
                label=label,
                survey_title=latest.title + (" (a newer round is running)" if running else ""),
                value=latest.org,
                previous=previous,
                change=round(latest.org - previous, 2)
                if latest.org is not None and previous is not None
                else None,
                hidden_reason=latest.org_hidden_reason if latest.org is None else "",
                trend=[{"round": f"R{p.round_number}", "value": p.org or 0.0} for p in shown],
            )
        )
    return CultureTile(figures=figures)


def pmo_feedback_tile(session: Session, ctx: TenantContext) -> PmoFeedbackTile:
    """Feedback on the PMO, round by round: one query when no round was ever launched; else
    the surveys service's figures for the organisation (its anonymity rules decide), read
    with the coach role as the culture tile reads them."""
    reader = replace(ctx, role=Role.COACH) if not ctx.has(Role.COACH) else ctx
    trend = pmo_feedback.pmo_feedback_trend(session=session, ctx=reader)
    if not trend.rounds:
        return PmoFeedbackTile()
    keys = [q.key for q in trend.questions]
    shown = [r for r in trend.rounds if r.headline is not None]
    latest = shown[-1] if shown else trend.rounds[-1]
    previous = shown[-2].headline if len(shown) > 1 else None

    def text(value: float | None) -> str:
        return "" if value is None else f"{value:.2f}"

    return PmoFeedbackTile(
        survey_title=f"{pmo_feedback.PMO_TITLE}, {latest.round_label.lower()}"
        + (" (a newer round is running)" if trend.rounds[-1] is not latest else ""),
        value=latest.headline,
        change=round(latest.headline - previous, 2)
        if latest.headline is not None and previous is not None
        else None,
        hidden_reason=latest.hidden_reason if latest.headline is None else "",
        questions=[(q.key, q.label) for q in trend.questions],
        chart=[
            {"round": r.round_label, "score": r.headline or 0.0}
            | {k: r.questions.get(k) or 0.0 for k in keys}
            for r in shown
        ],
        table=[
            {
                "round": r.round_label,
                "responses": "" if r.running else str(r.responses),
                "score": text(r.headline) or ("running" if r.running else "hidden"),
                "note": r.hidden_reason,
            }
            | {k: text(r.questions.get(k)) for k in keys}
            for r in trend.rounds
        ],
    )


def response_rates_tile(session: Session, ctx: TenantContext) -> ResponseRatesTile:
    """Participation (who answered, never what) of the latest surveys."""
    answered = func.sum(case((col(SurveyInvitation.answered), 1), else_=0))
    rows = session.exec(
        select(Survey.title, Survey.round_number, func.count(col(SurveyInvitation.id)), answered)
        .join(SurveyInvitation, col(SurveyInvitation.survey_id) == Survey.id)
        .group_by(col(Survey.id), col(Survey.title), col(Survey.round_number))
        .order_by(col(Survey.id).desc())
        .limit(RATE_SURVEYS)
    ).all()
    return ResponseRatesTile(
        rows=[
            ResponseRateRow(
                survey=f"{title} (round {number})" if number > 1 else title,
                invited=int(invited),
                answered=int(done or 0),
                rate=_pct(int(done or 0), int(invited)),
            )
            for title, number, invited, done in rows
        ]
    )


# ---------------------------------------------------------------- coaching


def plans_tile(session: Session, ctx: TenantContext) -> PlansTile:
    """Plans by status; an active plan with an action past due is overdue, else on track."""
    today = utcnow().date()
    late = (
        (col(CoachingAction.status) != ACTION_DONE)
        & col(CoachingAction.due_date).is_not(None)
        & (col(CoachingAction.due_date) < today)
    )
    rows = session.exec(
        select(
            CoachingPlan.status,
            func.count(distinct(col(CoachingPlan.id))),
            func.count(distinct(case((late, col(CoachingPlan.id)), else_=None))),
        )
        .outerjoin(CoachingAction, col(CoachingAction.plan_id) == CoachingPlan.id)
        .group_by(col(CoachingPlan.status))
    ).all()
    by_status = {status: (int(n), int(o)) for status, n, o in rows}
    active, overdue = by_status.get("active", (0, 0))
    return PlansTile(
        active=active,
        on_track=active - overdue,
        overdue=overdue,
        completed=by_status.get("completed", (0, 0))[0],
    )


def training_tile(session: Session, ctx: TenantContext) -> TrainingTile:
    """Team members who completed at least one course."""
    people, trained = session.exec(
        select(
            func.count(distinct(col(TeamMember.user_id))),
            func.count(distinct(col(Enrolment.user_id))),
        )
        .select_from(TeamMember)
        .outerjoin(
            Enrolment,
            (col(Enrolment.user_id) == TeamMember.user_id)
            & col(Enrolment.completed_on).is_not(None),
        )
    ).one()
    return TrainingTile(people=int(people), trained=int(trained), percent=_pct(trained, people))


TILES: dict[str, Callable[[Session, TenantContext], Any]] = {
    "funding": funding_tile,
    "statuses": status_tile,
    "risks": risks_tile,
    "maturity": maturity_tile,
    "teams_assessed": teams_assessed_tile,
    "culture": culture_tile,
    "pmo_feedback": pmo_feedback_tile,
    "response_rates": response_rates_tile,
    "plans": plans_tile,
    "training": training_tile,
    "delivery": delivery_tile,
}

SOURCES = {
    "funding": "/portfolio",
    "statuses": "/portfolio",
    "risks": "/portfolio",
    "maturity": "/assessments",
    "teams_assessed": "/assessments",
    "culture": "/surveys",
    "pmo_feedback": "/improvement",
    "response_rates": "/surveys",
    "plans": "/coaching",
    "training": "/coaching",
    "delivery": "/portfolio",
}
