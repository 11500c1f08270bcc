"""What the delivery journeys share: a funded initiative with its coach and owner, a coach's
gate review on the governance page, and the dashboard's delivery area showing an initiative
at risk with its reason."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from playwright.sync_api import Page, expect
from sqlmodel import col, select

from pmo_saas.db import tenant_session
from pmo_saas.delivery.plan_models import FundingTranche
from pmo_saas.kernel.context import TenantContext
from pmo_saas.kernel.roles import Role
from tests import factories
from tests.delivery.plan_builders import funded_initiative


@dataclass(frozen=True)
class Funded:
    """An organisation with a coach and an owner, and "Checkout" funded in three tranches."""

    coach: TenantContext
    coach_email: str
    owner_email: str
    slug: str
    portfolio_id: int
    initiative_id: int


def funded_checkout(org_name: str) -> Funded:
    org = factories.make_org(org_name)
    coach_email = factories.unique_email("coach")
    coach = factories.make_member(org, Role.COACH, name="Cora Coach", email=coach_email)
    owner_email = factories.unique_email("owner")
    factories.make_member(org, Role.MEMBER, name="Olivia Owner", email=owner_email)
    pid, iid = funded_initiative(
        org, title="Checkout", cost=90_000, owner="Olivia Owner", end_date="2027-12-31"
    )
    return Funded(coach, coach_email, owner_email, org.org_slug, pid, iid)


def record_gate_review(page: Page, base_url: str, slug: str, initiative_id: int) -> None:
    """ "Proceed" today, on the initiative's governance page (a coach is signed in)."""
    page.goto(f"{base_url}/o/{slug}/dashboard/governance/{initiative_id}")
    page.get_by_label("Gate decision").select_option("Proceed")
    page.get_by_label("Decision date").fill(datetime.now(UTC).date().isoformat())
    page.get_by_label("Approvers").fill("Ada Sponsor")
    page.get_by_role("button", name="Record gate review").click()
    expect(page.get_by_role("status")).to_contain_text("Gate review recorded")


def expect_second_tranche_released(page: Page, plan_url: str, coach: TenantContext) -> None:
    """The plan page lists two tranches released, and so do the rows."""
    page.goto(plan_url)
    tranches = page.get_by_role("region", name="Funding tranches", exact=True)
    expect(tranches.get_by_role("cell", name="released", exact=True)).to_have_count(2)
    with tenant_session(coach) as session:
        statuses = session.exec(
            select(FundingTranche.status).order_by(col(FundingTranche.position))
        ).all()
    assert statuses == ["released", "released", "planned"]


def expect_dashboard_at_risk(page: Page, base_url: str, slug: str, title: str, reason: str) -> None:
    page.goto(f"{base_url}/o/{slug}/dashboard")
    delivery = page.get_by_role("region", name="Delivery", exact=True)
    expect(delivery.get_by_label("At risk", exact=True)).to_have_text("1")
    attention = page.get_by_role("region", name="Delivery needing attention", exact=True)
    expect(attention).to_contain_text(title)
    expect(attention).to_contain_text("At risk")
    expect(attention).to_contain_text(reason)
