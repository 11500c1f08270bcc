"""Plain data handed from delivery services to states and pages (never ORM rows)."""

from __future__ import annotations

from pydantic import BaseModel


class WorkItemRow(BaseModel):
    id: int
    initiative_id: int
    initiative_title: str
    kind: str
    kind_label: str
    title: str
    status: str
    status_label: str
    estimate: str
    created: str
    started: str
    done: str


class MoveRow(BaseModel):
    at: str
    what: str  # the initiative or the work item's title
    from_label: str
    to_label: str
    by: str
    source: str


class WeekPoint(BaseModel):
    week: str  # its Monday, YYYY-MM-DD
    done: int


class CyclePoint(BaseModel):
    done: str  # YYYY-MM-DD
    days: float
    title: str


class CfdPoint(BaseModel):
    day: str
    backlog: int
    ready: int
    doing: int
    waiting: int
    done: int


class Figures(BaseModel):
    """Percentiles as text ("4.5 days", "-"), ready for the page and its tables."""

    done_items: int
    open_items: int
    cycle: dict[str, str]  # "50" / "85" / "95" -> text
    lead: dict[str, str]
    wip: int
    wip_age_median: str
    wip_age_oldest: str
    efficiency: str


class ForecastView(BaseModel):
    remaining: int
    enough: bool
    message: str
    dates: dict[str, str]  # "50" / "85" / "95" -> YYYY-MM-DD ("" beyond ten years)
    history: list[int]
    sentence: str  # "The remaining 42 items: 50% by 3 March 2027, 85% by 24 March 2027."


class InitiativeDelivery(BaseModel):
    id: int
    title: str
    status: str  # its portfolio board column
    done_items: int
    open_items: int
    planned_end: str


class FlowView(BaseModel):
    scope: str  # the initiative's title, or the portfolio's (and value stream)
    planned_end: str  # the initiative's end date (or the latest of the portfolio's), or ""
    figures: Figures
    throughput: list[WeekPoint]
    cycle_points: list[CyclePoint]
    cfd: list[CfdPoint]
    forecast: ForecastView
    value_streams: list[str] = []
    initiatives: list[InitiativeDelivery] = []


class StatusChangeRow(BaseModel):
    """One recorded move, for the REST API and the CSV export (times in UTC, ISO 8601)."""

    at: str
    initiative_id: int
    work_item_id: int | None  # None: the initiative itself moved on the portfolio board
    external_key: str  # "PROJ-12" / "#12" when synced, else ""
    title: str
    from_status: str  # "" for the first
    to_status: str
    by: str  # the person's name, or "" (an import or a sync)
    source: str  # board, manual, import, jira or github
