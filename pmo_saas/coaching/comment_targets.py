"""Coaching plans and their goals as objects of conversation (collaboration/targets.py):
visible exactly as the plan is (coaching/services/common.py: coaches, admins and viewers read
every plan; a member the plans of their teams, their own and those they own an action in)."""

from __future__ import annotations

from sqlmodel import Session

from pmo_saas.coaching.models import CoachingGoal, CoachingPlan
from pmo_saas.coaching.services.common import _readable_plan_ids
from pmo_saas.collaboration.targets import register_target
from pmo_saas.kernel.context import TenantContext

_INT_MAX = 2**31 - 1


def _can_see_plan(session: Session, ctx: TenantContext, plan_id: int) -> bool:
    if not 0 < plan_id <= _INT_MAX or session.get(CoachingPlan, plan_id) is None:
        return False
    readable = _readable_plan_ids(session, ctx)
    return readable is None or plan_id in readable


def _can_see_goal(session: Session, ctx: TenantContext, goal_id: int) -> bool:
    goal = session.get(CoachingGoal, goal_id) if 0 < goal_id <= _INT_MAX else None
    return goal is not None and _can_see_plan(session, ctx, goal.plan_id)


def _plan(session: Session, plan_id: int) -> tuple[str, str]:
    plan = session.get(CoachingPlan, plan_id)
    assert plan is not None
    return plan.title, f"/coaching/plans/{plan_id}"


def _goal(session: Session, goal_id: int) -> tuple[str, str]:
    goal = session.get(CoachingGoal, goal_id)
    assert goal is not None
    return goal.title, f"/coaching/plans/{goal.plan_id}"


register_target("coaching_plan", label="coaching plan", can_see=_can_see_plan, describe=_plan)
register_target("coaching_goal", label="coaching goal", can_see=_can_see_goal, describe=_goal)
