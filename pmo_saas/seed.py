"""The demo organisation: created once, found again on every later run (idempotent)."""

from __future__ import annotations

import importlib
import os
from collections.abc import Callable
from typing import Any

from sqlmodel import select

import pmo_saas.models  # noqa: F401  (every table, and billing's plan rules identity asks)
from pmo_saas.db import system_session, tenant_session
from pmo_saas.identity import services as identity
from pmo_saas.identity.models import Membership, Organization, TeamMember, User
from pmo_saas.identity.security import hash_password
from pmo_saas.kernel.clock import utcnow
from pmo_saas.kernel.context import TenantContext
from pmo_saas.kernel.roles import Role
from pmo_saas.settings import get_settings

DEMO_SLUG = "demo"
DEMO_OWNER = "owner@demo.pmo-saas.test"
DEMO_PASSWORD_ENV = "PMO_DEMO_PASSWORD"  # noqa: S105 (a variable name)
DEFAULT_DEMO_PASSWORD = "demo-agile-pmo-2026"  # noqa: S105 (development demo only)

PEOPLE = [
    # email local part, name, role, team
    ("coach", "Carla Coach", Role.COACH, None),
    ("admin", "Adam Admin", Role.ADMIN, None),
    ("viewer", "Vera Viewer", Role.VIEWER, None),
    ("nina", "Nina Nakamura", Role.MEMBER, "Checkout"),
    ("omar", "Omar Okafor", Role.MEMBER, "Checkout"),
    ("pia", "Pia Petersen", Role.MEMBER, "Checkout"),
    ("raj", "Raj Rao", Role.MEMBER, "Checkout"),
    ("sara", "Sara Svensson", Role.MEMBER, "Checkout"),
    ("tom", "Tom Tanaka", Role.MEMBER, "Payments"),
    ("uma", "Uma Usman", Role.MEMBER, "Payments"),
    ("vic", "Vic Varga", Role.MEMBER, "Payments"),
    ("will", "Will Weber", Role.MEMBER, "Payments"),
    ("xia", "Xia Xu", Role.MEMBER, "Payments"),
    ("yara", "Yara Young", Role.MEMBER, "Platform"),
    ("zane", "Zane Zimmer", Role.MEMBER, "Platform"),
    ("anna", "Anna Alves", Role.MEMBER, "Platform"),
    ("ben", "Ben Brook", Role.MEMBER, "Platform"),
    ("cleo", "Cleo Chen", Role.MEMBER, "Platform"),
]
TEAMS = ["Checkout", "Payments", "Platform"]


def demo_password() -> str:
    password = os.environ.get(DEMO_PASSWORD_ENV, "")
    if password:
        return password
    if get_settings().environment == "production":
        raise SystemExit(f"Set {DEMO_PASSWORD_ENV} to seed a demo organisation in production.")
    return DEFAULT_DEMO_PASSWORD


def _email(local: str) -> str:
    return f"{local}@demo.pmo-saas.test"


def seed_demo() -> list[str]:
    """Create the demo organisation if it is missing; return lines telling how to sign in."""
    with system_session() as session:
        existing = session.exec(select(Organization).where(Organization.slug == DEMO_SLUG)).first()
    if existing is None:
        _create_demo()
        state = "created"
    else:
        state = "already there"
    return [
        f"Demo organisation {state}: /o/{DEMO_SLUG}",
        f"  sign in as {DEMO_OWNER} (owner) or {_email('coach')} (coach), "
        f"password: {demo_password()}",
    ]


def _create_demo() -> None:
    password_hash = hash_password(demo_password())
    verified = utcnow()  # demo people can invite and set up SSO straight away
    with system_session() as session:
        owner = User(
            email=DEMO_OWNER,
            name="Olivia Owner",
            password_hash=password_hash,
            email_verified_at=verified,
        )
        session.add(owner)
        org = Organization(name="Demo Co", slug=DEMO_SLUG)
        session.add(org)
        session.flush()
        assert org.id is not None and owner.id is not None
        session.add(
            Membership(
                org_id=org.id,  # org_id by hand: the demo is seeded in a system session
                user_id=owner.id,
                role=Role.OWNER,
            )
        )
        people: dict[str, tuple[int, Role, str | None]] = {}
        for local, name, role, team in PEOPLE:
            user = User(
                email=_email(local),
                name=name,
                password_hash=password_hash,
                email_verified_at=verified,
            )
            session.add(user)
            session.flush()
            assert user.id is not None
            session.add(
                Membership(
                    org_id=org.id,  # org_id by hand: the demo is seeded in a system session
                    user_id=user.id,
                    role=role,
                )
            )
            people[local] = (user.id, role, team)
        org_id, owner_id = org.id, owner.id

    ctx = TenantContext(org_id=org_id, user_id=owner_id, role=Role.OWNER, org_slug=DEMO_SLUG)
    team_ids: dict[str, int] = {}
    with tenant_session(ctx) as session:
        for name in TEAMS:
            team_ids[name] = identity.create_team(session=session, ctx=ctx, name=name)
        for user_id, _role, team in people.values():
            if team:
                session.add(TeamMember(team_id=team_ids[team], user_id=user_id))

    members_by_team = {
        team_ids[t]: [uid for uid, _r, team in people.values() if team == t] for t in TEAMS
    }
    coach_id = people["coach"][0]
    _run_domain_seed(ctx, "portfolio", "seed_demo_portfolio")
    _run_domain_seed(
        ctx,
        "assessments",
        "seed_demo_assessments",
        team_ids=list(team_ids.values()),
        respondent_user_ids=members_by_team,
    )
    _run_domain_seed(ctx, "surveys", "seed_demo_surveys", team_member_ids=members_by_team)
    _run_domain_seed(
        ctx,
        "coaching",
        "seed_demo_coaching",
        team_ids=list(team_ids.values()),
        member_user_ids=[uid for ids in members_by_team.values() for uid in ids],
        coach_user_id=coach_id,
    )


def _run_domain_seed(ctx: TenantContext, domain: str, function: str, **kwargs: Any) -> None:
    """Each domain seeds its own demo data when it has a `demo` module."""
    try:
        module = importlib.import_module(f"pmo_saas.{domain}.demo")
    except ModuleNotFoundError as error:
        if error.name != f"pmo_saas.{domain}.demo":
            raise
        return
    seeder: Callable[..., None] = getattr(module, function)
    with tenant_session(ctx) as session:
        seeder(session=session, ctx=ctx, **kwargs)
