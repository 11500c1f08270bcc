"""The workspace home: "what do I do now?" for the signed-in person, by role.

Plain Python on the caller's tenant session: every read below is scoped to ctx's organisation
by the session itself, and each section reads the person's own rows (their invitations,
their assignments, their actions) or, for coaches and admins, the organisation's. Home reads
no table itself: it calls each domain's services (their `glance` modules hold what only the
home asks for), and no domain imports home.
"""

from __future__ import annotations

from sqlmodel import Session

from pmo_saas.assessments.services import glance as assessments
from pmo_saas.assessments.services.answering import my_assignments
from pmo_saas.coaching.models import PLAN_ACTIVE
from pmo_saas.coaching.services import glance as coaching
from pmo_saas.coaching.services.actions import my_actions
from pmo_saas.coaching.services.plans import list_plans
from pmo_saas.home.schemas import ChecklistStep, Headline, HomeItem, HomeSection, WorkspaceHome
from pmo_saas.identity import glance as identity
from pmo_saas.kernel.context import TenantContext
from pmo_saas.kernel.roles import Role
from pmo_saas.portfolio.services import glance as portfolio
from pmo_saas.surveys.services import glance as surveys

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
    items = [
        HomeItem(
            title=s.title,
            detail=f"Closes {s.closes_at:%d %b}: open the personal link we mailed you.",
            href="/surveys",
        )
        for s in surveys.surveys_waiting(session=session, ctx=ctx)
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
    items = [
        HomeItem(
            title=r.name,
            detail=f"Portfolio {r.portfolio_name}",
            href=f"/portfolio/p/{r.portfolio_id}/rounds/{r.round_id}",
        )
        for r in portfolio.rounds_to_score(session=session, ctx=ctx)
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
    items = [
        HomeItem(
            title=i.title,
            detail=f"In review in {i.portfolio_name}: fund it, move it on or stop it",
            href=f"/portfolio/p/{i.portfolio_id}",
        )
        for i in portfolio.initiatives_in_review(session=session, ctx=ctx)
    ]
    return _section(
        ctx,
        key="decisions",
        title="Decisions waiting",
        purpose="Initiatives under review, waiting for someone to decide, appear here.",
        items=items,
        action=("Open the portfolios", "/portfolio"),
    )


def _headlines(session: Session, ctx: TenantContext) -> list[Headline]:
    return [
        Headline(
            label="Initiatives in progress",
            value=portfolio.count_initiatives_implementing(session=session, ctx=ctx),
            href="/portfolio",
        ),
        Headline(
            label="Open risks",
            value=portfolio.count_open_risks(session=session, ctx=ctx),
            href="/portfolio",
        ),
        Headline(
            label="Open assessment rounds",
            value=assessments.count_rounds(session=session, ctx=ctx, open_only=True),
            href="/assessments",
        ),
        Headline(
            label="Active coaching plans",
            value=coaching.count_active_plans(session=session, ctx=ctx),
            href="/coaching",
        ),
        Headline(
            label="Members", value=identity.count_members(session=session, ctx=ctx), href="/members"
        ),
    ]


def _checklist(session: Session, ctx: TenantContext) -> list[ChecklistStep]:
    steps = [
        ChecklistStep(
            label="Invite people",
            done=identity.count_invitations(session=session, ctx=ctx) > 0
            or identity.count_members(session=session, ctx=ctx) > 1,
            href="/members",
        ),
        ChecklistStep(
            label="Create teams",
            done=identity.count_teams(session=session, ctx=ctx) > 0,
            href="/teams",
        ),
        ChecklistStep(
            label="Run a first assessment",
            done=assessments.count_rounds(session=session, ctx=ctx) > 0,
            href="/assessments",
        ),
        ChecklistStep(
            label="Launch a first survey",
            done=surveys.count_surveys(session=session, ctx=ctx) > 0,
            href="/surveys",
        ),
        ChecklistStep(
            label="Create a first portfolio",
            done=portfolio.count_portfolios(session=session, ctx=ctx) > 0,
            href="/portfolio",
        ),
    ]
    return [] if all(s.done for s in steps) else steps


def _changes(session: Session, ctx: TenantContext) -> tuple[str, list[HomeItem]]:
    since = identity.previous_sign_in(session=session, ctx=ctx)
    everything = ctx.has(Role.ADMIN)
    events = identity.recent_changes(
        session=session,
        ctx=ctx,
        since=since,
        actions=None if everything else SHARED_CHANGES,
        limit=LIMIT,
    )
    items = [
        HomeItem(
            title=f"{e.actor_email or 'Someone'} {SHARED_CHANGES.get(e.action, e.action)}"
            + (f" {e.target}" if e.target else ""),
            detail=f"{e.created_at:%d %b %H:%M} UTC",
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
        headlines=_headlines(session, ctx) if executive else [],
        checklist=_checklist(session, ctx) if ctx.has(Role.ADMIN) else [],
        changes_title=changes_title,
        changes=changes,
    )
