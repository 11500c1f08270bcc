"""Plain data handed from rollout services to states, pages and the REST API."""

from __future__ import annotations

from pydantic import BaseModel


class Choice(BaseModel):
    value: str
    label: str


class CriterionRow(BaseModel):
    id: int
    wave_id: int
    kind: str
    metric: str
    key: str
    instrument: str
    operator: str
    threshold: float
    # "Exit: maturity >= 3.00 in Team practices"
    text: str


class WaveRow(BaseModel):
    id: int
    title: str
    position: int
    is_pilot: bool
    starts_on: str
    ends_on: str
    notes: str
    team_ids: list[int]
    team_names: list[str]
    criteria: list[CriterionRow]


class CheckCell(BaseModel):
    """One team against one criterion: met / not_met / no_data / hidden."""

    criterion_id: int
    status: str
    value: float | None
    label: str
    source: str = ""
    # Why there is no figure (no closed round yet, hidden by the survey's rules ...).
    why: str = ""


class TeamProgressRow(BaseModel):
    team_id: int
    team_name: str
    cells: list[CheckCell]
    exit_met: int
    exit_total: int
    entry_met: int
    entry_total: int
    ready: bool
    summary: str


class WaveProgress(BaseModel):
    wave: WaveRow
    teams: list[TeamProgressRow]
    # Teams meeting every exit criterion, of all the wave's teams.
    ready_teams: int
    summary: str


class TrendGroup(BaseModel):
    teams: int
    # Of `teams`, how many the figure rests on (maturity: with answers; culture: shown).
    counted: int
    mean: float | None
    label: str


class TrendPoint(BaseModel):
    source: str
    date: str
    pilot: TrendGroup
    rest: TrendGroup
    reason: str = ""


class CultureTrend(BaseModel):
    instrument: str
    label: str
    points: list[TrendPoint]


class PilotComparison(BaseModel):
    pilot_teams: int
    rest_teams: int
    threshold: int
    maturity: list[TrendPoint]
    culture: list[CultureTrend]
    message: str = ""


class ProgressCellRow(BaseModel):
    """One cell of a wave's progress, flat (REST, CSV)."""

    wave_id: int
    wave_title: str
    team_id: int
    team_name: str
    criterion_id: int
    criterion: str
    status: str
    value: float | None
    source: str
