"""DTOs of the plan side of delivery (services/plan*.py, tranches.py, value.py)."""

from __future__ import annotations

from pydantic import BaseModel

from pmo_saas.delivery.schemas import ForecastView


class TrancheRow(BaseModel):
    position: int
    amount: int
    status: str
    released_on: str
    gate_review_id: int | None


class TrancheCheck(BaseModel):
    """Released vs spent: spend beyond the released amount is flagged."""

    planned_budget: int
    released: int
    stopped: int
    spent: int
    over_released: int  # spent - released when positive, else 0
    flagged: bool
    message: str


class RagRow(BaseModel):
    rag: str
    rag_label: str
    reason: str
    set_by: str
    set_at: str


class SpendRow(BaseModel):
    month: str  # YYYY-MM
    amount: int
    source: str


class EarnedValueRow(BaseModel):
    on: str
    bac: int
    pv: float
    ev: float
    ac: int
    spi: float | None
    cpi: float | None
    eac: float | None
    scope_done: float
    scope: float


class PlanVsActual(BaseModel):
    """One initiative's plan beside what happened (the initiative page and the REST API)."""

    initiative_id: int
    portfolio_id: int
    title: str
    owner: str
    currency: str
    funded: bool  # has a plan row (adopted from a published plan or set by hand)
    approach: str
    approach_label: str
    planned_start: str
    planned_end: str
    planned_budget: int
    promised_value: float | None
    actual_start: str
    actual_end: str
    spent: int
    spend_percent: float | None
    rag: str
    rag_label: str
    rag_reason: str
    delivery: str  # on_track, at_risk, late, done, not_planned
    delivery_label: str
    why: list[str]
    forecast_85: str  # agile: the 85% date ("" when not enough history)
    forecast_sentence: str
    baseline_scope: float | None
    baseline_start: str
    baseline_end: str
    baseline_budget: int | None
    earned_value: EarnedValueRow | None
    tranches: list[TrancheRow]
    tranche_check: TrancheCheck
    spend: list[SpendRow]
    rag_history: list[RagRow]


class PortfolioDeliveryRow(BaseModel):
    """One line of the portfolio's delivery table: agile and traditional side by side."""

    initiative_id: int
    title: str
    approach: str
    approach_label: str
    planned_end: str
    planned_budget: int
    released: int
    spent: int
    rag: str
    rag_reason: str
    delivery: str
    delivery_label: str
    forecast_85: str
    spi: str
    cpi: str
    flagged: bool


class DeliveryTile(BaseModel):
    """The dashboard's delivery figures (all funded initiatives of the organisation)."""

    href: str = ""
    planned: int = 0
    on_track: int = 0
    at_risk: int = 0
    late: int = 0
    done: int = 0
    budget: int = 0
    spent: int = 0
    spend_percent: float = 0.0
    forecast_after_plan: int = 0
    over_released: int = 0
    attention: list[PortfolioDeliveryRow] = []


class KeyResultRow(BaseModel):
    id: int
    title: str
    target: float
    unit: str
    due_on: str
    measured: float | None
    measured_on: str
    achievement: float | None  # 0..1 of target (capped at 1)


class ValueRow(BaseModel):
    initiative_id: int
    title: str
    promised_value: float | None
    achievement: float | None
    realised_value: float | None
    key_results: list[KeyResultRow]


class CalibrationRow(BaseModel):
    """How one scorer's value scores matched what arrived (score points)."""

    user_id: int
    name: str
    initiatives: int
    bias: float  # mean of (their score - realised); > 0 promised more than arrived
    mean_abs_error: float


class ValueView(BaseModel):
    portfolio_id: int
    value_key: str
    rows: list[ValueRow]
    calibration: list[CalibrationRow]


class PlanForecastView(BaseModel):
    """The forecast of a whole published plan: its open agile initiatives' remaining items
    against their summed weekly throughput."""

    published_plan_id: int
    scenario_name: str
    initiatives: int  # the open agile initiatives forecast together
    planned_end: str  # the latest planned end among them, or ""
    forecast: ForecastView
