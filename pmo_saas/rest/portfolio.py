"""Portfolio endpoints: portfolios, criteria, initiatives (read and write), ranking, risks and
their heat map, scoring rounds and their summary, funding, scenarios and published plans."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlmodel import Session
from starlette.datastructures import QueryParams

from pmo_saas.kernel.context import TenantContext
from pmo_saas.kernel.errors import ValidationFailed
from pmo_saas.portfolio import fields as portfolio_fields
from pmo_saas.portfolio.schemas import (
    CriterionRow,
    FundingPlan,
    HeatCell,
    InitiativeRow,
    PortfolioRow,
    PublishedPlanRow,
    Ranking,
    RiskRow,
    RoundRow,
    RoundSummary,
    ScenarioComparison,
    ScenarioRow,
)
from pmo_saas.portfolio.services import funding as funding_services
from pmo_saas.portfolio.services import initiatives as initiative_services
from pmo_saas.portfolio.services import portfolios as portfolio_services
from pmo_saas.portfolio.services import ranking as ranking_services
from pmo_saas.portfolio.services import risks as risk_services
from pmo_saas.portfolio.services import rounds as round_services
from pmo_saas.rest.core import ARCHIVED, MAX_ID, Endpoint, Problem, flag, page, query_param

_STATUS = query_param("status", {"type": "string", "enum": list(portfolio_fields.STATUSES)})
_BUDGET = query_param(
    "budget",
    {"type": "integer", "minimum": 0, "maximum": 10**15},
    "Another budget to fund against (the portfolio's own budget otherwise).",
)

INITIATIVE_PROPS: dict[str, Any] = {
    "title": {"type": "string", "minLength": 1, "maxLength": 200},
    "description": {"type": "string", "maxLength": 10000},
    "owner": {"type": "string", "maxLength": 120},
    "value_stream": {"type": "string", "maxLength": 120},
    "status": {"type": "string", "enum": list(portfolio_fields.STATUSES)},
    "cost": {"type": ["integer", "null"], "minimum": 0, "maximum": 10**15},
    "job_size": {"type": ["number", "null"]},
    "start_date": {"type": ["string", "null"], "format": "date"},
    "end_date": {"type": ["string", "null"], "format": "date"},
    "moscow": {"type": ["string", "null"], "enum": ["must", "should", "could", "wont", None]},
    "tags": {"type": "string", "maxLength": 500},
    "depends_on": {"type": "array", "items": {"type": "integer", "minimum": 1}},
}
REQUEST_SCHEMAS: dict[str, Any] = {
    "InitiativeCreate": {
        "type": "object",
        "properties": INITIATIVE_PROPS,
        "required": ["title"],
        "additionalProperties": False,
    },
    "InitiativeUpdate": {
        "type": "object",
        "properties": INITIATIVE_PROPS,
        "additionalProperties": False,
    },
    "ScoresInput": {
        "type": "object",
        "properties": {
            "scores": {
                "type": "object",
                "description": "Input key (e.g. business_value, job_size, c3) to a value, "
                "or null to clear it back to not scored.",
                "additionalProperties": {"type": ["number", "null"]},
            }
        },
        "required": ["scores"],
    },
}


def _json_type(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, int | float):
        return "a number"
    if isinstance(value, list):
        return "an array"
    if isinstance(value, dict):
        return "an object"
    return "a string"


def _check_text_fields(body: Mapping[str, Any]) -> None:
    """Text fields must be JSON strings (or null where the schema allows): 123 is no title."""
    for name, prop in INITIATIVE_PROPS.items():
        kinds = prop["type"] if isinstance(prop["type"], list) else [prop["type"]]
        if "string" not in kinds or name not in body:
            continue
        value = body[name]
        if isinstance(value, str) or (value is None and "null" in kinds):
            continue
        allowed = "a string or null" if "null" in kinds else "a string"
        raise Problem(400, "bad_request", f"{name} must be {allowed}, not {_json_type(value)}.")


def _initiative_data(body: Mapping[str, Any]) -> dict[str, Any]:
    _check_text_fields(body)
    deps = body.get("depends_on")
    valid = isinstance(deps, list) and all(
        isinstance(d, int) and not isinstance(d, bool) and 0 < d <= MAX_ID for d in deps
    )
    if deps is not None and not valid:
        raise Problem(
            422, "validation_failed", "depends_on is a list of initiative ids (integers)."
        )
    return dict(body)


# ---------------------------------------------------------------- portfolios and initiatives


def portfolios(*, session: Session, ctx: TenantContext, query: QueryParams) -> Any:
    rows = portfolio_services.list_portfolios(
        session=session, ctx=ctx, include_archived=flag(query, "include_archived")
    )
    return page(rows, query)


def portfolio(*, session: Session, ctx: TenantContext, portfolio_id: int) -> Any:
    return portfolio_services.get_portfolio(session=session, ctx=ctx, portfolio_id=portfolio_id)


def criteria(*, session: Session, ctx: TenantContext, portfolio_id: int, query: QueryParams) -> Any:
    rows = ranking_services.list_criteria(session=session, ctx=ctx, portfolio_id=portfolio_id)
    return page(rows, query)


def initiatives(
    *, session: Session, ctx: TenantContext, portfolio_id: int, query: QueryParams
) -> Any:
    status = query.get("status") or None
    if status is not None and status not in portfolio_fields.STATUSES:
        raise ValidationFailed("Unknown status.", field="status")
    rows = initiative_services.list_initiatives(
        session=session,
        ctx=ctx,
        portfolio_id=portfolio_id,
        include_archived=flag(query, "include_archived"),
        status=status,
    )
    return page(rows, query)


def create_initiative(
    *, session: Session, ctx: TenantContext, portfolio_id: int, body: dict[str, Any]
) -> Any:
    new_id = initiative_services.create_initiative(
        session=session, ctx=ctx, portfolio_id=portfolio_id, data=_initiative_data(body)
    )
    return initiative_services.get_initiative(session=session, ctx=ctx, initiative_id=new_id)


def initiative(*, session: Session, ctx: TenantContext, initiative_id: int) -> Any:
    return initiative_services.get_initiative(session=session, ctx=ctx, initiative_id=initiative_id)


def update_initiative(
    *, session: Session, ctx: TenantContext, initiative_id: int, body: dict[str, Any]
) -> Any:
    initiative_services.update_initiative(
        session=session, ctx=ctx, initiative_id=initiative_id, data=_initiative_data(body)
    )
    return initiative_services.get_initiative(session=session, ctx=ctx, initiative_id=initiative_id)


def set_scores(
    *, session: Session, ctx: TenantContext, initiative_id: int, body: dict[str, Any]
) -> Any:
    scores = body.get("scores")
    if not isinstance(scores, dict):
        raise ValidationFailed('Send {"scores": {"<input>": value, ...}}.', field="scores")
    initiative_services.set_scores(
        session=session, ctx=ctx, initiative_id=initiative_id, scores=scores
    )
    return initiative_services.get_initiative(session=session, ctx=ctx, initiative_id=initiative_id)


def ranking(*, session: Session, ctx: TenantContext, portfolio_id: int) -> Any:
    return ranking_services.rank_portfolio(session=session, ctx=ctx, portfolio_id=portfolio_id)


def risks(*, session: Session, ctx: TenantContext, portfolio_id: int, query: QueryParams) -> Any:
    rows = risk_services.list_risks(session=session, ctx=ctx, portfolio_id=portfolio_id)
    return page(rows, query)


def risk_heat_map(
    *, session: Session, ctx: TenantContext, portfolio_id: int, query: QueryParams
) -> Any:
    rows = risk_services.risk_heat_map(session=session, ctx=ctx, portfolio_id=portfolio_id)
    return page(rows, query)


# ---------------------------------------------------------------- scoring rounds and funding


def scoring_rounds(
    *, session: Session, ctx: TenantContext, portfolio_id: int, query: QueryParams
) -> Any:
    rows = round_services.list_rounds(session=session, ctx=ctx, portfolio_id=portfolio_id)
    return page(rows, query)


def scoring_round_summary(*, session: Session, ctx: TenantContext, scoring_round_id: int) -> Any:
    return round_services.round_summary(session=session, ctx=ctx, round_id=scoring_round_id)


def funding_plan(
    *, session: Session, ctx: TenantContext, portfolio_id: int, query: QueryParams
) -> Any:
    return funding_services.fund_portfolio(
        session=session, ctx=ctx, portfolio_id=portfolio_id, budget=query.get("budget") or None
    )


def scenarios(
    *, session: Session, ctx: TenantContext, portfolio_id: int, query: QueryParams
) -> Any:
    rows = funding_services.list_scenarios(session=session, ctx=ctx, portfolio_id=portfolio_id)
    return page(rows, query)


def scenario_plan(*, session: Session, ctx: TenantContext, scenario_id: int) -> Any:
    return funding_services.compare_scenarios(session=session, ctx=ctx, scenario_ids=[scenario_id])


def published_plans(
    *, session: Session, ctx: TenantContext, portfolio_id: int, query: QueryParams
) -> Any:
    rows = funding_services.list_published_plans(
        session=session, ctx=ctx, portfolio_id=portfolio_id
    )
    return page(rows, query)


_P = "/portfolios/{portfolio_id}"

ENDPOINTS: tuple[Endpoint, ...] = (
    Endpoint("GET", "/portfolios", "List portfolios", portfolios, list[PortfolioRow],
             query=(ARCHIVED,), paginated=True),
    Endpoint("GET", _P, "A portfolio", portfolio, PortfolioRow),
    Endpoint("GET", f"{_P}/criteria", "Custom scoring criteria", criteria, list[CriterionRow],
             paginated=True),
    Endpoint("GET", f"{_P}/initiatives", "Initiatives with every scoring input", initiatives,
             list[InitiativeRow], query=(ARCHIVED, _STATUS), paginated=True),
    Endpoint("POST", f"{_P}/initiatives", "Create an initiative", create_initiative,
             InitiativeRow, write=True, body="InitiativeCreate", status=201),
    Endpoint("GET", f"{_P}/ranking", "Scores and ranking, explained", ranking, Ranking),
    Endpoint("GET", f"{_P}/risks", "The risk register", risks, list[RiskRow], paginated=True),
    Endpoint("GET", f"{_P}/risks/heatmap", "Open risks per probability and impact",
             risk_heat_map, list[HeatCell], paginated=True),
    Endpoint("GET", f"{_P}/scoring-rounds", "Scoring rounds", scoring_rounds, list[RoundRow],
             paginated=True),
    Endpoint("GET", "/scoring-rounds/{scoring_round_id}/summary",
             "A scoring round's median, spread and most disputed cells (an open round: the "
             "facilitator only)", scoring_round_summary, RoundSummary),
    Endpoint("GET", f"{_P}/funding", "Fund the best set within the budget (writes nothing)",
             funding_plan, FundingPlan, query=(_BUDGET,)),
    Endpoint("GET", f"{_P}/scenarios", "Funding scenarios", scenarios, list[ScenarioRow],
             paginated=True),
    Endpoint("GET", "/scenarios/{scenario_id}/funding", "A scenario's funding result",
             scenario_plan, ScenarioComparison),
    Endpoint("GET", f"{_P}/published-plans", "Published plans, newest (the current) first",
             published_plans, list[PublishedPlanRow], paginated=True),
    Endpoint("GET", "/initiatives/{initiative_id}", "An initiative", initiative, InitiativeRow),
    Endpoint("PATCH", "/initiatives/{initiative_id}", "Update an initiative", update_initiative,
             InitiativeRow, write=True, body="InitiativeUpdate"),
    Endpoint("PUT", "/initiatives/{initiative_id}/scores", "Set scoring inputs", set_scores,
             InitiativeRow, write=True, body="ScoresInput"),
)  # fmt: skip
