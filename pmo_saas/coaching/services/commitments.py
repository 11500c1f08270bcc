"""Actions a team commits to for itself (from its survey results: "you said, we did"), and
the plain status of actions by id for whoever shows them back.

A committed action goes into the team's active plan (the one changed most recently); a
team without one gets a new plan, titled by the caller, coached by the given coach (a
coach, admin or owner; none if there is none). Coaches commit for any team; members for
the teams they belong to today; viewers for none.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date

from sqlmodel import Session, col, select

from pmo_saas.coaching.models import PLAN_ACTIVE, SCOPE_TEAM, CoachingAction, CoachingPlan
from pmo_saas.coaching.schemas import ActionInput, ActionRow
from pmo_saas.coaching.services.actions import _build_action, _notify_assigned
from pmo_saas.coaching.services.common import (
    _action_rows,
    _fits_id,
    _get,
    _iso,
    _member_role,
    _my_team_ids,
    _touch,
)
from pmo_saas.identity import audit
from pmo_saas.identity.models import Team
from pmo_saas.identity.services import clean_name
from pmo_saas.kernel.context import TenantContext
from pmo_saas.kernel.errors import Forbidden
from pmo_saas.kernel.roles import Role, at_least

COMMIT_OWN_TEAMS = "You can commit actions for your own teams only."


def may_commit_for_team(session: Session, ctx: TenantContext, team_id: int) -> bool:
    if ctx.has(Role.COACH):
        return True
    return ctx.role != Role.VIEWER and team_id in _my_team_ids(session, ctx)


def _team_plan(
    session: Session, ctx: TenantContext, team: Team, plan_title: str, coach_user_id: int | None
) -> CoachingPlan:
    plan = session.exec(
        select(CoachingPlan)
        .where(CoachingPlan.team_id == team.id, CoachingPlan.status == PLAN_ACTIVE)
        .order_by(col(CoachingPlan.updated_at).desc(), col(CoachingPlan.id).desc())
    ).first()
    if plan is not None:
        return plan
    role = _member_role(session, coach_user_id)
    plan = CoachingPlan(
        title=clean_name(plan_title, what="plan title", max_length=160),
        team_id=team.id,
        coach_user_id=coach_user_id if role and at_least(role, Role.COACH) else None,
        created_by_id=ctx.user_id,
    )
    session.add(plan)
    session.flush()
    audit.record(session=session, ctx=ctx, action="coaching.plan_created", target=plan.title)
    return plan


def commit_team_action(
    *,
    session: Session,
    ctx: TenantContext,
    team_id: int,
    title: str,
    owner_user_id: int | None,
    due_date: date | str | None,
    plan_title: str,
    coach_user_id: int | None = None,
) -> ActionRow:
    """A team action in the team's active plan (a new plan when it has none)."""
    team = _get(session, Team, team_id, "That team")
    assert team.id is not None
    if not may_commit_for_team(session, ctx, team.id):
        raise Forbidden(COMMIT_OWN_TEAMS)
    plan = _team_plan(session, ctx, team, plan_title, coach_user_id)
    data = ActionInput(
        title=title,
        owner_user_id=owner_user_id,
        due_date=_iso(due_date) if isinstance(due_date, date) else due_date,
        scope=SCOPE_TEAM,
    )
    action, warnings = _build_action(session, plan=plan, data=data)
    session.add(action)
    _touch(plan, session)
    session.flush()
    _notify_assigned(session, ctx, action, plan)
    audit.record(
        session=session,
        ctx=ctx,
        action="coaching.action_committed",
        target=action.title,
        detail=f"plan “{plan.title}”",
    )
    row = _action_rows(session, ctx, [action])[0]
    row.warnings = warnings
    return row


def action_states(
    *, session: Session, ctx: TenantContext, action_ids: Iterable[int]
) -> dict[int, ActionRow]:
    """The actions that still exist among `action_ids`, as rows (a deleted one is absent).
    The caller decides who may see them: the ids come from its own records."""
    ids = [i for i in set(action_ids) if _fits_id(i)]
    if not ids:
        return {}
    actions = session.exec(select(CoachingAction).where(col(CoachingAction.id).in_(ids))).all()
    return {row.id: row for row in _action_rows(session, ctx, actions)}
