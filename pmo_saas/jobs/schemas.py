"""Plain data for the admin page (never ORM rows, never another organisation's data)."""

from __future__ import annotations

from pydantic import BaseModel


class JobStatusRow(BaseModel):
    name: str
    title: str
    schedule: str
    last_run: str  # "" when it never ran
    outcome: str  # "ok", "failed", "running" or "never run"
    next_run: str
