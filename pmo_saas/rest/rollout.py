"""Roll-out and programme endpoints (issue 19): the roadmap of waves with their teams and
criteria, each team's progress against them, pilot vs the rest, and the programmes' roll-up.
Reads only; lists are paged like the others. Progress and the comparison need a coach's key
(they read team maturity and survey results), as on the pages."""

from __future__ import annotations

from typing import Any

from sqlmodel import Session
from starlette.datastructures import QueryParams

from pmo_saas.kernel.context import TenantContext
from pmo_saas.programmes.schemas import ProgrammeRollup
from pmo_saas.programmes.services import rollup
from pmo_saas.rest.core import Endpoint, page
from pmo_saas.rollout.schemas import PilotComparison, ProgressCellRow, WaveProgress, WaveRow
from pmo_saas.rollout.services import comparison, progress, waves


def rollout_waves(*, session: Session, ctx: TenantContext, query: QueryParams) -> Any:
    return page(waves.list_waves(session=session, ctx=ctx), query)


def rollout_wave_progress(*, session: Session, ctx: TenantContext, wave_id: int) -> Any:
    return progress.wave_progress(session=session, ctx=ctx, wave_id=wave_id)


def rollout_progress(*, session: Session, ctx: TenantContext, query: QueryParams) -> Any:
    return page(progress.progress_cells(session=session, ctx=ctx), query)


def rollout_comparison(*, session: Session, ctx: TenantContext) -> Any:
    return comparison.compare_pilot(session=session, ctx=ctx)


def programmes(*, session: Session, ctx: TenantContext, query: QueryParams) -> Any:
    return page(rollup.list_rollups(session=session, ctx=ctx), query)


def programme(*, session: Session, ctx: TenantContext, programme_id: int) -> Any:
    return rollup.programme_rollup(session=session, ctx=ctx, programme_id=programme_id)


ENDPOINTS: tuple[Endpoint, ...] = (
    Endpoint("GET", "/rollout/waves", "The transformation roadmap: waves in order with their "
             "teams, dates and entry/exit criteria", rollout_waves, list[WaveRow],
             paginated=True),
    Endpoint("GET", "/rollout/waves/{wave_id}/progress", "Each team of a wave against its "
             "criteria (met, not met, no data, hidden by the survey's anonymity rules)",
             rollout_wave_progress, WaveProgress),
    Endpoint("GET", "/rollout/progress", "Every wave, team and criterion, one cell each",
             rollout_progress, list[ProgressCellRow], paginated=True),
    Endpoint("GET", "/rollout/comparison", "Pilot teams vs the rest: maturity and culture "
             "per round, each figure with its team count, small groups hidden",
             rollout_comparison, PilotComparison),
    Endpoint("GET", "/programmes", "Every programme's roll-up: board columns, RAG, funded "
             "cost vs budget, open risks, delivery and capacity", programmes,
             list[ProgrammeRollup], paginated=True),
    Endpoint("GET", "/programmes/{programme_id}", "One programme's roll-up with its "
             "initiatives", programme, ProgrammeRollup),
)  # fmt: skip
