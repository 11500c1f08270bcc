"""The workspace home: "what do I do now?" for the signed-in person, by role.

Plain Python on the caller's tenant session: every read below is scoped to ctx's organisation
by the session itself, and each section reads the person's own rows (their invitations,
their assignments, their actions) or, for coaches and admins, the organisation's.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlmodel import Session, col, func, select

from pmo_saas.assessments.models import AssessmentRound
from pmo_saas.assessments.services.answering import my_assignments
from pmo_saas.coaching.models import PLAN_ACTIVE, CoachingPlan
from pmo_saas.coaching.services.actions import my_actions
from pmo_saas.coaching.services.plans import list_plans
from pmo_saas.home.schemas import ChecklistStep, Headline, HomeItem, HomeSection, WorkspaceHome
from pmo_saas.identity.models import AuditEvent, Invitation, Membership, Team, UserSession
from pmo_saas.kernel.clock import as_utc, utcnow
from pmo_saas.kernel.context import TenantContext
from pmo_saas.kernel.roles import Role
from pmo_saas.portfolio.models import Initiative, Portfolio, Risk, RoundScorer, ScoringRound
from pmo_saas.surveys.models import Survey, SurveyInvitation

LIMIT = 8
# Audit actions every member may read on the home (the full trail is the admins' audit log).
SHARED_CHANGES = {
    "team.created": "created the team",
    "survey.launched": "launched the survey",
    "survey.closed": "closed the survey",
    "round.opened": "opened the scoring round",
    "round.settled": "settled the scoring round",
    "portfolio.created": "created the portfolio",
    "initiative.created": "added the initiative",
    "initiative.moved": "moved the initiative",
    "scenario.published": "published the plan",
    "coaching.plan_created": "started the coaching plan",
    "governance.decision_logged": "logged the decision",
    "governance.gate_reviewed": "reviewed the gate of",
    "invitation.accepted": "joined",
}


def _me(ctx: TenantContext) -> int:
    assert ctx.user_id is not None  # a workspace context always names who is signed in
    return ctx.user_id


def _count(session: Session, column: Any, *where: Any) -> int:
    return int(session.exec(select(func.count(column)).where(*where)).one())


def _section(
    ctx: TenantContext,
    *,
    key: str,
    title: str,
    purpose: str,
    items: list[HomeItem],
    action: tuple[str, str],
    action_needs: Role = Role.VIEWER,
) -> HomeSection:
    """The first LIMIT items; the first-step action only for a caller who may take it."""
    label, href = action if ctx.has(action_needs) else ("", "")
    return HomeSection(
        key=key,
        title=title,
        purpose=purpose,
        todo=items[:LIMIT],
        action_label=label,
        action_href=href,
    )


def _surveys(session: Session, ctx: TenantContext) -> HomeSection:
    now = utcnow()
    rows = session.exec(
        select(Survey)
        .join(SurveyInvitation, col(SurveyInvitation.survey_id) == Survey.id)
        .where(
            SurveyInvitation.user_id == _me(ctx),
            col(SurveyInvitation.answered).is_(False),
            Survey.status == "open",
        )
        .order_by(col(Survey.closes_at))
    ).all()
    items = [
        HomeItem(
            title=s.title,
            detail=f"Closes {as_utc(s.closes_at):%d %b}: open the personal link we mailed you.",
            href="/surveys",
        )
        for s in rows
        if as_utc(s.closes_at) > now
    ]
    return _section(
        ctx,
        key="surveys",
        title="Surveys waiting for you",
        purpose="Pulse and culture surveys you are asked to answer appear here; your answers "
        "stay anonymous.",
        items=items,
        action=("Launch a survey", "/surveys"),
        action_needs=Role.COACH,
    )


def _assessments(session: Session, ctx: TenantContext) -> HomeSection:
    items = [
        HomeItem(
            title=a.round_title,
            detail=f"For {a.team_name}: {a.answered} of {a.total} answered",
            href=f"/assessments/answer/{a.participant_id}",
        )
        for a in my_assignments(session=session, ctx=ctx)
        if a.round_open and not a.submitted
    ]
    return _section(
        ctx,
        key="assessments",
        title="Assessments waiting for you",
        purpose="Team self-assessments you take part in appear here, with how far you got.",
        items=items,
        action=("Start an assessment round", "/assessments"),
        action_needs=Role.COACH,
    )


def _scoring_rounds(session: Session, ctx: TenantContext) -> HomeSection:
    rows = session.exec(
        select(ScoringRound, Portfolio.name)
        .join(RoundScorer, col(RoundScorer.round_id) == ScoringRound.id)
        .join(Portfolio, col(Portfolio.id) == ScoringRound.portfolio_id)
        .where(RoundScorer.user_id == _me(ctx), ScoringRound.status == "open")
        .order_by(col(ScoringRound.created_at))
    ).all()
    items = [
        HomeItem(
            title=r.name,
            detail=f"Portfolio {name}",
            href=f"/portfolio/p/{r.portfolio_id}/rounds/{r.id}",
        )
        for r, name in rows
    ]
    return _section(
        ctx,
        key="rounds",
        title="Scoring rounds to score",
        purpose="When a portfolio asks you to score its initiatives, the round appears here.",
        items=items,
        action=("Open a portfolio", "/portfolio"),
        action_needs=Role.COACH,
    )


def _actions(session: Session, ctx: TenantContext) -> HomeSection:
    items = [
        HomeItem(
            title=a.title,
            detail=("Overdue: " if a.overdue else "Due ")
            + (a.due_date or "no date")
            + f" ({a.status})",
            href=f"/coaching/plans/{a.plan_id}",
            urgent=a.overdue,
        )
        for a in my_actions(session=session, ctx=ctx)
    ]
    return _section(
        ctx,
        key="actions",
        title="Your coaching actions",
        purpose="Actions agreed in coaching that you own appear here, overdue ones first.",
        items=items,
        action=("See all your actions", "/coaching/mine"),
    )


def _plans(session: Session, ctx: TenantContext) -> HomeSection:
    plans = list_plans(session=session, ctx=ctx, coach_user_id=_me(ctx), status=PLAN_ACTIVE)
    items = [
        HomeItem(
            title=p.title,
            detail=f"{p.team_name or p.person_name}: {p.actions_done} of {p.actions_total} "
            f"actions done" + (f", {p.overdue_actions} overdue" if p.overdue_actions else ""),
            href=f"/coaching/plans/{p.id}",
            urgent=p.overdue_actions > 0,
        )
        for p in plans
    ]
    return _section(
        ctx,
        key="plans",
        title="Plans you coach",
        purpose="Coaching plans where you are the coach appear here, with their progress.",
        items=items,
        action=("Create a coaching plan", "/coaching"),
    )


def _decisions(session: Session, ctx: TenantContext) -> HomeSection:
    rows = session.exec(
        select(Initiative, Portfolio.name)
        .join(Portfolio, col(Portfolio.id) == Initiative.portfolio_id)
        .where(
            Initiative.status == "reviewing",
            col(Initiative.archived_at).is_(None),
            col(Portfolio.archived_at).is_(None),
        )
        .order_by(col(Initiative.updated_at))
    ).all()
    items = [
        HomeItem(
            title=i.title,
            detail=f"In review in {name}: fund it, move it on or stop it",
            href=f"/portfolio/p/{i.portfolio_id}",
        )
        for i, name in rows
    ]
    return _section(
        ctx,
        key="decisions",
        title="Decisions waiting",
        purpose="Initiatives under review, waiting for someone to decide, appear here.",
        items=items,
        action=("Open the portfolios", "/portfolio"),
    )


def _headlines(session: Session) -> list[Headline]:
    live = col(Initiative.archived_at).is_(None)
    return [
        Headline(
            label="Initiatives in progress",
            value=_count(session, Initiative.id, live, Initiative.status == "implementing"),
            href="/portfolio",
        ),
        Headline(
            label="Open risks",
            value=_count(session, Risk.id, Risk.status == "open"),
            href="/portfolio",
        ),
        Headline(
            label="Open assessment rounds",
            value=_count(session, AssessmentRound.id, AssessmentRound.status == "open"),
            href="/assessments",
        ),
        Headline(
            label="Active coaching plans",
            value=_count(session, CoachingPlan.id, CoachingPlan.status == PLAN_ACTIVE),
            href="/coaching",
        ),
        Headline(label="Members", value=_count(session, Membership.id), href="/members"),
    ]


def _checklist(session: Session) -> list[ChecklistStep]:
    steps = [
        ChecklistStep(
            label="Invite people",
            done=_count(session, Invitation.id) > 0 or _count(session, Membership.id) > 1,
            href="/members",
        ),
        ChecklistStep(label="Create teams", done=_count(session, Team.id) > 0, href="/teams"),
        ChecklistStep(
            label="Run a first assessment",
            done=_count(session, AssessmentRound.id) > 0,
            href="/assessments",
        ),
        ChecklistStep(
            label="Launch a first survey", done=_count(session, Survey.id) > 0, href="/surveys"
        ),
        ChecklistStep(
            label="Create a first portfolio",
            done=_count(session, Portfolio.id) > 0,
            href="/portfolio",
        ),
    ]
    return [] if all(s.done for s in steps) else steps


def _last_visit(session: Session, ctx: TenantContext) -> datetime | None:
    """When the person signed in before this visit: their second newest session."""
    started = session.exec(
        select(UserSession.created_at)
        .where(UserSession.user_id == _me(ctx))
        .order_by(col(UserSession.created_at).desc())
        .offset(1)
        .limit(1)
    ).first()
    return as_utc(started) if started else None


def _changes(session: Session, ctx: TenantContext) -> tuple[str, list[HomeItem]]:
    since = _last_visit(session, ctx)
    query = select(AuditEvent).where(col(AuditEvent.actor_id) != _me(ctx))
    everything = ctx.has(Role.ADMIN)
    if not everything:
        query = query.where(col(AuditEvent.action).in_(SHARED_CHANGES))
    if since is not None:
        query = query.where(col(AuditEvent.created_at) > since)
    events = session.exec(
        query.order_by(col(AuditEvent.created_at).desc(), col(AuditEvent.id).desc()).limit(LIMIT)
    ).all()
    items = [
        HomeItem(
            title=f"{e.actor_email or 'Someone'} {SHARED_CHANGES.get(e.action, e.action)}"
            + (f" {e.target}" if e.target else ""),
            detail=f"{as_utc(e.created_at):%d %b %H:%M} UTC",
            href="/audit" if everything else "",
        )
        for e in events
    ]
    title = "Since your last visit" if since is not None else "Recent changes"
    return title, items


def workspace_home(*, session: Session, ctx: TenantContext) -> WorkspaceHome:
    """The home of ctx's person: their work first, then (coaches up) what they look after."""
    sections = [_surveys(session, ctx), _assessments(session, ctx)]
    if ctx.has(Role.MEMBER):
        sections += [_scoring_rounds(session, ctx), _actions(session, ctx)]
    if ctx.has(Role.COACH):
        sections += [_plans(session, ctx), _decisions(session, ctx)]
    executive = ctx.has(Role.ADMIN) or ctx.role == Role.VIEWER
    changes_title, changes = _changes(session, ctx)
    return WorkspaceHome(
        sections=sections,
        headlines=_headlines(session) if executive else [],
        checklist=_checklist(session) if ctx.has(Role.ADMIN) else [],
        changes_title=changes_title,
        changes=changes,
    )
