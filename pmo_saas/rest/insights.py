"""Survey, governance and dashboard endpoints (survey figures pass the anonymity rules)."""

from __future__ import annotations

from typing import Any

from sqlmodel import Session
from starlette.datastructures import QueryParams

from pmo_saas.dashboard import services as dashboard_services
from pmo_saas.dashboard.schemas import Dashboard
from pmo_saas.kernel.context import TenantContext
from pmo_saas.portfolio.schemas import Governance
from pmo_saas.portfolio.services import governance as governance_services
from pmo_saas.rest.core import Endpoint, page
from pmo_saas.surveys import services as survey_services
from pmo_saas.surveys.schemas import GroupResult, SurveyResults, SurveyRow, TrendPoint
from pmo_saas.surveys.wedid import services as we_did_services
from pmo_saas.surveys.wedid.schemas import WeDidBoard


def governance(*, session: Session, ctx: TenantContext, initiative_id: int) -> Any:
    return governance_services.get_governance(session=session, ctx=ctx, initiative_id=initiative_id)


def surveys(*, session: Session, ctx: TenantContext, query: QueryParams) -> Any:
    return page(survey_services.list_surveys(session=session, ctx=ctx), query)


def survey_results(*, session: Session, ctx: TenantContext, survey_id: int) -> Any:
    return survey_services.survey_results(session=session, ctx=ctx, survey_id=survey_id)


def survey_team_results(*, session: Session, ctx: TenantContext, survey_team_id: int) -> Any:
    return survey_services.survey_team_results(
        session=session, ctx=ctx, survey_team_id=survey_team_id
    )


def survey_trend(
    *, session: Session, ctx: TenantContext, survey_id: int, query: QueryParams
) -> Any:
    rows = survey_services.survey_trend(session=session, ctx=ctx, survey_id=survey_id)
    return page(rows, query)


def survey_we_did(*, session: Session, ctx: TenantContext, survey_id: int) -> Any:
    return we_did_services.we_did_board(session=session, ctx=ctx, survey_id=survey_id)


def dashboard(*, session: Session, ctx: TenantContext) -> Any:
    return dashboard_services.build_dashboard(session=session, ctx=ctx)


ENDPOINTS: tuple[Endpoint, ...] = (
    Endpoint("GET", "/initiatives/{initiative_id}/governance",
             "DSDM lifecycle, gate reviews and decisions", governance, Governance),
    Endpoint("GET", "/surveys", "Culture surveys with participation counts", surveys,
             list[SurveyRow], paginated=True),
    Endpoint("GET", "/surveys/{survey_id}/results",
             "Survey aggregates (groups below the anonymity threshold are hidden; each team's "
             "question means, its bars from /survey-teams/{survey_team_id}/results)",
             survey_results, SurveyResults),
    Endpoint("GET", "/survey-teams/{survey_team_id}/results",
             "One surveyed team's aggregates with each question's bars (hidden under the "
             "same anonymity rules)", survey_team_results, GroupResult),
    Endpoint("GET", "/surveys/{survey_id}/trend", "Headline figure across rounds", survey_trend,
             list[TrendPoint], paginated=True),
    Endpoint("GET", "/surveys/{survey_id}/we-did",
             "You said, we did: focus questions, committed actions and their status, and the "
             "previous round's commitments with the change (shown teams only)",
             survey_we_did, WeDidBoard),
    Endpoint("GET", "/dashboard", "The executive dashboard's figures", dashboard, Dashboard),
)  # fmt: skip
