"""Participatory budgeting endpoints (read): a portfolio's sessions, one session as the key's
creator may see it, and its allocations. The rules are the service's: a session is "not
found" to whoever is neither a facilitator nor invited, the spread and the allocations wait
for the caller's own allocation, and names go to facilitators only."""

from __future__ import annotations

from typing import Any

from sqlmodel import Session
from starlette.datastructures import QueryParams

from pmo_saas.kernel.context import TenantContext
from pmo_saas.portfolio.schemas import AllocationRow, BudgetSessionRow, BudgetSessionView
from pmo_saas.portfolio.services import budgeting
from pmo_saas.rest.core import Endpoint, page


def budget_sessions(
    *, session: Session, ctx: TenantContext, portfolio_id: int, query: QueryParams
) -> Any:
    found = budgeting.list_budget_sessions(session=session, ctx=ctx, portfolio_id=portfolio_id)
    return page(found, query)


def budget_session(*, session: Session, ctx: TenantContext, budget_session_id: int) -> Any:
    return budgeting.budget_session(session=session, ctx=ctx, budget_session_id=budget_session_id)


def budget_allocations(
    *, session: Session, ctx: TenantContext, budget_session_id: int, query: QueryParams
) -> Any:
    found = budgeting.budget_allocations(
        session=session, ctx=ctx, budget_session_id=budget_session_id
    )
    return page(found, query)


_S = "/budgeting-sessions/{budget_session_id}"
ENDPOINTS: tuple[Endpoint, ...] = (
    Endpoint("GET", "/portfolios/{portfolio_id}/budgeting-sessions",
             "Participatory budgeting sessions (all to a facilitator, else one's invitations)",
             budget_sessions, list[BudgetSessionRow], paginated=True),
    Endpoint("GET", _S, "A budgeting session; its spread once the caller has allocated",
             budget_session, BudgetSessionView),
    Endpoint("GET", f"{_S}/allocations",
             "Allocations per stakeholder: named to facilitators, anonymous to stakeholders",
             budget_allocations, list[AllocationRow], paginated=True),
)  # fmt: skip
