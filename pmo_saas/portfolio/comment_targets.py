"""The portfolio's objects people can comment on (collaboration/targets.py): initiatives,
scoring rounds, funding scenarios, risks and gate reviews. Every member of the organisation
reads the portfolio, so each is visible to whoever finds it inside their organisation; a
budgeting session only to its facilitators and stakeholders."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sqlmodel import Session

from pmo_saas.collaboration.targets import register_target
from pmo_saas.kernel.context import TenantContext
from pmo_saas.portfolio.models import (
    BudgetSession,
    GateReview,
    Initiative,
    Risk,
    Scenario,
    ScoringRound,
)
from pmo_saas.portfolio.services import budgeting

_INT_MAX = 2**31 - 1


def _exists(cls: type[Any]) -> Callable[[Session, TenantContext, int], bool]:
    def can_see(session: Session, ctx: TenantContext, object_id: int) -> bool:
        # The tenant session finds only ctx's organisation's rows.
        return 0 < object_id <= _INT_MAX and session.get(cls, object_id) is not None

    return can_see


def _initiative(session: Session, object_id: int) -> tuple[str, str]:
    row = session.get(Initiative, object_id)
    return (row.title if row else "", f"/dashboard/governance/{object_id}")


def _round(session: Session, object_id: int) -> tuple[str, str]:
    row = session.get(ScoringRound, object_id)
    assert row is not None
    return row.name, f"/portfolio/p/{row.portfolio_id}/rounds/{object_id}"


def _scenario(session: Session, object_id: int) -> tuple[str, str]:
    row = session.get(Scenario, object_id)
    assert row is not None
    return row.name, f"/portfolio/p/{row.portfolio_id}/funding"


def _risk(session: Session, object_id: int) -> tuple[str, str]:
    row = session.get(Risk, object_id)
    assert row is not None
    return row.title, f"/portfolio/p/{row.portfolio_id}/risks"


def _gate_review(session: Session, object_id: int) -> tuple[str, str]:
    row = session.get(GateReview, object_id)
    assert row is not None
    title = _initiative(session, row.initiative_id)[0]
    return f"{title}: {row.stage} gate", f"/dashboard/governance/{row.initiative_id}"


_KINDS = (
    ("initiative", "initiative", Initiative, _initiative),
    ("scoring_round", "scoring round", ScoringRound, _round),
    ("scenario", "funding scenario", Scenario, _scenario),
    ("risk", "risk", Risk, _risk),
    ("gate_review", "gate review", GateReview, _gate_review),
)
for kind, label, cls, describe in _KINDS:
    register_target(
        kind, label=label, can_see=_exists(cls), describe=describe, open_to_members=True
    )


def _budget_session(session: Session, object_id: int) -> tuple[str, str]:
    row = session.get(BudgetSession, object_id)
    assert row is not None
    return row.name, f"/portfolio/p/{row.portfolio_id}/budgeting/{object_id}"


# A budgeting session is no open portfolio object: its facilitators and invited stakeholders
# only (services/budgeting.py), and its thread with it.
register_target(
    "budget_session",
    label="budgeting session",
    can_see=lambda session, ctx, object_id: (
        0 < object_id <= _INT_MAX and budgeting.can_see_session(session, ctx, object_id)
    ),
    describe=_budget_session,
)
