"""A promoted item's initiative records where it came from (the portfolio never asks coaching),
stays current when the plan is renamed or the item deleted, and the migration that introduced
the record copies it for items promoted before."""

from __future__ import annotations

from sqlmodel import select

from alembic import command
from pmo_saas.coaching.models import CoachingAction
from pmo_saas.coaching.services.actions import add_action, delete_action
from pmo_saas.coaching.services.board import promote_to_portfolio
from pmo_saas.coaching.services.plans import create_plan, delete_plan, update_plan
from pmo_saas.db import tenant_session
from pmo_saas.kernel.context import TenantContext
from pmo_saas.manage import alembic_config, migrate
from pmo_saas.portfolio.models import Initiative
from pmo_saas.portfolio.services import portfolios as portfolio
from pmo_saas.portfolio.views import initiatives_view
from tests.coaching import helpers


def _promoted(
    w: helpers.World, *, team: bool = True, portfolio_name: str = "Change"
) -> tuple[int, int, int, int]:
    """(plan id, action id, initiative id, portfolio id) of one promoted organisational item."""
    with tenant_session(w.coach) as session:
        portfolio_id = portfolio.create_portfolio(session=session, ctx=w.coach, name=portfolio_name)
        plan = create_plan(
            session=session,
            ctx=w.coach,
            title="Growth",
            team_id=w.beta if team else None,
            person_user_id=None if team else w.carol.user_id,
        )
        action = add_action(
            session=session,
            ctx=w.coach,
            plan_id=plan.id,
            title="Release budget",
            owner_user_id=w.owner.user_id,
            scope="organisation",
        )
        row = promote_to_portfolio(
            session=session, ctx=w.coach, action_id=action.id, portfolio_id=portfolio_id
        )
    assert row.initiative_id is not None
    return plan.id, action.id, row.initiative_id, portfolio_id


def _origin(ctx: TenantContext, initiative_id: int) -> tuple[str, int | None, str]:
    with tenant_session(ctx) as session:
        initiative = session.get(Initiative, initiative_id)
        assert initiative is not None
        return initiative.origin_kind, initiative.origin_id, initiative.origin_title


def _card_origin(ctx: TenantContext, portfolio_id: int, initiative_id: int) -> str:
    with tenant_session(ctx) as session:
        view = initiatives_view(session=session, ctx=ctx, portfolio_id=portfolio_id)
    return next(c.origin for c in view.cards if c.id == initiative_id)


def test_the_initiative_records_its_origin_and_the_portfolio_shows_it(
    org_a: TenantContext, org_b: TenantContext
) -> None:
    w = helpers.world(org_a)
    _plan, action_id, initiative_id, portfolio_id = _promoted(w)
    assert _origin(org_a, initiative_id) == (
        "coaching_action",
        action_id,
        "coaching plan Growth (team Beta)",
    )
    assert _card_origin(w.viewer, portfolio_id, initiative_id) == (
        "From coaching plan Growth (team Beta)"
    )
    # A personal plan names no team; another organisation's initiatives show no origin.
    _p, _a, personal, _pf = _promoted(helpers.world(org_b), team=False)
    assert _origin(org_b, personal)[2] == "coaching plan Growth"
    with tenant_session(org_a) as session:
        assert session.get(Initiative, personal) is None


def test_renaming_the_plan_and_deleting_the_item_keep_the_origin_current(
    org_a: TenantContext,
) -> None:
    w = helpers.world(org_a)
    plan_id, action_id, initiative_id, portfolio_id = _promoted(w)
    with tenant_session(w.coach) as session:
        update_plan(
            session=session,
            ctx=w.coach,
            plan_id=plan_id,
            title="Growth 2027",
            status="active",
            coach_user_id=w.coach.user_id,
        )
    assert _card_origin(w.coach, portfolio_id, initiative_id) == (
        "From coaching plan Growth 2027 (team Beta)"
    )
    with tenant_session(w.coach) as session:
        delete_action(session=session, ctx=w.coach, action_id=action_id)
    # The initiative stays in the portfolio, no longer "from coaching".
    assert _origin(org_a, initiative_id) == ("", None, "")
    assert _card_origin(w.coach, portfolio_id, initiative_id) == ""

    plan_id, _action, second, _portfolio = _promoted(w, portfolio_name="Later")
    with tenant_session(w.coach) as session:
        delete_plan(session=session, ctx=w.coach, plan_id=plan_id, confirm=True)
    assert _origin(org_a, second) == ("", None, "")


def test_the_migration_copies_the_origin_of_items_promoted_before_it(
    org_a: TenantContext, engine
) -> None:  # type: ignore[no-untyped-def]
    w = helpers.world(org_a)
    _plan, action_id, initiative_id, _portfolio = _promoted(w)
    config = alembic_config()
    try:
        command.downgrade(config, "0100_portfolio")  # the record is gone, coaching keeps its link
        with tenant_session(org_a) as session:
            linked = session.exec(
                select(CoachingAction.initiative_id).where(CoachingAction.id == action_id)
            ).one()
        assert linked == initiative_id
    finally:
        migrate()
    assert _origin(org_a, initiative_id) == (
        "coaching_action",
        action_id,
        "coaching plan Growth (team Beta)",
    )
