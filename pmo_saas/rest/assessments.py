"""Assessment endpoints: rounds, the heat map, and one team's results with spread and change."""

from __future__ import annotations

from typing import Any

from sqlmodel import Session
from starlette.datastructures import QueryParams

from pmo_saas.assessments.schemas import HeatMap, TeamResult
from pmo_saas.assessments.schemas import RoundSummary as AssessmentRound
from pmo_saas.assessments.services import results as result_services
from pmo_saas.assessments.services import rounds as round_services
from pmo_saas.kernel.context import TenantContext
from pmo_saas.rest.core import Endpoint, page


def rounds(*, session: Session, ctx: TenantContext, query: QueryParams) -> Any:
    return page(round_services.list_rounds(session=session, ctx=ctx), query)


def heatmap(*, session: Session, ctx: TenantContext, round_id: int) -> Any:
    return result_services.heat_map(session=session, ctx=ctx, round_id=round_id)


def team_result(*, session: Session, ctx: TenantContext, round_id: int, team_id: int) -> Any:
    return result_services.team_result(session=session, ctx=ctx, round_id=round_id, team_id=team_id)


def team_results(*, session: Session, ctx: TenantContext, round_id: int, query: QueryParams) -> Any:
    """Every team of the round, as `team_result` gives each (one page of teams at a time)."""
    heat = result_services.heat_map(session=session, ctx=ctx, round_id=round_id)
    return [
        result_services.team_result(session=session, ctx=ctx, round_id=round_id, team_id=team_id)
        for team_id, _name in page(heat.teams, query)
    ]


_R = "/assessments/rounds/{round_id}"

ENDPOINTS: tuple[Endpoint, ...] = (
    Endpoint("GET", "/assessments/rounds", "Assessment rounds", rounds, list[AssessmentRound],
             paginated=True),
    Endpoint("GET", f"{_R}/heatmap", "Mean per team and dimension (aggregates only)", heatmap,
             HeatMap),
    Endpoint("GET", f"{_R}/teams", "Every team's results: mean, median, spread (three answers "
             "or more) and change since the team's previous round", team_results,
             list[TeamResult], paginated=True),
    Endpoint("GET", f"{_R}/teams/{{team_id}}", "One team's results with spread and change",
             team_result, TeamResult),
)  # fmt: skip
