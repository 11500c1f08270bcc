"""What identity asks of the organisation's plan, without importing billing.

Billing reads identity (members, invitations, the audit log, the page state), so identity may
not import billing back. Instead billing registers its answers here when
`pmo_saas.billing.entitlements` is imported (as it registers the read-only write guard with
db.py); `pmo_saas.models` imports it, so every process that has the tables has the rules.
A call before any registration fails loudly rather than letting a write skip the plan.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from sqlmodel import Session

from pmo_saas.kernel.context import TenantContext


class TenantCheck(Protocol):
    def __call__(self, *, session: Session, ctx: TenantContext) -> None: ...


class SeatsChanged(Protocol):
    def __call__(self, *, session: Session, org_id: int) -> None: ...


@dataclass(frozen=True, slots=True)
class PlanRules:
    check_writable: TenantCheck  # raises ReadOnly while the workspace is read-only
    check_can_add_member: TenantCheck  # raises LimitReached when the plan has no seat left
    check_sso_allowed: TenantCheck  # raises LimitReached unless the plan includes SSO
    seats_changed: SeatsChanged  # membership changed: the billed seats follow


_registered: list[PlanRules] = []


def register(rules: PlanRules) -> None:
    _registered[:] = [rules]


def _rules() -> PlanRules:
    if not _registered:
        raise RuntimeError("no plan rules registered (import pmo_saas.billing.entitlements)")
    return _registered[0]


def check_writable(*, session: Session, ctx: TenantContext) -> None:
    _rules().check_writable(session=session, ctx=ctx)


def check_can_add_member(*, session: Session, ctx: TenantContext) -> None:
    _rules().check_can_add_member(session=session, ctx=ctx)


def check_sso_allowed(*, session: Session, ctx: TenantContext) -> None:
    _rules().check_sso_allowed(session=session, ctx=ctx)


def seats_changed(*, session: Session, org_id: int) -> None:
    _rules().seats_changed(session=session, org_id=org_id)
