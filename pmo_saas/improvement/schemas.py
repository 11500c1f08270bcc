"""What the improvement pages and the REST API show: plain rows, never ORM objects."""

from __future__ import annotations

from pydantic import BaseModel


class ImprovementRow(BaseModel):
    id: int
    title: str
    detail: str
    source: str
    source_label: str
    # The PMO feedback round (and statement) it answers; empty for a retrospective's item.
    survey_id: int | None
    round_label: str
    question_key: str
    question_label: str
    retro: str
    status: str
    status_label: str
    owner_user_id: int | None
    owner_name: str
    created_at: str
    updated_at: str


class Choice(BaseModel):
    value: str
    label: str
