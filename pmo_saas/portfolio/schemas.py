"""Plain data handed from portfolio services to states and pages (never ORM rows)."""

from __future__ import annotations

from pydantic import BaseModel


class PortfolioRow(BaseModel):
    id: int
    name: str
    description: str
    scoring_model: str
    scoring_model_label: str
    budget: int | None
    currency: str
    stream_budgets: dict[str, int] = {}
    initiative_count: int = 0
    archived: bool = False


class CriterionRow(BaseModel):
    id: int
    key: str
    name: str
    weight: float
    scale_min: int
    scale_max: int


class InitiativeRow(BaseModel):
    id: int
    portfolio_id: int
    title: str
    description: str
    owner: str
    value_stream: str
    status: str
    cost: int | None
    job_size: float | None
    start_date: str | None
    end_date: str | None
    moscow: str | None
    tags: list[str]
    depends_on: list[int]
    depends_on_titles: list[str]
    scores: dict[str, float]
    archived: bool
    origin: str = ""  # "From <the item another domain created it from>", or ""


class BoardColumn(BaseModel):
    status: str
    label: str
    cards: list[InitiativeRow]


class ImportRowError(BaseModel):
    row: int  # the line number in the file (the header is line 1)
    message: str


class ImportPreview(BaseModel):
    columns: list[str]
    rows: list[dict[str, str]]  # valid rows, as parsed
    errors: list[ImportRowError]
    file_errors: list[str]  # problems with the whole file (columns, encoding, cycles)

    @property
    def ok(self) -> bool:
        return not self.errors and not self.file_errors


class ImportResult(BaseModel):
    created: int
    skipped_rows: list[int]


class RankRow(BaseModel):
    rank: int
    initiative_id: int
    title: str
    score: float | None
    score_text: str  # the score, or "not scored"
    explanation: str  # inputs and formula
    inputs: dict[str, float | None]
    computed_rank: int | None
    manual_rank: int | None
    manual_reason: str
    moscow: str | None
    cost: int | None
    value_stream: str


class Ranking(BaseModel):
    model: str
    formula: str
    total: int  # initiatives ranked (rows may hold one page of them)
    rows: list[RankRow]


class FundingLine(BaseModel):
    initiative_id: int
    title: str
    cost: int | None
    value: float | None
    value_stream: str
    moscow: str | None
    funded: bool
    in_rank_cut: bool
    reason: str


class FundingPlan(BaseModel):
    budget: int
    stream_budgets: dict[str, int]
    funded_ids: list[int]
    total_value: float
    total_cost: int
    stream_spend: dict[str, int]
    cut_funded_ids: list[int]
    cut_total_value: float
    cut_total_cost: int
    cut_problems: list[str]
    warnings: list[str]
    lines: list[FundingLine]


class ScenarioRow(BaseModel):
    id: int
    name: str
    budget: int
    overrides: dict[int, str]
    created_at: str


class ScenarioComparison(BaseModel):
    scenarios: list[ScenarioRow]
    plans: list[FundingPlan | None]
    errors: list[str | None]  # per scenario: why it has no plan (e.g. Musts over budget)
    initiative_titles: dict[int, str]


class PublishedPlanRow(BaseModel):
    id: int
    scenario_name: str
    published_at: str
    published_by: str
    plan: FundingPlan


class RoundRow(BaseModel):
    id: int
    name: str
    status: str
    keys: list[str]
    key_labels: list[str]
    initiative_ids: list[int]
    scorer_ids: list[int]
    created_at: str


class ScoringSheet(BaseModel):
    """What one scorer sees: one criterion across all initiatives (their own scores only)."""

    round_id: int
    key: str | None  # None: this scorer is done
    label: str
    scale: str
    choices: list[float]
    step: int  # 1-based position of this criterion
    steps: int
    initiatives: list[tuple[int, str]]
    my_scores: dict[int, float]


class RoundCell(BaseModel):
    initiative_id: int
    title: str
    key: str
    label: str
    scores: list[float]
    median: float | None
    spread: float | None  # max - min
    relative_spread: float | None  # spread over the scale's range: comparable across inputs


class RoundSummary(BaseModel):
    round_id: int
    status: str
    scorers_done: dict[int, int]  # user id -> criteria completed
    cells: list[RoundCell]
    most_disagreed: list[RoundCell]


class RiskRow(BaseModel):
    id: int
    initiative_id: int | None
    initiative_title: str
    title: str
    probability: int
    impact: int
    exposure: int
    owner: str
    mitigation: str
    status: str


class HeatCell(BaseModel):
    probability: int
    impact: int
    count: int
    risk_ids: list[int]


class BubblePoint(BaseModel):
    initiative_id: int
    title: str
    effort: float | None
    value: float | None
    cost: int | None


class RankBar(BaseModel):
    initiative_id: int
    title: str
    score: float


# ---------------------------------------------------------------- governance


class GateReviewRow(BaseModel):
    id: int
    stage: str
    stage_label: str
    next_stage: str
    next_stage_label: str
    decision: str
    decision_label: str
    decided_on: str
    approvers: list[str]
    approvers_text: str
    conditions: str


class DecisionRow(BaseModel):
    id: int
    decided_on: str
    title: str
    rationale: str
    decided_by: str
    gate_review_id: int | None


class StageStep(BaseModel):
    key: str
    label: str
    state: str  # done, current, ahead


class LifecycleRow(BaseModel):
    initiative_id: int
    title: str
    portfolio: str
    stage: str
    stage_label: str
    status: str


class Governance(BaseModel):
    initiative_id: int
    initiative_title: str
    stage: str
    stage_label: str
    status: str
    steps: list[StageStep]
    reviews: list[GateReviewRow]
    decisions: list[DecisionRow]
    allowed_decisions: list[str]


# ---------------------------------------------------------------- participatory budgeting


class BudgetOption(BaseModel):
    """What a budgeting session splits: a value stream, or an initiative (and its stream)."""

    key: str  # the stream's name, or the initiative's id as text
    label: str
    stream: str


class OptionSpread(BaseModel):
    """The allocations of one option across the stakeholders who submitted (anonymous)."""

    key: str
    label: str
    stream: str
    count: int
    median: float | None
    low: int | None
    high: int | None
    outliers: list[int]  # amounts outside the Tukey fences (1.5 IQR); none below 4 allocations


class StakeholderProgress(BaseModel):
    user_id: int
    name: str
    submitted: bool


class BudgetSessionRow(BaseModel):
    id: int
    portfolio_id: int
    name: str
    total: int
    basis: str
    status: str
    stakeholders: int
    submitted: int
    created_at: str
    settled_at: str | None
    invited: bool  # the caller is one of the stakeholders


class BudgetSessionView(BaseModel):
    """One session as the caller may see it: the spread only once they may (see the service)."""

    session: BudgetSessionRow
    currency: str
    options: list[BudgetOption]
    facilitator: bool  # coach, admin or owner: sees names and settles
    may_allocate: bool  # invited, a member or more, and the session is open
    my_allocation: dict[str, int]  # option key -> amount ({} until they submitted)
    spread: list[OptionSpread] | None  # None: hidden until the caller submits their own
    spread_hidden_reason: str
    progress: list[StakeholderProgress]  # names to the facilitator only; [] to the others
    settled_split: dict[str, int]  # value stream -> amount, once settled


class AllocationRow(BaseModel):
    """One stakeholder's amount for one option; `stakeholder` is their name to a facilitator,
    "Stakeholder 2" (or "You") to an invited member."""

    stakeholder: str
    option_key: str
    option_label: str
    value_stream: str
    amount: int


class StreamBudgetOrigin(BaseModel):
    """The budgeting session whose settled split the portfolio's stream budgets still are."""

    session_id: int
    name: str
    settled_at: str
