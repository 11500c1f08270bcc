"""Coaching endpoints: plans, a plan's goals with their measured change, training coverage."""

from __future__ import annotations

from typing import Any

from sqlmodel import Session
from starlette.datastructures import QueryParams

from pmo_saas.coaching.schemas import GoalRow, PlanRow, TeamCoverage
from pmo_saas.coaching.services import plans as plan_services
from pmo_saas.coaching.services import training as training_services
from pmo_saas.kernel.context import TenantContext
from pmo_saas.rest.core import Endpoint, page


def plans(*, session: Session, ctx: TenantContext, query: QueryParams) -> Any:
    return page(plan_services.list_plans(session=session, ctx=ctx), query)


def plan_goals(*, session: Session, ctx: TenantContext, plan_id: int, query: QueryParams) -> Any:
    """Goals: baseline, target, and after the team's next round its score and the change."""
    return page(plan_services.get_plan(session=session, ctx=ctx, plan_id=plan_id).goals, query)


def training_coverage(*, session: Session, ctx: TenantContext, query: QueryParams) -> Any:
    return page(training_services.training_coverage(session=session, ctx=ctx), query)


ENDPOINTS: tuple[Endpoint, ...] = (
    Endpoint("GET", "/coaching/plans", "Coaching plans with progress", plans, list[PlanRow],
             paginated=True),
    Endpoint("GET", "/coaching/plans/{plan_id}/goals", "A plan's goals with their measured "
             "change (measured values are null for a role that cannot read team scores)",
             plan_goals, list[GoalRow], paginated=True),
    Endpoint("GET", "/coaching/training/coverage", "Per team: members trained, per course",
             training_coverage, list[TeamCoverage], paginated=True),
)  # fmt: skip
