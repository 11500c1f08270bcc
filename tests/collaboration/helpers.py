"""Collaboration test data: a portfolio with an initiative, two teams with their plans."""

from __future__ import annotations

from dataclasses import dataclass

from pmo_saas.coaching.services import plans as coaching_plans
from pmo_saas.collaboration.services import comments
from pmo_saas.db import tenant_session
from pmo_saas.kernel.context import TenantContext
from pmo_saas.kernel.roles import Role
from tests import factories
from tests.portfolio.builders import make_initiative, make_portfolio


@dataclass
class World:
    owner: TenantContext
    ann: TenantContext  # member of team A
    bob: TenantContext  # member of team B
    coach: TenantContext
    team_a: int
    team_b: int
    plan_a: int
    plan_b: int
    initiative: int


def world(owner: TenantContext) -> World:
    ann = factories.make_member(owner, Role.MEMBER, name="Ann Able")
    bob = factories.make_member(owner, Role.MEMBER, name="Bob Baker")
    coach = factories.make_member(owner, Role.COACH, name="Cora Coach")
    team_a = factories.make_team(owner, "Team A", [ann])
    team_b = factories.make_team(owner, "Team B", [bob])
    with tenant_session(owner) as session:
        plan_a = coaching_plans.create_plan(
            session=session, ctx=owner, title="A's plan", team_id=team_a
        ).id
        plan_b = coaching_plans.create_plan(
            session=session, ctx=owner, title="B's plan", team_id=team_b
        ).id
    initiative = make_initiative(owner, make_portfolio(owner), "Checkout")
    return World(owner, ann, bob, coach, team_a, team_b, plan_a, plan_b, initiative)


def post(
    ctx: TenantContext, kind: str, target_id: int, body: str, parent: int | None = None
) -> int:
    with tenant_session(ctx) as session:
        return comments.post_comment(
            session=session,
            ctx=ctx,
            target_kind=kind,
            target_id=target_id,
            body=body,
            parent_id=parent,
        )


def mention(ctx: TenantContext) -> str:
    return f"@[someone](user:{ctx.user_id})"
