"""Plain data handed from assessment services to states, pages and other domains."""

from __future__ import annotations

from pydantic import BaseModel


class LevelRow(BaseModel):
    value: int
    label: str
    description: str = ""


class StatementRow(BaseModel):
    id: int
    text: str


class DimensionRow(BaseModel):
    id: int
    key: str
    name: str
    description: str = ""
    statements: list[StatementRow] = []


class ModelVersionDetail(BaseModel):
    """One version of a model with everything a respondent or the editor needs."""

    model_id: int
    version_id: int
    number: int
    name: str
    description: str
    kind: str
    builtin_key: str | None
    locked: bool
    asks_trend: bool
    levels: list[LevelRow]
    dimensions: list[DimensionRow]


class ModelRow(BaseModel):
    id: int
    name: str
    kind: str
    builtin: bool
    latest_version: int
    dimension_count: int
    statement_count: int


class DimensionInput(BaseModel):
    """The editor's shape of a dimension; `key` may be empty for a new one."""

    key: str = ""
    name: str
    description: str = ""
    statements: list[str]


class LevelInput(BaseModel):
    value: int
    label: str
    description: str = ""


class RoundSummary(BaseModel):
    id: int
    title: str
    status: str
    model_name: str
    model_id: int
    model_version_id: int
    version_number: int
    opened_at: str
    closed_at: str | None
    team_ids: list[int] = []


class TeamProgress(BaseModel):
    team_id: int
    team_name: str
    invited: int
    started: int
    submitted: int


class DimensionScore(BaseModel):
    """One team's score on one dimension of one round, from the raw answers.

    `mean` is the mean of every answer given to the dimension's statements by the team's
    respondents (None when nobody answered); `respondents` counts the people who answered at
    least one of those statements.
    """

    dimension_id: int
    dimension_key: str
    name: str
    mean: float | None
    respondents: int


class DimensionStats(BaseModel):
    """Full statistics of one team on one dimension. Spread fields are None when hidden."""

    dimension_id: int
    dimension_key: str
    name: str
    respondents: int
    answers: int
    mean: float | None
    median: float | None
    minimum: int | None
    maximum: int | None
    stddev: float | None
    # counts per scale value, lowest first; empty when the spread is hidden
    distribution: list[int]
    spread_hidden: bool
    previous_mean: float | None = None
    change: float | None = None
    # health checks: counts of better / same / worse trends given
    trend_up: int = 0
    trend_same: int = 0
    trend_down: int = 0
    is_focus: bool = False
    # respondents' comments without names, only when the spread is visible
    comments: list[str] = []
    # health checks: green / amber / red and improving / stable / worsening
    colour: str = ""
    trend: str = ""


class TeamResult(BaseModel):
    round_id: int
    team_id: int
    team_name: str
    respondents: int
    previous_round_id: int | None
    scale_min: int
    scale_max: int
    dimensions: list[DimensionStats]


class HeatMapCell(BaseModel):
    team_id: int
    dimension_id: int
    mean: float
    answers: int


class HeatMap(BaseModel):
    round_id: int
    teams: list[tuple[int, str]]
    dimensions: list[tuple[int, str]]
    cells: list[HeatMapCell]

    def value(self, team_id: int, dimension_id: int) -> float | None:
        for cell in self.cells:
            if cell.team_id == team_id and cell.dimension_id == dimension_id:
                return cell.mean
        return None


class FocusDimensionRow(BaseModel):
    id: int
    round_id: int
    team_id: int
    dimension_id: int
    dimension_key: str
    name: str
    mean: float | None
    note: str


class MyAssignment(BaseModel):
    """A round the signed-in person is asked to answer, with their progress."""

    participant_id: int
    round_id: int
    round_title: str
    team_id: int
    team_name: str
    answered: int
    total: int
    submitted: bool
    round_open: bool


class MyAnswers(BaseModel):
    participant_id: int
    values: dict[int, int]  # statement id -> value
    comments: dict[int, str]  # dimension id -> comment
    trends: dict[int, int]  # dimension id -> -1 / 0 / 1
    submitted: bool
