"""Plain data handed from the dashboard domain's services to pages and the API."""

from __future__ import annotations

from pydantic import BaseModel

from pmo_saas.delivery.plan_schemas import DeliveryTile


class ShareLinkRow(BaseModel):
    id: int
    label: str
    prefix: str
    created_by: str
    created_at: str
    expires_at: str
    status: str  # active, expired, revoked
    views: int


class CreatedShareLink(BaseModel):
    row: ShareLinkRow
    token: str
    path: str


# ---------------------------------------------------------------- dashboard tiles


class CountRow(BaseModel):
    label: str
    count: int


class FundingTile(BaseModel):
    portfolios: int
    currency: str
    budget: int
    funded_cost: int
    funded_value: float
    funded_initiatives: int
    budget_used_percent: float
    href: str = ""


class StatusTile(BaseModel):
    total: int
    rows: list[CountRow]
    href: str = ""


class RiskRow(BaseModel):
    title: str
    initiative: str
    exposure: int
    probability: int
    impact: int
    status: str
    owner: str


class RisksTile(BaseModel):
    open_risks: int
    rows: list[RiskRow]
    href: str = ""


class TrendPoint(BaseModel):
    """One round: its label and the mean per dimension (chart rows keyed by dimension name)."""

    label: str
    values: dict[str, float]


class MaturityTile(BaseModel):
    model: str
    dimensions: list[str]
    points: list[TrendPoint]
    # recharts rows: {"round": label, <dimension>: mean, ...}
    chart: list[dict[str, str | float]]
    latest_overall: float | None
    href: str = ""


class TeamsAssessedTile(BaseModel):
    teams: int
    assessed: int
    percent: float
    href: str = ""


class CultureFigure(BaseModel):
    instrument: str
    label: str
    survey_title: str
    value: float | None
    previous: float | None
    change: float | None
    hidden_reason: str
    # recharts rows: {"round": "R1", "value": 4.2}
    trend: list[dict[str, str | float]]


class CultureTile(BaseModel):
    figures: list[CultureFigure]
    href: str = ""


class PmoFeedbackTile(BaseModel):
    """Feedback on the PMO: the organisation's PMO service score per round and each statement's
    mean (1-5), as the surveys service's anonymity rules let a coach see them."""

    survey_title: str = ""
    value: float | None = None
    change: float | None = None
    hidden_reason: str = ""
    # (key, short label) of the statements, in the survey's order.
    questions: list[tuple[str, str]] = []
    # One row per round: {"round": "R1", "score": 4.2, "<statement key>": 3.8, ...} (shown
    # rounds only, for the chart) and the same as text for every round (the table).
    chart: list[dict[str, str | float]] = []
    table: list[dict[str, str]] = []
    href: str = ""


class ResponseRateRow(BaseModel):
    survey: str
    invited: int
    answered: int
    rate: float


class ResponseRatesTile(BaseModel):
    rows: list[ResponseRateRow]
    href: str = ""


class PlansTile(BaseModel):
    active: int
    on_track: int
    overdue: int
    completed: int
    href: str = ""


class TrainingTile(BaseModel):
    people: int
    trained: int
    percent: float
    href: str = ""


class Dashboard(BaseModel):
    org_name: str
    generated_at: str
    funding: FundingTile
    statuses: StatusTile
    risks: RisksTile
    maturity: MaturityTile
    teams_assessed: TeamsAssessedTile
    culture: CultureTile
    pmo_feedback: PmoFeedbackTile
    response_rates: ResponseRatesTile
    plans: PlansTile
    training: TrainingTile
    delivery: DeliveryTile
