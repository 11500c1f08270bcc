"""The leadership board (pages/board.py): organisational growth items across the readable
plans, promoted to the portfolio through `pmo_saas.portfolio.origin`.
"""

from __future__ import annotations

from collections.abc import Sequence

from sqlmodel import Session, col, select

from pmo_saas.coaching import portfolio_link
from pmo_saas.coaching.models import (
    ACTION_DONE,
    SCOPE_ORGANISATION,
    CoachingAction,
    CoachingPlan,
)
from pmo_saas.coaching.schemas import (
    ActionRow,
    BoardItem,
    InitiativeOrigin,
)
from pmo_saas.coaching.services.common import (
    _action_rows,
    _get,
    _plan,
    _readable_plan_ids,
    _require_manage,
    _team_names,
)
from pmo_saas.identity import audit
from pmo_saas.kernel.clock import utcnow
from pmo_saas.kernel.context import TenantContext
from pmo_saas.kernel.errors import Conflict, ValidationFailed


def leadership_board(
    *, session: Session, ctx: TenantContext, include_done: bool = False
) -> list[BoardItem]:
    """Organisational growth items across all (readable) plans: overdue first, then by date."""
    query = select(CoachingAction).where(CoachingAction.scope == SCOPE_ORGANISATION)
    if not include_done:
        query = query.where(CoachingAction.status != ACTION_DONE)
    readable = _readable_plan_ids(session, ctx)
    if readable is not None:
        query = query.where(col(CoachingAction.plan_id).in_(readable))
    actions = session.exec(query.order_by(col(CoachingAction.id))).all()
    plans = {
        p.id: p
        for p in session.exec(
            select(CoachingPlan).where(col(CoachingPlan.id).in_({a.plan_id for a in actions}))
        ).all()
    }
    teams = _team_names(session, (p.team_id for p in plans.values()))
    items = []
    for row in _action_rows(session, ctx, actions):
        plan = plans[row.plan_id]
        items.append(
            BoardItem(
                action=row,
                plan_id=row.plan_id,
                plan_title=plan.title,
                team_id=plan.team_id,
                team_name=teams.get(plan.team_id or 0, ""),
            )
        )
    return sorted(
        items, key=lambda i: (not i.action.overdue, i.action.due_date or "9999", i.action.id)
    )


def promote_to_portfolio(
    *, session: Session, ctx: TenantContext, action_id: int, portfolio_id: int
) -> ActionRow:
    """Make an organisational growth item an initiative in a portfolio, linked both ways."""
    _require_manage(ctx)
    action = _get(session, CoachingAction, action_id, "That action")
    if action.scope != SCOPE_ORGANISATION:
        raise ValidationFailed(
            "Only organisational growth items go to the portfolio; mark it as one first."
        )
    if action.initiative_id is not None:
        raise Conflict("This item is already in the portfolio.")
    plan = _plan(session, action.plan_id)
    team = _team_names(session, [plan.team_id]).get(plan.team_id or 0, "")
    origin = f"team {team}" if team else "a personal coaching plan"
    initiative_id = portfolio_link.create_initiative(
        session=session,
        ctx=ctx,
        portfolio_id=portfolio_id,
        title=action.title,
        description=(
            f"Organisational growth item from the coaching plan “{plan.title}” ({origin})."
        ),
        action_id=action_id,
        origin=portfolio_link.origin_title(plan.title, team),
    )
    action.initiative_id = initiative_id
    action.promoted_at = utcnow()
    action.updated_at = utcnow()
    session.add(action)
    session.flush()
    audit.record(
        session=session,
        ctx=ctx,
        action="coaching.item_promoted",
        target=action.title,
        detail=f"initiative {initiative_id} in portfolio {portfolio_id}",
    )
    return _action_rows(session, ctx, [action])[0]


def initiative_origins(
    *, session: Session, ctx: TenantContext, initiative_ids: Sequence[int]
) -> dict[int, InitiativeOrigin]:
    """For the portfolio: which initiatives came from coaching, and from which plan and team."""
    if not initiative_ids:
        return {}
    actions = session.exec(
        select(CoachingAction).where(col(CoachingAction.initiative_id).in_(list(initiative_ids)))
    ).all()
    plans = {
        p.id: p
        for p in session.exec(
            select(CoachingPlan).where(col(CoachingPlan.id).in_({a.plan_id for a in actions}))
        ).all()
    }
    teams = _team_names(session, (p.team_id for p in plans.values()))
    origins = {}
    for a in actions:
        plan = plans[a.plan_id]
        assert a.initiative_id is not None and a.id is not None and plan.id is not None
        origins[a.initiative_id] = InitiativeOrigin(
            initiative_id=a.initiative_id,
            action_id=a.id,
            action_title=a.title,
            plan_id=plan.id,
            plan_title=plan.title,
            team_id=plan.team_id,
            team_name=teams.get(plan.team_id or 0, ""),
        )
    return origins


def initiative_origin(
    *, session: Session, ctx: TenantContext, initiative_id: int
) -> InitiativeOrigin | None:
    return initiative_origins(session=session, ctx=ctx, initiative_ids=[initiative_id]).get(
        initiative_id
    )
