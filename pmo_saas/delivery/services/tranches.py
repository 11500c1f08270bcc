"""Incremental funding through the DSDM gates: a funded initiative's budget in tranches.

The first tranche is released when the plan is adopted; each later one by a gate review that
lets the initiative go on (proceed, proceed with conditions, iterate); a gate that stops it
stops every tranche not yet released; hold releases nothing. Spend beyond what was released
is flagged. Governance reaches `release_on_gate` through kernel/gates.py (no import back).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

from sqlalchemy import func
from sqlmodel import Session, col, select

from pmo_saas.delivery.plan_models import (
    PLANNED,
    RELEASED,
    STOPPED,
    FundingTranche,
    InitiativePlan,
    SpendEntry,
)
from pmo_saas.delivery.plan_schemas import TrancheCheck, TrancheRow
from pmo_saas.delivery.services._common import initiative_in_org
from pmo_saas.identity import audit
from pmo_saas.kernel.clock import utcnow
from pmo_saas.kernel.context import TenantContext
from pmo_saas.kernel.errors import NotFound, ValidationFailed
from pmo_saas.kernel.gates import GateDecided, on_gate
from pmo_saas.kernel.roles import Role
from pmo_saas.portfolio.fields import clean_money

GOES_ON = ("proceed", "proceed_with_conditions", "iterate")
FUND_MESSAGE = "Only coaches, admins and owners change an initiative's funding tranches."


def plan_of(session: Session, initiative_id: int) -> InitiativePlan:
    row = session.exec(
        select(InitiativePlan).where(InitiativePlan.initiative_id == initiative_id)
    ).first()
    if row is None:
        raise NotFound("That initiative's delivery plan")
    return row


def tranches_of(session: Session, initiative_id: int) -> list[FundingTranche]:
    return list(
        session.exec(
            select(FundingTranche)
            .where(FundingTranche.initiative_id == initiative_id)
            .order_by(col(FundingTranche.position))
        ).all()
    )


def split_evenly(budget: int, count: int) -> list[int]:
    """`count` whole amounts adding up to `budget` (the remainder on the last)."""
    base = budget // count
    return [base] * (count - 1) + [budget - base * (count - 1)]


def write_tranches(
    session: Session, initiative_id: int, amounts: Sequence[int], *, released_on: date
) -> None:
    """Replace the initiative's tranches; the first is released on `released_on`."""
    for old in tranches_of(session, initiative_id):
        session.delete(old)
    session.flush()
    for position, amount in enumerate(amounts, start=1):
        first = position == 1
        session.add(
            FundingTranche(
                initiative_id=initiative_id,
                position=position,
                amount=amount,
                status=RELEASED if first else PLANNED,
                released_on=released_on if first else None,
            )
        )


def set_tranches(
    *, session: Session, ctx: TenantContext, initiative_id: int, amounts: Sequence[object]
) -> None:
    """Re-split what is not released yet: released tranches stay, the amounts replace the
    planned ones, and everything must add up to the planned budget."""
    ctx.require(Role.COACH, FUND_MESSAGE)
    initiative = initiative_in_org(session, initiative_id)
    plan = plan_of(session, initiative_id)
    clean = [clean_money(a, what="tranche amount", required=True) or 0 for a in amounts]
    if not clean or any(a <= 0 for a in clean):
        raise ValidationFailed("Give each tranche a positive amount.", field="amounts")
    existing = tranches_of(session, initiative_id)
    kept = [t for t in existing if t.status == RELEASED]
    if any(t.status == STOPPED for t in existing):
        raise ValidationFailed("This initiative's funding was stopped at a gate.")
    total = sum(t.amount for t in kept) + sum(clean)
    if total != plan.planned_budget:
        raise ValidationFailed(
            f"The tranches add up to {total:,}, the planned budget is "
            f"{plan.planned_budget:,} (released so far: {sum(t.amount for t in kept):,}).",
            field="amounts",
        )
    for old in existing:
        if old.status == PLANNED:
            session.delete(old)
    session.flush()
    for position, amount in enumerate(clean, start=len(kept) + 1):
        session.add(FundingTranche(initiative_id=initiative_id, position=position, amount=amount))
    audit.record(
        session=session,
        ctx=ctx,
        action="delivery.tranches_set",
        target=initiative.title,
        detail=", ".join(f"{a:,}" for a in clean),
    )


@on_gate
def release_on_gate(session: Session, decided: GateDecided) -> None:
    """The gate's decision applied to the initiative's tranches (nothing without a plan)."""
    planned = [t for t in tranches_of(session, decided.initiative_id) if t.status == PLANNED]
    if not planned:
        return
    if decided.decision in GOES_ON:
        nxt = planned[0]
        nxt.status, nxt.released_on = RELEASED, decided.decided_on
        nxt.gate_review_id = decided.gate_review_id
        session.add(nxt)
    elif decided.decision == "stop":
        for t in planned:
            t.status, t.gate_review_id = STOPPED, decided.gate_review_id
            session.add(t)
    plan = session.exec(
        select(InitiativePlan).where(InitiativePlan.initiative_id == decided.initiative_id)
    ).first()
    if plan is not None:
        plan.updated_at = utcnow()
        session.add(plan)


def spent_total(session: Session, initiative_id: int) -> int:
    total = session.exec(
        select(func.coalesce(func.sum(SpendEntry.amount), 0)).where(
            SpendEntry.initiative_id == initiative_id
        )
    ).one()
    return int(total)


def check_tranches(
    planned_budget: int, tranches: Sequence[FundingTranche], spent: int
) -> TrancheCheck:
    released = sum(t.amount for t in tranches if t.status == RELEASED)
    stopped = sum(t.amount for t in tranches if t.status == STOPPED)
    over = max(spent - released, 0)
    if over:
        message = f"Spend is {over:,} beyond the {released:,} released so far."
    elif tranches:
        message = f"{spent:,} spent of {released:,} released."
    else:
        message = "No funding tranches yet."
    return TrancheCheck(
        planned_budget=planned_budget,
        released=released,
        stopped=stopped,
        spent=spent,
        over_released=over,
        flagged=over > 0,
        message=message,
    )


def tranche_rows(tranches: Sequence[FundingTranche]) -> list[TrancheRow]:
    return [
        TrancheRow(
            position=t.position,
            amount=t.amount,
            status=t.status,
            released_on=t.released_on.isoformat() if t.released_on else "",
            gate_review_id=t.gate_review_id,
        )
        for t in tranches
    ]
