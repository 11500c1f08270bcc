"""Delivery progress endpoints: an initiative's work items, its status history (its own moves
and its items', at the times they happened, imports and syncs included), its flow metrics with
the forecast beside the planned end, the portfolio's flow (optionally one value stream), and
the initiative's sync connections (their tokens masked, as on the page)."""

from __future__ import annotations

from typing import Any

from sqlmodel import Session
from starlette.datastructures import QueryParams

from pmo_saas.delivery.schemas import FlowView, StatusChangeRow, WorkItemRow
from pmo_saas.delivery.services import exports, workitems
from pmo_saas.delivery.services import flow as flow_services
from pmo_saas.delivery.sync import services as sync_services
from pmo_saas.delivery.sync.schemas import ConnectionsView
from pmo_saas.kernel.context import TenantContext
from pmo_saas.rest.core import Endpoint, page, query_param

_P = "/portfolios/{portfolio_id}"
_I = "/initiatives/{initiative_id}"
_STREAM = query_param("value_stream", {"type": "string"}, "Only this value stream's initiatives")


def work_items(
    *, session: Session, ctx: TenantContext, initiative_id: int, query: QueryParams
) -> Any:
    rows = workitems.list_work_items(
        session=session, ctx=ctx, initiative_id=initiative_id, limit=None
    )
    return page(rows, query)


def status_history(
    *, session: Session, ctx: TenantContext, initiative_id: int, query: QueryParams
) -> Any:
    return page(
        exports.status_history(session=session, ctx=ctx, initiative_id=initiative_id), query
    )


def initiative_flow(*, session: Session, ctx: TenantContext, initiative_id: int) -> Any:
    return flow_services.initiative_flow(session=session, ctx=ctx, initiative_id=initiative_id)


def portfolio_flow(
    *, session: Session, ctx: TenantContext, portfolio_id: int, query: QueryParams
) -> Any:
    return flow_services.portfolio_flow(
        session=session,
        ctx=ctx,
        portfolio_id=portfolio_id,
        value_stream=str(query.get("value_stream", ""))[:200],
    )


def sync_connections(*, session: Session, ctx: TenantContext, initiative_id: int) -> Any:
    return sync_services.connections_view(session=session, ctx=ctx, initiative_id=initiative_id)


ENDPOINTS: tuple[Endpoint, ...] = (
    Endpoint("GET", f"{_I}/work-items", "An initiative's work items (open ones first)",
             work_items, list[WorkItemRow], paginated=True),
    Endpoint("GET", f"{_I}/status-history", "Every move of the initiative and its work "
             "items, oldest first, with who or what moved it", status_history,
             list[StatusChangeRow], paginated=True),
    Endpoint("GET", f"{_I}/flow", "Flow metrics (throughput, cycle and lead time, WIP and its "
             "age, CFD, flow efficiency) and the Monte Carlo forecast beside the planned end",
             initiative_flow, FlowView),
    Endpoint("GET", f"{_P}/flow", "The portfolio's flow metrics and forecast, with each "
             "initiative's done and open items", portfolio_flow, FlowView, query=(_STREAM,)),
    Endpoint("GET", f"{_I}/sync-connections", "The initiative's Jira and GitHub connections, "
             "status map and recent syncs (tokens masked)", sync_connections, ConnectionsView),
)  # fmt: skip
