"""Plain data handed from programmes services to states, pages and the REST API."""

from __future__ import annotations

from pydantic import BaseModel


class Count(BaseModel):
    key: str
    label: str
    count: int


class RiskLine(BaseModel):
    id: int
    title: str
    initiative_title: str
    exposure: int
    status: str


class QuarterLoad(BaseModel):
    """The programme's allocations in one quarter beside the capacity of the teams it uses."""

    quarter: str
    allocated: float
    # The capacity of the teams the programme uses that quarter, and all their demand
    # (this programme's and everything else's).
    capacity: float
    demand: float
    over: bool


class ProgrammeInitiativeRow(BaseModel):
    initiative_id: int
    title: str
    status: str
    status_label: str
    cost: int | None
    funded: bool
    rag: str
    delivery: str
    delivery_label: str
    planned_end: str
    forecast_85: str


class ProgrammeRollup(BaseModel):
    id: int
    name: str
    description: str
    owner: str
    portfolio_id: int
    portfolio_name: str
    currency: str
    initiatives: int
    # Status: initiatives per board column, and per RAG of the delivery plan.
    columns: list[Count]
    rags: list[Count]
    # Funding: the programme's budget, the cost of all its initiatives, and of the funded.
    budget: int | None
    total_cost: int
    funded: int
    funded_cost: int
    over_budget: bool
    funding_label: str
    # Risks: the open ones (not closed), highest exposure (probability x impact) first.
    open_risks: int
    top_exposure: int
    risks: list[RiskLine]
    # Delivery: funded initiatives per delivery state; forecast (85%) vs planned end.
    delivery: list[Count]
    forecast_late: int
    delivery_label: str
    # Capacity: person-days allocated per quarter against the teams' capacity.
    allocated: float
    quarters: list[QuarterLoad]
    over_quarters: int
    capacity_label: str
    lines: list[ProgrammeInitiativeRow] = []


class Choice(BaseModel):
    value: str
    label: str
