"""Portfolios, initiatives, scores, scoring rounds, scenarios, published plans, risks, and each
initiative's governance: its DSDM lifecycle, stage-gate reviews and decisions log.

A score that has not been given is a missing `Score` row ("not scored"), never a 0.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import ClassVar

from sqlalchemy import BigInteger, Column, String, Text, UniqueConstraint
from sqlmodel import Field

from pmo_saas.db import TenantOwned
from pmo_saas.kernel.clock import utcnow


class Portfolio(TenantOwned, table=True):
    refused_when_read_only: ClassVar[bool] = True
    __table_args__ = (UniqueConstraint("org_id", "name"),)

    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(max_length=120)
    description: str = Field(default="", sa_column=Column(Text, nullable=False, default=""))
    scoring_model: str = Field(default="wsjf", sa_type=String(16))
    # Whole currency units; None until a budget is set.
    budget: int | None = Field(default=None, sa_type=BigInteger)
    currency: str = Field(default="EUR", max_length=3)
    created_at: datetime = Field(default_factory=utcnow)
    archived_at: datetime | None = None


class StreamBudget(TenantOwned, table=True):
    """A share of the portfolio budget reserved for one value stream (participatory budgeting)."""

    refused_when_read_only: ClassVar[bool] = True

    __table_args__ = (UniqueConstraint("org_id", "portfolio_id", "value_stream"),)

    id: int | None = Field(default=None, primary_key=True)
    portfolio_id: int = Field(foreign_key="portfolio.id", index=True, ondelete="CASCADE")
    value_stream: str = Field(max_length=120)
    amount: int = Field(sa_type=BigInteger)


class Initiative(TenantOwned, table=True):
    refused_when_read_only: ClassVar[bool] = True
    __table_args__ = (UniqueConstraint("org_id", "portfolio_id", "title"),)

    id: int | None = Field(default=None, primary_key=True)
    portfolio_id: int = Field(foreign_key="portfolio.id", index=True, ondelete="CASCADE")
    title: str = Field(max_length=200)
    description: str = Field(default="", sa_column=Column(Text, nullable=False, default=""))
    owner: str = Field(default="", max_length=120)
    value_stream: str = Field(default="", max_length=120)
    status: str = Field(default="funnel", sa_type=String(16), index=True)
    cost: int | None = Field(default=None, sa_type=BigInteger)
    start_date: date | None = None
    end_date: date | None = None
    moscow: str | None = Field(default=None, sa_type=String(8))
    # Comma-separated, lower-case, sorted.
    tags: str = Field(default="", max_length=500)
    manual_rank: int | None = None
    manual_rank_reason: str = Field(default="", max_length=500)
    created_at: datetime = Field(default_factory=utcnow)
    updated_at: datetime = Field(default_factory=utcnow)
    archived_at: datetime | None = None
    # Set by the domain that created it (see portfolio/origin.py): e.g. "coaching_action", the
    # item's id, and the text shown after "From ..." (the portfolio never imports that domain).
    origin_kind: str = Field(default="", max_length=40)
    origin_id: int | None = None
    origin_title: str = Field(default="", max_length=300)


class Dependency(TenantOwned, table=True):
    """`initiative_id` cannot be funded without `depends_on_id`."""

    refused_when_read_only: ClassVar[bool] = True

    __table_args__ = (UniqueConstraint("org_id", "initiative_id", "depends_on_id"),)

    id: int | None = Field(default=None, primary_key=True)
    initiative_id: int = Field(foreign_key="initiative.id", index=True, ondelete="CASCADE")
    depends_on_id: int = Field(foreign_key="initiative.id", index=True, ondelete="CASCADE")


class Criterion(TenantOwned, table=True):
    """A custom criterion of the weighted-criteria model."""

    refused_when_read_only: ClassVar[bool] = True

    __table_args__ = (UniqueConstraint("org_id", "portfolio_id", "name"),)

    id: int | None = Field(default=None, primary_key=True)
    portfolio_id: int = Field(foreign_key="portfolio.id", index=True, ondelete="CASCADE")
    name: str = Field(max_length=80)
    weight: float = 1.0
    scale_min: int = 1
    scale_max: int = 5
    position: int = 0


class Score(TenantOwned, table=True):
    """One settled input of one initiative (`key` names the input, e.g. `job_size`, `c12`)."""

    refused_when_read_only: ClassVar[bool] = True

    __table_args__ = (UniqueConstraint("org_id", "initiative_id", "key"),)

    id: int | None = Field(default=None, primary_key=True)
    initiative_id: int = Field(foreign_key="initiative.id", index=True, ondelete="CASCADE")
    key: str = Field(max_length=32)
    value: float
    updated_at: datetime = Field(default_factory=utcnow)


class ScoringRound(TenantOwned, table=True):
    refused_when_read_only: ClassVar[bool] = True
    id: int | None = Field(default=None, primary_key=True)
    portfolio_id: int = Field(foreign_key="portfolio.id", index=True, ondelete="CASCADE")
    name: str = Field(max_length=120)
    status: str = Field(default="open", sa_type=String(16))
    # JSON lists fixed when the round opens.
    keys_json: str = Field(default="[]", sa_column=Column(Text, nullable=False, default="[]"))
    initiative_ids_json: str = Field(
        default="[]", sa_column=Column(Text, nullable=False, default="[]")
    )
    opened_by_id: int | None = Field(default=None, foreign_key="user.id", ondelete="SET NULL")
    created_at: datetime = Field(default_factory=utcnow)
    settled_at: datetime | None = None


class RoundScorer(TenantOwned, table=True):
    refused_when_read_only: ClassVar[bool] = True
    __table_args__ = (UniqueConstraint("org_id", "round_id", "user_id"),)

    id: int | None = Field(default=None, primary_key=True)
    round_id: int = Field(foreign_key="scoringround.id", index=True, ondelete="CASCADE")
    user_id: int = Field(foreign_key="user.id", index=True, ondelete="CASCADE")


class RoundScore(TenantOwned, table=True):
    """One scorer's private score, hidden from the others until the round is settled."""

    refused_when_read_only: ClassVar[bool] = True

    __table_args__ = (UniqueConstraint("org_id", "round_id", "user_id", "initiative_id", "key"),)

    id: int | None = Field(default=None, primary_key=True)
    round_id: int = Field(foreign_key="scoringround.id", index=True, ondelete="CASCADE")
    user_id: int = Field(foreign_key="user.id", index=True, ondelete="CASCADE")
    initiative_id: int = Field(foreign_key="initiative.id", ondelete="CASCADE")
    key: str = Field(max_length=32)
    value: float
    created_at: datetime = Field(default_factory=utcnow)


class Scenario(TenantOwned, table=True):
    """A named what-if: a budget and initiatives forced in or out."""

    refused_when_read_only: ClassVar[bool] = True

    __table_args__ = (UniqueConstraint("org_id", "portfolio_id", "name"),)

    id: int | None = Field(default=None, primary_key=True)
    portfolio_id: int = Field(foreign_key="portfolio.id", index=True, ondelete="CASCADE")
    name: str = Field(max_length=120)
    budget: int = Field(sa_type=BigInteger)
    # JSON object {initiative_id: "in" | "out"}.
    overrides_json: str = Field(default="{}", sa_column=Column(Text, nullable=False, default="{}"))
    created_at: datetime = Field(default_factory=utcnow)


class PublishedPlan(TenantOwned, table=True):
    """A scenario published as the plan: a dated, frozen snapshot of its funding result."""

    refused_when_read_only: ClassVar[bool] = True

    id: int | None = Field(default=None, primary_key=True)
    portfolio_id: int = Field(foreign_key="portfolio.id", index=True, ondelete="CASCADE")
    scenario_id: int | None = Field(default=None, foreign_key="scenario.id", ondelete="SET NULL")
    scenario_name: str = Field(max_length=120)
    published_by_id: int | None = Field(default=None, foreign_key="user.id", ondelete="SET NULL")
    published_at: datetime = Field(default_factory=utcnow, index=True)
    snapshot_json: str = Field(sa_column=Column(Text, nullable=False))


class Risk(TenantOwned, table=True):
    refused_when_read_only: ClassVar[bool] = True
    id: int | None = Field(default=None, primary_key=True)
    portfolio_id: int = Field(foreign_key="portfolio.id", index=True, ondelete="CASCADE")
    initiative_id: int | None = Field(
        default=None, foreign_key="initiative.id", index=True, ondelete="CASCADE"
    )
    title: str = Field(max_length=200)
    probability: int
    impact: int
    owner: str = Field(default="", max_length=120)
    mitigation: str = Field(default="", sa_column=Column(Text, nullable=False, default=""))
    status: str = Field(default="open", sa_type=String(16))
    created_at: datetime = Field(default_factory=utcnow)
    updated_at: datetime = Field(default_factory=utcnow)


# ---------------------------------------------------------------- governance (DSDM)
# Tables created by the dashboard migration branch (0700), where they started: same names.


class InitiativeLifecycle(TenantOwned, table=True):
    """Where an initiative stands in the DSDM lifecycle (one row per initiative)."""

    __table_args__ = (UniqueConstraint("org_id", "initiative_id"),)

    id: int | None = Field(default=None, primary_key=True)
    initiative_id: int = Field(foreign_key="initiative.id", index=True, ondelete="CASCADE")
    stage: str = Field(default="pre_project", sa_type=String(32))
    # active, on_hold, stopped, completed
    status: str = Field(default="active", sa_type=String(16), index=True)
    updated_at: datetime = Field(default_factory=utcnow)


class GateReview(TenantOwned, table=True):
    refused_when_read_only: ClassVar[bool] = True
    id: int | None = Field(default=None, primary_key=True)
    initiative_id: int = Field(foreign_key="initiative.id", index=True, ondelete="CASCADE")
    # The stage whose gate was reviewed, and where the initiative went.
    stage: str = Field(sa_type=String(32))
    next_stage: str = Field(sa_type=String(32))
    decision: str = Field(sa_type=String(24))
    decided_on: date
    # Names of the approvers, one per line.
    approvers: str = Field(sa_column=Column(Text, nullable=False))
    conditions: str = Field(default="", sa_column=Column(Text, nullable=False, default=""))
    recorded_by_id: int | None = Field(default=None, foreign_key="user.id", ondelete="SET NULL")
    created_at: datetime = Field(default_factory=utcnow)


class GovernanceDecision(TenantOwned, table=True):
    refused_when_read_only: ClassVar[bool] = True
    id: int | None = Field(default=None, primary_key=True)
    initiative_id: int = Field(foreign_key="initiative.id", index=True, ondelete="CASCADE")
    gate_review_id: int | None = Field(
        default=None, foreign_key="gatereview.id", ondelete="SET NULL"
    )
    decided_on: date
    title: str = Field(max_length=200)
    rationale: str = Field(default="", sa_column=Column(Text, nullable=False, default=""))
    decided_by: str = Field(default="", max_length=200)
    recorded_by_id: int | None = Field(default=None, foreign_key="user.id", ondelete="SET NULL")
    created_at: datetime = Field(default_factory=utcnow)


# ---------------------------------------------------------------- participatory budgeting


class BudgetSession(TenantOwned, table=True):
    """A facilitator's participatory-budgeting session: invited stakeholders each split `total`
    across the options fixed at opening (value streams, or initiatives); the settled split
    becomes the portfolio's stream budgets (services/budgeting.py)."""

    refused_when_read_only: ClassVar[bool] = True

    id: int | None = Field(default=None, primary_key=True)
    portfolio_id: int = Field(foreign_key="portfolio.id", index=True, ondelete="CASCADE")
    name: str = Field(max_length=120)
    total: int = Field(sa_type=BigInteger)
    basis: str = Field(default="streams", sa_type=String(16))  # "streams" | "initiatives"
    # JSON list of the options, fixed when it opens: [{"key", "label", "stream"}].
    options_json: str = Field(default="[]", sa_column=Column(Text, nullable=False, default="[]"))
    status: str = Field(default="open", sa_type=String(16))  # open, settled, cancelled
    opened_by_id: int | None = Field(default=None, foreign_key="user.id", ondelete="SET NULL")
    created_at: datetime = Field(default_factory=utcnow)
    settled_at: datetime | None = None
    settled_by_id: int | None = Field(default=None, foreign_key="user.id", ondelete="SET NULL")
    # JSON object {value stream: amount}: the split settled (the stream budgets it wrote).
    settled_json: str = Field(default="{}", sa_column=Column(Text, nullable=False, default="{}"))


class BudgetStakeholder(TenantOwned, table=True):
    refused_when_read_only: ClassVar[bool] = True
    __table_args__ = (UniqueConstraint("org_id", "session_id", "user_id"),)

    id: int | None = Field(default=None, primary_key=True)
    session_id: int = Field(foreign_key="budgetsession.id", index=True, ondelete="CASCADE")
    user_id: int = Field(foreign_key="user.id", index=True, ondelete="CASCADE")
    submitted_at: datetime | None = None  # None until they saved an allocation


class BudgetAllocation(TenantOwned, table=True):
    """One stakeholder's amount for one option of a session (their whole split sums to the
    session's total)."""

    refused_when_read_only: ClassVar[bool] = True
    __table_args__ = (UniqueConstraint("org_id", "session_id", "user_id", "option_key"),)

    id: int | None = Field(default=None, primary_key=True)
    session_id: int = Field(foreign_key="budgetsession.id", index=True, ondelete="CASCADE")
    user_id: int = Field(foreign_key="user.id", index=True, ondelete="CASCADE")
    option_key: str = Field(max_length=120)
    amount: int = Field(sa_type=BigInteger)
