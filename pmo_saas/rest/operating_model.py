"""Operating-model endpoints (issue 19): the practice playbook and its adoption by teams, and
capacity: each team's capacity per quarter, allocations of funded initiatives, and demand vs
capacity per team and per value stream (over-allocation flagged); skills per team and value
stream against the initiatives' needs; feedback on the PMO (its trend, under the surveys'
anonymity rules) and the PMO's improvement backlog. Reads only; every list is paged like the
others."""

from __future__ import annotations

from typing import Any

from sqlmodel import Session
from starlette.datastructures import QueryParams

from pmo_saas.capacity.schemas import (
    AllocationRow,
    CapacityRow,
    InitiativeSkillRow,
    LoadRow,
    PersonSkillsRow,
    SkillGapRow,
)
from pmo_saas.capacity.services import allocations as allocation_services
from pmo_saas.capacity.services import capacity as capacity_services
from pmo_saas.capacity.services import skills as skill_services
from pmo_saas.capacity.services import view as view_services
from pmo_saas.improvement import services as improvement_services
from pmo_saas.improvement.schemas import ImprovementRow
from pmo_saas.kernel.context import TenantContext
from pmo_saas.practices.schemas import AdoptionCellRow, PracticeDetail, PracticeRow
from pmo_saas.practices.services import adoption as adoption_services
from pmo_saas.practices.services import playbook as playbook_services
from pmo_saas.rest.core import Endpoint, page
from pmo_saas.surveys.services import pmo_feedback


def practices(*, session: Session, ctx: TenantContext, query: QueryParams) -> Any:
    return page(playbook_services.list_practices(session=session, ctx=ctx), query)


def practice(*, session: Session, ctx: TenantContext, practice_id: int) -> Any:
    return playbook_services.practice_detail(session=session, ctx=ctx, practice_id=practice_id)


def practice_adoption(*, session: Session, ctx: TenantContext, query: QueryParams) -> Any:
    return page(adoption_services.adoption_cells(session=session, ctx=ctx), query)


def capacity(*, session: Session, ctx: TenantContext, query: QueryParams) -> Any:
    return page(capacity_services.list_capacity(session=session, ctx=ctx), query)


def allocations(*, session: Session, ctx: TenantContext, query: QueryParams) -> Any:
    return page(allocation_services.list_allocations(session=session, ctx=ctx), query)


def team_load(*, session: Session, ctx: TenantContext, query: QueryParams) -> Any:
    return page(view_services.capacity_view(session=session, ctx=ctx).teams, query)


def stream_load(*, session: Session, ctx: TenantContext, query: QueryParams) -> Any:
    return page(view_services.capacity_view(session=session, ctx=ctx).streams, query)


def team_skills(*, session: Session, ctx: TenantContext, query: QueryParams) -> Any:
    return page(skill_services.skills_view(session=session, ctx=ctx).teams, query)


def stream_skills(*, session: Session, ctx: TenantContext, query: QueryParams) -> Any:
    return page(skill_services.skills_view(session=session, ctx=ctx).streams, query)


def people_skills(*, session: Session, ctx: TenantContext, query: QueryParams) -> Any:
    return page(skill_services.skills_view(session=session, ctx=ctx).people, query)


def initiative_skills(*, session: Session, ctx: TenantContext, query: QueryParams) -> Any:
    return page(skill_services.skills_view(session=session, ctx=ctx).needs, query)


def pmo_feedback_trend(*, session: Session, ctx: TenantContext) -> Any:
    return pmo_feedback.pmo_feedback_trend(session=session, ctx=ctx)


def improvements(*, session: Session, ctx: TenantContext, query: QueryParams) -> Any:
    return page(improvement_services.list_items(session=session, ctx=ctx), query)


ENDPOINTS: tuple[Endpoint, ...] = (
    Endpoint("GET", "/practices", "The practice playbook: purpose, owner, version, the "
             "assessment dimensions each helps, how many teams adopted it", practices,
             list[PracticeRow], paginated=True),
    Endpoint("GET", "/practices/{practice_id}", "One practice: its how-to, every version and "
             "each team's adoption", practice, PracticeDetail),
    Endpoint("GET", "/practice-adoption", "The adoption matrix, one cell per team and "
             "practice (a team without a record has not started)", practice_adoption,
             list[AdoptionCellRow], paginated=True),
    Endpoint("GET", "/capacity", "Each team's capacity per quarter (people x days per person "
             "= person-days)", capacity, list[CapacityRow], paginated=True),
    Endpoint("GET", "/capacity/allocations", "Person-days of funded initiatives given to "
             "teams per quarter", allocations, list[AllocationRow], paginated=True),
    Endpoint("GET", "/capacity/teams", "Demand vs capacity per team and quarter, "
             "over-allocation flagged", team_load, list[LoadRow], paginated=True),
    Endpoint("GET", "/capacity/value-streams", "Demand vs capacity per value stream and "
             "quarter, over-allocation flagged", stream_load, list[LoadRow], paginated=True),
    Endpoint("GET", "/skills/teams", "Per team and quarter, people with each skill against "
             "the people with it the allocated initiatives need", team_skills,
             list[SkillGapRow], paginated=True),
    Endpoint("GET", "/skills/value-streams", "The same per value stream and quarter",
             stream_skills, list[SkillGapRow], paginated=True),
    Endpoint("GET", "/skills/people", "Each person's skills (optional tags) and teams",
             people_skills, list[PersonSkillsRow], paginated=True),
    Endpoint("GET", "/skills/initiatives", "The skills funded initiatives need, and how many "
             "people with each", initiative_skills, list[InitiativeSkillRow], paginated=True),
    Endpoint("GET", "/pmo-feedback", "Feedback on the PMO per round: the organisation's PMO "
             "service score and each statement's mean, hidden below the anonymity threshold",
             pmo_feedback_trend, pmo_feedback.PmoFeedbackTrend),
    Endpoint("GET", "/improvements", "The PMO's improvement backlog: items from feedback "
             "rounds and PMO retrospectives, with status and owner", improvements,
             list[ImprovementRow], paginated=True),
)  # fmt: skip
