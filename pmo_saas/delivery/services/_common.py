"""Role checks and look-ups (inside the caller's organisation) shared by delivery services."""

from __future__ import annotations

from sqlmodel import Session

from pmo_saas.db import get_in_org
from pmo_saas.delivery.models import WorkItem
from pmo_saas.kernel.roles import Role
from pmo_saas.portfolio.models import Initiative, Portfolio

WRITE = Role.MEMBER
WRITE_MESSAGE = "Viewers read delivery; members and above add and move work items."
IMPORT = Role.COACH
IMPORT_MESSAGE = "Only coaches, admins and owners import work items."


def initiative_in_org(session: Session, initiative_id: int) -> Initiative:
    return get_in_org(session, Initiative, initiative_id, "That initiative")


def portfolio_in_org(session: Session, portfolio_id: int) -> Portfolio:
    return get_in_org(session, Portfolio, portfolio_id, "That portfolio")


def work_item_in_org(session: Session, work_item_id: int) -> WorkItem:
    return get_in_org(session, WorkItem, work_item_id, "That work item")


def day_text(value: object) -> str:
    """A stored time as its UTC day (YYYY-MM-DD), or "" when not set."""
    return value.date().isoformat() if hasattr(value, "date") and value is not None else ""
