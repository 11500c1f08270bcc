"""The executive dashboard journey in a real browser against the production build.

The seeded demo organisation's owner opens the dashboard: all four areas are there and their
numbers match the database. The owner shares the dashboard: the link opens it for someone
without an account (the dashboard and nothing else), and stops working once revoked or
expired. An API key made on its admin page (acting as a viewer) is shown once, works, and is
refused once revoked.
"""

from __future__ import annotations

import re
import urllib.error
import urllib.request
from datetime import timedelta

from playwright.sync_api import Browser, Page, expect
from sqlalchemy import distinct, func
from sqlmodel import col, select

from pmo_saas.coaching.models import CoachingPlan
from pmo_saas.dashboard.models import ShareLink
from pmo_saas.db import system_session
from pmo_saas.identity.models import Organization, Team
from pmo_saas.kernel.clock import utcnow
from pmo_saas.portfolio.models import Initiative, Risk
from pmo_saas.seed import DEMO_OWNER, DEMO_SLUG, demo_password, seed_demo

AREAS = ("Portfolio", "Transformation", "Culture", "Coaching")


def _figures_from_database() -> dict[str, int]:
    with system_session() as session:
        org_id = session.exec(select(Organization.id).where(Organization.slug == DEMO_SLUG)).one()
        return {
            "initiatives": session.exec(
                select(func.count()).where(
                    Initiative.org_id == org_id, col(Initiative.archived_at).is_(None)
                )
            ).one(),
            "open_risks": session.exec(
                select(func.count()).where(Risk.org_id == org_id, Risk.status != "closed")
            ).one(),
            "teams": session.exec(select(func.count()).where(Team.org_id == org_id)).one(),
            "active_plans": session.exec(
                select(func.count(distinct(CoachingPlan.id))).where(
                    CoachingPlan.org_id == org_id, CoachingPlan.status == "active"
                )
            ).one(),
        }


def _sign_in_demo_owner(page: Page, base_url: str, path: str) -> None:
    page.goto(f"{base_url}{path}")
    page.wait_for_url(re.compile(r"^[^?]*/signin.*"))
    page.get_by_label("Email").fill(DEMO_OWNER)
    page.get_by_label("Password").fill(demo_password())
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(re.compile(rf"^[^?]*{re.escape(path)}/?$"))


def _api_status(url: str, key: str) -> int:
    request = urllib.request.Request(url, headers={"Authorization": f"Bearer {key}"})  # noqa: S310
    try:
        with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310
            return int(response.status)
    except urllib.error.HTTPError as error:
        return int(error.code)


def test_demo_dashboard_share_link_and_api_key(page: Page, browser: Browser, base_url: str):
    seed_demo()
    expected = _figures_from_database()
    dashboard = f"/o/{DEMO_SLUG}/dashboard"
    _sign_in_demo_owner(page, base_url, dashboard)

    # ---- all four areas, with numbers from the database
    for area in AREAS:
        expect(page.get_by_role("region", name=area)).to_be_visible()
    portfolio = page.get_by_role("region", name="Portfolio")
    expect(portfolio.get_by_label("Initiatives", exact=True)).to_have_text(
        str(expected["initiatives"])
    )
    expect(portfolio).to_contain_text(f"{expected['open_risks']} open")
    expect(page.get_by_role("region", name="Top risks").get_by_role("row")).to_have_count(
        1 + min(5, expected["open_risks"])
    )
    transformation = page.get_by_role("region", name="Transformation")
    expect(transformation.get_by_label("Teams assessed")).to_have_text(
        f"{expected['teams']} of {expected['teams']}"
    )
    coaching = page.get_by_role("region", name="Coaching")
    expect(coaching.get_by_label("Active plans")).to_have_text(str(expected["active_plans"]))
    culture = page.get_by_role("region", name="Culture")
    expect(culture.get_by_label("Westrum culture (1-7)")).to_have_text(re.compile(r"^\d"))
    # Every area links to its source page.
    expect(portfolio.get_by_role("link", name="Open portfolio")).to_have_attribute(
        "href", f"/o/{DEMO_SLUG}/portfolio"
    )
    expect(culture.get_by_role("link", name="Open culture")).to_have_attribute(
        "href", f"/o/{DEMO_SLUG}/surveys"
    )

    # ---- share the dashboard with someone who has no account
    page.goto(f"{base_url}{dashboard}/sharing")
    page.get_by_label("Who is it for").fill("Board, December")
    page.get_by_role("button", name="Create link").click()
    # Revealed by the event's script (never a state var): wait for it to be written.
    expect(page.get_by_label("New share link")).to_contain_text("/share/")
    shared_url = page.get_by_label("New share link").inner_text()
    assert "/share/" in shared_url
    guest_context = browser.new_context()
    guest = guest_context.new_page()
    guest.goto(shared_url.replace(re.match(r"https?://[^/]+", shared_url)[0], base_url))  # type: ignore[index]
    expect(guest.get_by_role("heading", name=re.compile("dashboard"))).to_be_visible()
    for area in AREAS:
        expect(guest.get_by_role("region", name=area)).to_be_visible()
    expect(
        guest.get_by_role("region", name="Portfolio").get_by_label("Initiatives", exact=True)
    ).to_have_text(str(expected["initiatives"]))
    # Nothing beyond the dashboard: no workspace navigation, no links into the workspace.
    expect(guest.get_by_role("navigation", name="Sections")).to_have_count(0)
    expect(guest.locator("a[href^='/o/']")).to_have_count(0)
    guest.goto(f"{base_url}/o/{DEMO_SLUG}/portfolio")
    guest.wait_for_url(re.compile(r"^[^?]*/signin.*"))

    # Revoked: the link stops working.
    page.get_by_role("button", name="Revoke link for Board, December").click()
    page.get_by_role("alertdialog").get_by_role("button", name="Revoke").click()
    expect(page.get_by_role("status")).to_contain_text("revoked")
    guest.goto(shared_url.replace(re.match(r"https?://[^/]+", shared_url)[0], base_url))  # type: ignore[index]
    expect(guest.get_by_role("alert")).to_contain_text("not valid")
    expect(guest.get_by_role("region", name="Portfolio")).to_have_count(0)

    # Expired: a second link, moved past its end date.
    page.get_by_label("Who is it for").fill("Auditors")
    page.get_by_role("button", name="Create link").click()
    expect(page.get_by_label("New share link")).not_to_have_text(shared_url)
    expect(page.get_by_label("New share link")).to_contain_text("/share/")
    second = page.get_by_label("New share link").inner_text()
    with system_session() as session:
        link = session.exec(select(ShareLink).where(ShareLink.label == "Auditors")).one()
        link.expires_at = utcnow() - timedelta(minutes=1)
        session.add(link)
    guest.goto(second.replace(re.match(r"https?://[^/]+", second)[0], base_url))  # type: ignore[index]
    expect(guest.get_by_role("alert")).to_contain_text("not valid")
    guest_context.close()

    # ---- an API key: shown once, works, refused once revoked
    page.goto(f"{base_url}{dashboard}/api-keys")
    # The page has loaded (its table is there) before the form is used.
    expect(page.get_by_role("region", name="API keys")).to_be_visible()
    expect(page.get_by_label("Access")).to_be_visible()
    page.get_by_label("Key name").fill("Power BI")
    page.get_by_label("Access").select_option("Read only")
    page.get_by_label("Acts as").select_option("Viewer")
    page.get_by_role("button", name="Create key").click()
    expect(page.get_by_label("New API key")).to_contain_text("pmo_")
    expect(page.get_by_role("region", name="API keys")).to_contain_text("Viewer")
    key = page.get_by_label("New API key").inner_text()
    assert key.startswith("pmo_")
    assert _api_status(f"{base_url}/api/v1/portfolios", key) == 200
    page.reload()
    expect(page.get_by_role("region", name="API keys")).to_contain_text("Power BI")
    expect(page.get_by_label("New API key")).to_have_count(0)  # shown once
    page.get_by_role("button", name="Revoke key Power BI").click()
    page.get_by_role("alertdialog").get_by_role("button", name="Revoke").click()
    expect(page.get_by_role("status")).to_contain_text("revoked")
    assert _api_status(f"{base_url}/api/v1/portfolios", key) == 401


def test_governance_gate_review_and_decisions_log(page: Page, base_url: str):
    seed_demo()
    _sign_in_demo_owner(page, base_url, f"/o/{DEMO_SLUG}/dashboard/governance")
    lifecycles = page.get_by_role("region", name="Initiative lifecycles")
    expect(lifecycles).to_contain_text("Customer data platform")
    lifecycles.get_by_role("link", name="Customer data platform").click()
    page.wait_for_url(re.compile(r"^[^?]*/dashboard/governance/\d+/?$"))
    expect(page.get_by_role("heading", name="Customer data platform")).to_be_visible()
    expect(page.get_by_text("Stage: Pre-project")).to_be_visible()

    # A go-ahead with conditions needs its conditions.
    page.get_by_label("Gate decision").select_option("Proceed with conditions")
    page.get_by_label("Decision date").fill("2026-11-02")
    page.get_by_label("Approvers").fill("Ada Sponsor, Ben Visionary")
    page.get_by_role("button", name="Record gate review").click()
    expect(page.get_by_role("alert")).to_contain_text("conditions")

    page.get_by_label("Gate decision").select_option("Proceed with conditions")
    page.get_by_label("Decision date").fill("2026-11-02")
    page.get_by_label("Approvers").fill("Ada Sponsor, Ben Visionary")
    page.get_by_label("Conditions").fill("Security review before foundations")
    page.get_by_role("button", name="Record gate review").click()
    expect(page.get_by_role("status")).to_contain_text("Gate review recorded")
    expect(page.get_by_text("Stage: Feasibility")).to_be_visible()
    reviews = page.get_by_role("region", name="Gate reviews")
    expect(reviews).to_contain_text("Ada Sponsor, Ben Visionary")
    expect(reviews).to_contain_text("Security review before foundations")
    expect(page.get_by_role("region", name="Decisions log")).to_contain_text(
        "Pre-project gate: Proceed with conditions"
    )
    # A decision outside a gate goes into the log too.
    page.get_by_label("Decision taken").fill("Use the managed identity provider")
    page.get_by_label("Date", exact=True).fill("2026-11-05")
    page.get_by_label("Decided by").fill("Architecture board")
    page.get_by_role("button", name="Log decision").click()
    expect(page.get_by_role("region", name="Decisions log")).to_contain_text(
        "Use the managed identity provider"
    )
