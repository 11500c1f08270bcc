"""What the workspace home reads of coaching at a glance."""

from __future__ import annotations

from sqlmodel import Session, col, func, select

from pmo_saas.coaching.models import PLAN_ACTIVE, CoachingPlan
from pmo_saas.kernel.context import TenantContext


def count_active_plans(*, session: Session, ctx: TenantContext) -> int:
    return int(
        session.exec(
            select(func.count(col(CoachingPlan.id))).where(CoachingPlan.status == PLAN_ACTIVE)
        ).one()
    )
