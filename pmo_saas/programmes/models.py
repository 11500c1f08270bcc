"""Programmes and the initiatives grouped into them.

- `Programme`: a group of initiatives of one portfolio (so one currency), with its own budget
  and owner; its status, funding, risks, delivery and capacity are rolled up from them.
- `ProgrammeInitiative`: an initiative in a programme; an initiative is in one at most.
"""

from __future__ import annotations

from datetime import datetime
from typing import ClassVar

from sqlalchemy import BigInteger, Column, Text, UniqueConstraint
from sqlmodel import Field

from pmo_saas.db import TenantOwned
from pmo_saas.kernel.clock import utcnow


class Programme(TenantOwned, table=True):
    refused_when_read_only: ClassVar[bool] = True
    __table_args__ = (UniqueConstraint("org_id", "name"),)

    id: int | None = Field(default=None, primary_key=True)
    portfolio_id: int = Field(foreign_key="portfolio.id", index=True, ondelete="CASCADE")
    name: str = Field(max_length=120)
    description: str = Field(default="", sa_column=Column(Text, nullable=False, default=""))
    owner: str = Field(default="", max_length=120)
    budget: int | None = Field(default=None, sa_type=BigInteger)
    created_at: datetime = Field(default_factory=utcnow)


class ProgrammeInitiative(TenantOwned, table=True):
    refused_when_read_only: ClassVar[bool] = True
    __table_args__ = (UniqueConstraint("org_id", "initiative_id"),)

    id: int | None = Field(default=None, primary_key=True)
    programme_id: int = Field(foreign_key="programme.id", index=True, ondelete="CASCADE")
    initiative_id: int = Field(foreign_key="initiative.id", index=True, ondelete="CASCADE")
