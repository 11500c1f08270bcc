"""The delivery-sync journey in a real browser against the production build: a coach opens an
initiative's Connections from its delivery page, connects a Jira project (the loopback
Jira-Cloud-like peer), syncs, sees a status Jira renamed arrive unmapped, maps it, and finds
the synced items in the initiative's flow charts. The token is shown masked only."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

from playwright.sync_api import Page, expect
from sqlmodel import select

from pmo_saas.db import tenant_session
from pmo_saas.delivery.models import WorkItem
from pmo_saas.kernel.roles import Role
from tests import factories
from tests.peers.jira_peer import JiraPeer, jira_peer
from tests.portfolio.builders import make_initiative, make_portfolio


def _iso(at: datetime) -> str:
    return at.isoformat()


def _seed(peer: JiraPeer, now: datetime) -> None:
    """Six issues done in the last six weeks, one in progress, one in Jira's new "In QA"."""
    for n in range(6):
        done = now - timedelta(weeks=n + 1)
        key = peer.add(f"Story {n}", _iso(done - timedelta(days=6)))
        peer.move(key, "In Progress", _iso(done - timedelta(days=3)))
        peer.move(key, "Done", _iso(done))
    doing = peer.add("Basket", _iso(now - timedelta(days=5)))
    peer.move(doing, "In Progress", _iso(now - timedelta(days=4)))
    qa = peer.add("Vouchers", _iso(now - timedelta(days=5)))
    peer.move(qa, "In Progress", _iso(now - timedelta(days=4)))
    peer.move(qa, "In QA", _iso(now - timedelta(days=2)))


def test_a_coach_connects_jira_syncs_maps_a_status_and_sees_the_flow(page: Page, base_url: str):
    peer = jira_peer()
    peer.reset(page=3)
    now = datetime.now(UTC)
    _seed(peer, now)
    owner = factories.make_org("Sync Org")
    email = factories.unique_email("coach")
    coach = factories.make_member(owner, Role.COACH, name="Cora Coach", email=email)
    pid = make_portfolio(owner, "FY27")
    iid = make_initiative(owner, pid, "Checkout", end_date="2027-06-30")
    delivery_path = f"/o/{owner.org_slug}/portfolio/p/{pid}/delivery/{iid}"

    page.goto(f"{base_url}{delivery_path}")
    page.wait_for_url(re.compile(r".*/signin.*"))
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(factories.PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(re.compile(rf".*{re.escape(delivery_path)}/?$"))

    # ---- from the initiative's delivery page to its connections; connect the Jira project
    page.get_by_role("link", name="Connections (Jira, GitHub)").click()
    page.wait_for_url(re.compile(r".*/connections/?$"))
    expect(page.get_by_text("Nothing connected yet.")).to_be_visible()
    page.get_by_label("Source").select_option("jira")
    page.get_by_label("Address").fill(peer.base)
    page.get_by_label("Project key or owner/repo").fill(peer.project)
    page.get_by_label("Account e-mail (Jira)").fill(peer.email)
    page.get_by_label("API token").fill(peer.token)
    page.get_by_role("button", name="Connect").click()
    expect(page.get_by_role("status").first).to_contain_text("Connected.")
    connections = page.get_by_role("region", name="Connections", exact=True)
    expect(connections).to_contain_text("PROJ")
    expect(connections).to_contain_text("••••" + peer.token[-4:])
    expect(page.locator("body")).not_to_contain_text(peer.token)
    expect(page.get_by_label("API token")).to_have_value("")

    # ---- sync now: the background event reports, the run is listed
    connections.get_by_role("button", name="Sync PROJ now").click()
    expect(page.get_by_role("status").first).to_contain_text(
        "Synced: 8 new, 0 changed, 0 removed; 1 in unmapped statuses.", timeout=30_000
    )
    expect(page.get_by_role("region", name="Recent syncs", exact=True)).to_contain_text("ok")
    expect(connections).to_contain_text("ok")

    # ---- Jira's "In QA" arrived unmapped; the coach maps it to Waiting
    mapping = page.get_by_role("region", name="Status mapping", exact=True)
    expect(mapping.get_by_label("Column for In QA")).to_have_value("")
    expect(mapping.get_by_label("Column for In Progress")).to_have_value("doing")
    mapping.get_by_label("Column for In QA").select_option("waiting")
    expect(page.get_by_role("status").first).to_contain_text("Mapped; 1 item(s) moved.")
    with tenant_session(coach) as session:
        vouchers = session.exec(select(WorkItem).where(WorkItem.title == "Vouchers")).one()
    assert (vouchers.status, vouchers.source, vouchers.external_key) == (
        "waiting",
        "jira",
        "PROJ-8",
    )

    # ---- the synced items in the initiative's flow charts
    page.get_by_role("link", name="Back to the initiative's delivery").click()
    page.wait_for_url(re.compile(rf".*{re.escape(delivery_path)}/?$"))
    figures = page.get_by_role("region", name="Flow figures", exact=True)
    expect(figures).to_contain_text("Items done")
    expect(figures).to_contain_text("3.0 days")  # each story: in progress 3 days, then done
    expect(page.get_by_role("region", name="Forecast", exact=True)).to_contain_text(
        "The remaining 2 items"
    )
    throughput = page.get_by_role("region", name="Throughput", exact=True)
    expect(throughput.locator(".recharts-wrapper")).to_be_visible()
    items = page.get_by_role("region", name="Work items", exact=True)
    expect(items).to_contain_text("Vouchers")
    expect(items).to_contain_text("Story 5")
