"""Each team of a wave against the wave's criteria (pages/wave.py): maturity from the team's
latest closed maturity round (mean of its raw answers), culture from the latest closed survey
of the criterion's instrument as the survey's results show it. A team the survey's anonymity
rules hide gets "hidden", never a figure; a team without a reading gets "no data". A team is
ready when it meets every exit criterion."""

from __future__ import annotations

import csv
import io
import operator as op
from collections.abc import Callable

from sqlmodel import Session

from pmo_saas.kernel.context import TenantContext
from pmo_saas.kernel.formatting import fixed
from pmo_saas.rollout.figures import MaturityReader, Reading, SurveyReader
from pmo_saas.rollout.models import ENTRY, EXIT, MATURITY
from pmo_saas.rollout.schemas import (
    CheckCell,
    CriterionRow,
    ProgressCellRow,
    TeamProgressRow,
    WaveProgress,
    WaveRow,
)
from pmo_saas.rollout.services.common import (
    READ_PROGRESS,
    get_wave,
    ordered_waves,
    require_manage,
    wave_rows,
)

COMPARE: dict[str, Callable[[float, float], bool]] = {
    ">=": op.ge,
    ">": op.gt,
    "<=": op.le,
    "<": op.lt,
}
MET, NOT_MET, NO_DATA, HIDDEN = "met", "not_met", "no_data", "hidden"


def check(reading: Reading, criterion: CriterionRow) -> CheckCell:
    """One reading against one criterion (the threshold compared at full precision)."""
    if reading.value is None:
        status = HIDDEN if reading.hidden else NO_DATA
        return CheckCell(
            criterion_id=criterion.id,
            status=status,
            value=None,
            label="hidden" if reading.hidden else "no data",
            source=reading.source,
            why=reading.why,
        )
    met = COMPARE[criterion.operator](reading.value, criterion.threshold)
    return CheckCell(
        criterion_id=criterion.id,
        status=MET if met else NOT_MET,
        value=round(reading.value, 4),
        label=f"{fixed(reading.value)} {'met' if met else 'not met'}",
        source=reading.source,
    )


class _Readers:
    def __init__(self, session: Session, ctx: TenantContext, waves: list[WaveRow]) -> None:
        self.maturity = MaturityReader(session, {t for w in waves for t in w.team_ids})
        self.survey = SurveyReader(session, ctx)

    def read(self, team_id: int, c: CriterionRow) -> Reading:
        if c.metric == MATURITY:
            return self.maturity.read(team_id, c.key)
        return self.survey.read(team_id, c.instrument, c.key)


def _progress(wave: WaveRow, readers: _Readers) -> WaveProgress:
    teams = []
    for team_id, name in zip(wave.team_ids, wave.team_names, strict=True):
        cells = [check(readers.read(team_id, c), c) for c in wave.criteria]
        kinds = {c.id: c.kind for c in wave.criteria}
        met = [cell for cell in cells if cell.status == MET]
        exit_total = sum(1 for c in wave.criteria if c.kind == EXIT)
        exit_met = sum(1 for cell in met if kinds[cell.criterion_id] == EXIT)
        entry_total = sum(1 for c in wave.criteria if c.kind == ENTRY)
        entry_met = sum(1 for cell in met if kinds[cell.criterion_id] == ENTRY)
        ready = exit_total > 0 and exit_met == exit_total
        teams.append(
            TeamProgressRow(
                team_id=team_id,
                team_name=name,
                cells=cells,
                exit_met=exit_met,
                exit_total=exit_total,
                entry_met=entry_met,
                entry_total=entry_total,
                ready=ready,
                summary=f"{exit_met} of {exit_total} exit criteria met"
                + (f", {entry_met} of {entry_total} entry" if entry_total else ""),
            )
        )
    ready_teams = sum(1 for t in teams if t.ready)
    exit_total = sum(1 for c in wave.criteria if c.kind == EXIT)
    summary = (
        f"{ready_teams} of {len(teams)} teams meet every exit criterion."
        if exit_total
        else "No exit criteria yet: add one to follow the wave's progress."
    )
    return WaveProgress(wave=wave, teams=teams, ready_teams=ready_teams, summary=summary)


def wave_progress(*, session: Session, ctx: TenantContext, wave_id: int) -> WaveProgress:
    """One wave's teams against its criteria (coach and up)."""
    require_manage(ctx, READ_PROGRESS)
    wave = wave_rows(session, ctx, [get_wave(session, wave_id)])[0]
    return _progress(wave, _Readers(session, ctx, [wave]))


def roadmap_progress(*, session: Session, ctx: TenantContext) -> list[WaveProgress]:
    """Every wave's progress, the figures read once for all of them (coach and up)."""
    require_manage(ctx, READ_PROGRESS)
    rows = wave_rows(session, ctx, ordered_waves(session))
    readers = _Readers(session, ctx, rows)
    return [_progress(w, readers) for w in rows]


def progress_cells(*, session: Session, ctx: TenantContext) -> list[ProgressCellRow]:
    """Every (wave, team, criterion) cell, flat (REST, CSV)."""
    rows = []
    for p in roadmap_progress(session=session, ctx=ctx):
        texts = {c.id: c.text for c in p.wave.criteria}
        for t in p.teams:
            for cell in t.cells:
                rows.append(
                    ProgressCellRow(
                        wave_id=p.wave.id,
                        wave_title=p.wave.title,
                        team_id=t.team_id,
                        team_name=t.team_name,
                        criterion_id=cell.criterion_id,
                        criterion=texts[cell.criterion_id],
                        status=cell.status,
                        value=cell.value,
                        source=cell.source,
                    )
                )
    return rows


def _safe(text: str) -> str:
    """A cell a spreadsheet will not run as a formula."""
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


def export_progress_csv(*, session: Session, ctx: TenantContext) -> str:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["wave", "team", "criterion", "status", "value", "source"])
    for r in progress_cells(session=session, ctx=ctx):
        writer.writerow(
            [
                _safe(r.wave_title),
                _safe(r.team_name),
                _safe(r.criterion),
                r.status,
                "" if r.value is None else f"{r.value:.2f}",
                _safe(r.source),
            ]
        )
    return out.getvalue()
