"""System tables of the job runner: not tenant-owned (a run spans every organisation)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Column, Text
from sqlmodel import Field, SQLModel

OUTCOME_RUNNING = "running"
OUTCOME_OK = "ok"
OUTCOME_FAILED = "failed"


class JobRun(SQLModel, table=True):
    """One run of one job; "running" until it finishes (left so if the worker was killed)."""

    id: int | None = Field(default=None, primary_key=True)
    job: str = Field(max_length=64, index=True)
    started_at: datetime = Field(index=True)
    finished_at: datetime | None = None
    outcome: str = Field(default=OUTCOME_RUNNING, max_length=16)
    items: int = 0
    # Operators' detail (may name organisations): never shown on an organisation's page.
    detail: str = Field(default="", sa_column=Column(Text, nullable=False, server_default=""))


class JobLock(SQLModel, table=True):
    """A lease per job, so two workers never run one job at once; it expires by itself, so a
    worker killed mid-run blocks the job only until `locked_until`."""

    job: str = Field(max_length=64, primary_key=True)
    holder: str = Field(default="", max_length=64)
    locked_until: datetime | None = None
