"""Plain data handed from capacity services to states and pages."""

from __future__ import annotations

from pydantic import BaseModel


class CapacityRow(BaseModel):
    team_id: int
    team_name: str
    quarter: str
    people: float
    days_per_person: float
    value_stream: str
    person_days: float


class AllocationRow(BaseModel):
    id: int
    initiative_id: int
    initiative_title: str
    value_stream: str
    team_id: int
    team_name: str
    quarter: str
    person_days: float


class LoadRow(BaseModel):
    """Demand vs capacity of one team (or value stream) in one quarter."""

    name: str
    quarter: str
    capacity: float
    demand: float
    free: float
    over: bool
    load_percent: int | None


class CapacityView(BaseModel):
    quarters: list[str]
    teams: list[LoadRow]
    streams: list[LoadRow]
    over_allocated: int


class CsvLine(BaseModel):
    line: int
    team: str
    quarter: str
    people: str
    days_per_person: str
    value_stream: str
    error: str = ""


class CsvPreview(BaseModel):
    lines: list[CsvLine]
    errors: int
    file_error: str = ""


class Choice(BaseModel):
    value: str
    label: str


class SkillGapRow(BaseModel):
    """One skill in one team (or value stream) and quarter: people who have it against the
    people the initiatives allocated there need with it; `short` when fewer have it."""

    scope: str  # "team" or "value stream"
    name: str
    quarter: str
    skill: str
    have: int
    need: int
    short: int


class PersonSkillsRow(BaseModel):
    user_id: int
    name: str
    teams: str
    skills: list[str]


class InitiativeSkillRow(BaseModel):
    initiative_id: int
    title: str
    skill: str
    people: int


class SkillsView(BaseModel):
    teams: list[SkillGapRow]
    streams: list[SkillGapRow]
    people: list[PersonSkillsRow]
    needs: list[InitiativeSkillRow]
