"""Plain data handed from practices services to states, pages and other domains."""

from __future__ import annotations

from pydantic import BaseModel


class DimensionChoice(BaseModel):
    key: str
    name: str


class PracticeRow(BaseModel):
    id: int
    title: str
    framework: str
    purpose: str
    owner_user_id: int | None
    owner_name: str
    version: int
    builtin: bool
    dimension_keys: list[str]
    dimension_names: list[str]
    adopted_teams: int = 0
    updated_at: str = ""


class PracticeVersionRow(BaseModel):
    number: int
    title: str
    purpose: str
    how_to: str
    owner_name: str
    dimension_names: list[str]
    edited_by: str
    created_at: str


class AdoptionRow(BaseModel):
    team_id: int
    team_name: str
    status: str
    status_label: str
    note: str
    can_record: bool = False
    updated_at: str = ""


class PracticeDetail(BaseModel):
    practice: PracticeRow
    how_to: str
    versions: list[PracticeVersionRow]
    adoption: list[AdoptionRow]


class MatrixCell(BaseModel):
    practice_id: int
    status: str
    label: str


class MatrixRow(BaseModel):
    team_id: int
    team_name: str
    cells: list[MatrixCell]


class AdoptionMatrix(BaseModel):
    practices: list[PracticeRow]
    rows: list[MatrixRow]


class ComparisonGroup(BaseModel):
    teams: int
    # None when hidden (either group below the threshold) or nobody answered.
    mean: float | None
    answers: int = 0
    # What the page shows: "4.08 (3 teams)", or "hidden (2 teams)".
    label: str = ""


class PracticeComparison(BaseModel):
    practice_id: int
    title: str
    adopted: ComparisonGroup
    rest: ComparisonGroup
    shown: bool
    reason: str = ""


class ComparisonResult(BaseModel):
    round_id: int | None
    round_title: str
    threshold: int
    practices: list[PracticeComparison]
    message: str = ""


class AdoptionCellRow(BaseModel):
    """One cell of the adoption matrix, flat (REST, CSV): a team's status on a practice."""

    team_id: int
    team_name: str
    practice_id: int
    practice_title: str
    status: str
    label: str


class HelpingPractice(BaseModel):
    """A practice that helps one dimension, with one team's adoption of it (when asked)."""

    dimension_key: str
    practice_id: int
    title: str
    purpose: str
    status: str
    status_label: str


class HelpsPage(BaseModel):
    dimension_key: str
    dimension_name: str
    team_name: str
    practices: list[HelpingPractice]
