"""Delivery plan endpoints: the portfolio's delivery against the plan (agile and traditional
in one table), one initiative's plan vs actual (RAG, spend, tranches, earned value), value
realised with the scorers' calibration; writes: RAG status (a reason is required), a month's
spend, a key result's measured result."""

from __future__ import annotations

from typing import Any

from sqlmodel import Session
from starlette.datastructures import QueryParams

from pmo_saas.db import get_in_org
from pmo_saas.delivery.plan_models import RAGS, KeyResult
from pmo_saas.delivery.plan_schemas import (
    PlanForecastView,
    PlanVsActual,
    PortfolioDeliveryRow,
    ValueView,
)
from pmo_saas.delivery.services import plan as plan_services
from pmo_saas.delivery.services import plan_forecast as plan_forecast_services
from pmo_saas.delivery.services import plan_views
from pmo_saas.delivery.services import value as value_services
from pmo_saas.kernel.context import TenantContext
from pmo_saas.kernel.errors import ValidationFailed
from pmo_saas.portfolio.models import Initiative
from pmo_saas.rest.core import Endpoint, page

_P = "/portfolios/{portfolio_id}"
_I = "/initiatives/{initiative_id}"

REQUEST_SCHEMAS: dict[str, Any] = {
    "RagInput": {
        "type": "object",
        "properties": {
            "rag": {"type": "string", "enum": list(RAGS)},
            "reason": {"type": "string", "minLength": 1, "maxLength": 2000},
        },
        "required": ["rag", "reason"],
    },
    "SpendInput": {
        "type": "object",
        "properties": {
            "month": {"type": "string", "description": "YYYY-MM"},
            "amount": {"type": "integer", "minimum": 0, "maximum": 10**15},
        },
        "required": ["month", "amount"],
    },
    "ResultInput": {
        "type": "object",
        "properties": {
            "value": {"type": "number"},
            "measured_on": {"type": "string", "format": "date"},
        },
        "required": ["value", "measured_on"],
    },
}


def _text(body: dict[str, Any], name: str) -> str:
    value = body.get(name)
    if not isinstance(value, str):
        raise ValidationFailed(f"{name} must be a string.", field=name)
    return value.replace("\x00", "")


def _number(body: dict[str, Any], name: str) -> float | int:
    value = body.get(name)
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ValidationFailed(f"{name} must be a number.", field=name)
    return value


def delivery_plan(
    *, session: Session, ctx: TenantContext, portfolio_id: int, query: QueryParams
) -> Any:
    rows = plan_views.portfolio_delivery(session=session, ctx=ctx, portfolio_id=portfolio_id)
    return page(rows, query)


def initiative_plan(*, session: Session, ctx: TenantContext, initiative_id: int) -> Any:
    return plan_views.initiative_plan(session=session, ctx=ctx, initiative_id=initiative_id)


def set_rag(
    *, session: Session, ctx: TenantContext, initiative_id: int, body: dict[str, Any]
) -> Any:
    get_in_org(session, Initiative, initiative_id, "That initiative")  # 404 before input checks
    plan_services.set_rag(
        session=session,
        ctx=ctx,
        initiative_id=initiative_id,
        rag=_text(body, "rag"),
        reason=_text(body, "reason"),
    )
    return plan_views.initiative_plan(session=session, ctx=ctx, initiative_id=initiative_id)


def record_spend(
    *, session: Session, ctx: TenantContext, initiative_id: int, body: dict[str, Any]
) -> Any:
    get_in_org(session, Initiative, initiative_id, "That initiative")  # 404 before input checks
    amount = _number(body, "amount")
    plan_services.record_spend(
        session=session,
        ctx=ctx,
        initiative_id=initiative_id,
        month=_text(body, "month"),
        amount=str(amount),
    )
    return plan_views.initiative_plan(session=session, ctx=ctx, initiative_id=initiative_id)


def published_plan_forecast(*, session: Session, ctx: TenantContext, published_plan_id: int) -> Any:
    return plan_forecast_services.plan_forecast(
        session=session, ctx=ctx, published_plan_id=published_plan_id
    )


def value_realised(*, session: Session, ctx: TenantContext, portfolio_id: int) -> Any:
    return value_services.value_view(session=session, ctx=ctx, portfolio_id=portfolio_id)


def record_result(
    *, session: Session, ctx: TenantContext, key_result_id: int, body: dict[str, Any]
) -> Any:
    kr = get_in_org(session, KeyResult, key_result_id, "That key result")  # 404 before input
    value = _number(body, "value")
    value_services.record_result(
        session=session,
        ctx=ctx,
        key_result_id=key_result_id,
        value=value,
        measured_on=_text(body, "measured_on"),
    )
    plan = plan_views.initiative_plan(session=session, ctx=ctx, initiative_id=kr.initiative_id)
    return value_services.value_view(session=session, ctx=ctx, portfolio_id=plan.portfolio_id)


ENDPOINTS: tuple[Endpoint, ...] = (
    Endpoint("GET", f"{_P}/delivery-plan", "Delivery against the plan: agile (forecast) and "
             "traditional (SPI, CPI) initiatives in one table", delivery_plan,
             list[PortfolioDeliveryRow], paginated=True),
    Endpoint("GET", f"{_P}/value-realised", "Promised vs realised value per funded "
             "initiative, and each scorer's calibration", value_realised, ValueView),
    Endpoint("GET", "/published-plans/{published_plan_id}/forecast", "A whole published "
             "plan's Monte Carlo forecast: its open agile initiatives' remaining items against "
             "their pooled weekly throughput, with the history used", published_plan_forecast,
             PlanForecastView),
    Endpoint("GET", f"{_I}/plan", "An initiative's plan vs actual: dates, budget, spend, "
             "RAG and its history, tranches, earned value", initiative_plan, PlanVsActual),
    Endpoint("PUT", f"{_I}/rag", "Set the RAG status (a reason is required)", set_rag,
             PlanVsActual, write=True, body="RagInput"),
    Endpoint("PUT", f"{_I}/spend", "Record a month's actual spend", record_spend,
             PlanVsActual, write=True, body="SpendInput"),
    Endpoint("POST", "/key-results/{key_result_id}/results", "Record a key result's measured "
             "result", record_result, ValueView, write=True, body="ResultInput", status=201),
)  # fmt: skip
