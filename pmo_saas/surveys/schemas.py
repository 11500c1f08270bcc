"""Plain data handed from survey services to states, pages and exports (never ORM rows)."""

from __future__ import annotations

from pydantic import BaseModel, Field


class QuestionInput(BaseModel):
    """A custom question as the survey builder sends it."""

    key: str = ""
    kind: str
    prompt: str
    options: list[tuple[str, str]] = []
    required: bool = True


class SurveyRow(BaseModel):
    id: int
    title: str
    instrument: str
    instrument_label: str
    series_id: int
    round_number: int
    status: str
    closes_at: str
    teams: int
    invited: int
    answered: int
    responses: int
    min_group_size: int
    min_comment_group_size: int
    open_links: bool = False


class TeamProgress(BaseModel):
    survey_team_id: int
    team_name: str
    invited: int
    answered: int
    responses: int
    # 0-100; the progress bar per team.
    response_rate: float
    has_open_link: bool
    # Answers that came through the team's open link, and how many it takes at most.
    open_responses: int = 0
    open_cap: int | None = None


class QuestionForm(BaseModel):
    key: str
    kind: str
    prompt: str
    options: list[tuple[str, str]]
    scale: list[str]
    required: bool


class WeDidNote(BaseModel):
    """What the team's previous round committed, as its respondents read it (wedid/)."""

    prompt: str
    action: str
    status_label: str


class SurveyForm(BaseModel):
    title: str
    instrument: str
    team_name: str
    closes_at: str
    questions: list[QuestionForm]
    personal: bool
    we_did: list[WeDidNote] = []


# The results' mutable defaults are factories: a plain `[]` default is deep-copied for each of
# the thousands of objects a large survey's results hold (most of their validation time).


class Bar(BaseModel):
    label: str
    count: int
    percent: float


class QuestionResult(BaseModel):
    key: str
    prompt: str
    kind: str
    answered: int
    mean: float | None = None
    bars: list[Bar] = Field(default_factory=list)
    # OCAI only: per phase and culture type, mean points.
    split: dict[str, dict[str, float]] = Field(default_factory=dict)


class Headline(BaseModel):
    label: str
    value: float | None = None
    detail: str = ""
    ocai: dict[str, dict[str, float]] = Field(default_factory=dict)


class CommentGroup(BaseModel):
    prompt: str
    comments: list[str]


class GroupResult(BaseModel):
    label: str
    survey_team_id: int | None
    responses: int
    # Of `responses`, how many came through an open link (only on open-link surveys).
    open_responses: int = 0
    visible: bool
    hidden_reason: str = ""
    headline: Headline | None = None
    questions: list[QuestionResult] = Field(default_factory=list)
    # True: each question's count and mean without its bars, as a survey's results list a
    # team (its bars: GET /survey-teams/{survey_team_id}/results).
    bars_omitted: bool = False
    comments: list[CommentGroup] = Field(default_factory=list)
    comments_hidden_reason: str = ""


class HeatCell(BaseModel):
    question_key: str
    value: float | None


class HeatRow(BaseModel):
    label: str
    survey_team_id: int | None
    visible: bool
    hidden_reason: str
    cells: list[HeatCell]


class SurveyResults(BaseModel):
    survey_id: int
    title: str
    instrument: str
    round_number: int
    status: str
    min_group_size: int
    min_comment_group_size: int
    responses: int
    open_links: bool = False
    open_responses: int = 0
    org: GroupResult
    teams: list[GroupResult]
    selection: GroupResult | None = None
    heat_columns: list[tuple[str, str]] = Field(default_factory=list)
    heatmap: list[HeatRow] = Field(default_factory=list)


class TrendPoint(BaseModel):
    survey_id: int
    round_number: int
    title: str
    closes_at: str
    org: float | None
    org_hidden_reason: str
    teams: dict[str, float | None]


class MyTeamResults(BaseModel):
    survey_id: int
    title: str
    instrument: str = ""
    team: GroupResult
    org: GroupResult


class MySurveyRow(BaseModel):
    """A survey someone was asked to answer (whether they did is not shown back to anyone)."""

    survey_id: int
    title: str
    round_number: int
    team_name: str
    status: str
    closes_at: str
    results_ready: bool
