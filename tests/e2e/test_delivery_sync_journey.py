"""The delivery-sync journey, issue 17's whole story, in a real browser against the
production build.

An initiative is funded by an adopted published plan in three tranches. A coach connects its
Jira project (the loopback Jira-Cloud-like peer), syncs, maps the status Jira added, replaces
the token Jira rotated (write-only, shown masked), sees the flow charts and the forecast
beside the planned end, on the delivery page and the plan page; a gate review releases the
next tranche; the owner sets RAG amber with its reason; the dashboard shows it at risk.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

from playwright.sync_api import Page, expect
from sqlmodel import select

from pmo_saas.db import tenant_session
from pmo_saas.delivery.models import WorkItem
from pmo_saas.delivery.sync import models as m
from pmo_saas.delivery.sync.outbound import open_token
from tests import factories
from tests.e2e.delivery_steps import (
    expect_dashboard_at_risk,
    expect_second_tranche_released,
    funded_checkout,
    record_gate_review,
)
from tests.peers.jira_peer import JiraPeer, jira_peer

ROTATED = "jira-rotated-token-e2e-5678"


def _seed(peer: JiraPeer, now: datetime) -> None:
    """Six issues done in the last six weeks, one in progress, one in Jira's new "In QA"."""
    for n in range(6):
        done = now - timedelta(weeks=n + 1)
        key = peer.add(f"Story {n}", (done - timedelta(days=6)).isoformat())
        peer.move(key, "In Progress", (done - timedelta(days=3)).isoformat())
        peer.move(key, "Done", done.isoformat())
    doing = peer.add("Basket", (now - timedelta(days=5)).isoformat())
    peer.move(doing, "In Progress", (now - timedelta(days=4)).isoformat())
    qa = peer.add("Vouchers", (now - timedelta(days=5)).isoformat())
    peer.move(qa, "In Progress", (now - timedelta(days=4)).isoformat())
    peer.move(qa, "In QA", (now - timedelta(days=2)).isoformat())


def _sign_in(page: Page, url: str, email: str, path: str) -> None:
    page.goto(url)
    page.wait_for_url(re.compile(r"^[^?]*/signin.*"))
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(factories.PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(re.compile(rf"^[^?]*{re.escape(path)}/?$"))


def test_connect_sync_map_see_the_forecast_release_a_tranche_set_amber_on_the_dashboard(
    page: Page, base_url: str
):
    peer = jira_peer()
    peer.reset(page=3)
    _seed(peer, datetime.now(UTC))
    funded = funded_checkout("Story Org")
    coach, coach_email, owner_email = funded.coach, funded.coach_email, funded.owner_email
    slug, pid, iid = funded.slug, funded.portfolio_id, funded.initiative_id
    delivery = f"/o/{slug}/portfolio/p/{pid}/delivery/{iid}"

    # ---- the coach connects the Jira project from the initiative's delivery page
    _sign_in(page, f"{base_url}{delivery}", coach_email, delivery)
    page.get_by_role("link", name="Connections (Jira, GitHub)").click()
    page.wait_for_url(re.compile(r"^[^?]*/connections/?$"))
    expect(page.get_by_text("Nothing connected yet.")).to_be_visible()
    page.get_by_label("Source").select_option("jira")
    page.get_by_label("Address").fill(peer.base)
    page.get_by_label("Project key or owner/repo").fill(peer.project)
    page.get_by_label("Account e-mail (Jira)").fill(peer.email)
    page.get_by_label("API token").fill(peer.token)
    page.get_by_role("button", name="Connect").click()
    expect(page.get_by_role("status").first).to_contain_text("Connected.")
    connections = page.get_by_role("region", name="Connections", exact=True)
    expect(connections).to_contain_text("••••" + peer.token[-4:])
    expect(page.locator("body")).not_to_contain_text(peer.token)
    expect(page.get_by_label("API token")).to_have_value("")

    # ---- syncs: eight items, one in a status nobody mapped yet
    connections.get_by_role("button", name="Sync PROJ now").click()
    expect(page.get_by_role("status").first).to_contain_text(
        "Synced: 8 new, 0 changed, 0 removed; 1 in unmapped statuses.", timeout=30_000
    )
    expect(page.get_by_role("region", name="Recent syncs", exact=True)).to_contain_text("ok")

    # ---- maps Jira's "In QA" to Waiting
    mapping = page.get_by_role("region", name="Status mapping", exact=True)
    expect(mapping.get_by_label("Column for In QA")).to_have_value("")
    mapping.get_by_label("Column for In QA").select_option("waiting")
    expect(page.get_by_role("status").first).to_contain_text("Mapped; 1 item(s) moved.")

    # ---- Jira rotated the token: the coach replaces it in its dialog (write-only)
    peer.rotate_token(ROTATED)
    connections.get_by_role("button", name="Replace the token of PROJ").click()
    dialog = page.get_by_role("dialog")
    dialog.get_by_label("New API token").fill(ROTATED)
    dialog.get_by_role("button", name="Replace token").click()
    expect(page.get_by_role("status").first).to_contain_text("Token replaced for PROJ")
    expect(page.get_by_role("dialog")).to_have_count(0)
    expect(connections).to_contain_text("••••5678")
    expect(page.locator("body")).not_to_contain_text(ROTATED)
    expect(page.locator("body")).not_to_contain_text(peer.token)
    connections.get_by_role("button", name="Sync PROJ now").click()
    expect(page.get_by_role("status").first).to_contain_text("Synced: 0 new", timeout=30_000)
    with tenant_session(coach) as session:
        conn = session.exec(select(m.SyncConnection)).one()
        vouchers = session.exec(select(WorkItem).where(WorkItem.title == "Vouchers")).one()
        assert open_token(conn.token_encrypted) == ROTATED and conn.last_error == ""
        assert (vouchers.status, vouchers.external_key) == ("waiting", "PROJ-8")

    # ---- the flow charts and the forecast beside the planned end
    page.get_by_role("link", name="Back to the initiative's delivery").click()
    page.wait_for_url(re.compile(rf"^[^?]*{re.escape(delivery)}/?$"))
    figures = page.get_by_role("region", name="Flow figures", exact=True)
    expect(figures).to_contain_text("3.0 days")
    throughput = page.get_by_role("region", name="Throughput", exact=True)
    expect(throughput.locator(".recharts-wrapper")).to_be_visible()
    forecast = page.get_by_role("region", name="Forecast", exact=True)
    expect(forecast).to_contain_text("The remaining 2 items")
    expect(forecast).to_contain_text("Planned end: 2027-12-31")
    work = page.get_by_role("region", name="Work items", exact=True)
    expect(work).to_contain_text("Vouchers")
    expect(work).to_contain_text("Story 5")
    plan_path = f"/o/{slug}/portfolio/p/{pid}/plan/{iid}"
    page.goto(f"{base_url}{plan_path}")
    facts = page.get_by_role("region", name="Plan vs actual", exact=True)
    expect(facts).to_contain_text("The remaining 2 items")
    expect(facts).to_contain_text("2027-12-31")

    # ---- a gate review releases the second tranche
    record_gate_review(page, base_url, slug, iid)
    expect_second_tranche_released(page, f"{base_url}{plan_path}", coach)

    # ---- the owner sets amber with a reason; the dashboard shows it
    context = page.context.browser.new_context()  # type: ignore[union-attr]
    owner_page = context.new_page()
    _sign_in(owner_page, f"{base_url}{plan_path}", owner_email, plan_path)
    owner_page.get_by_label("RAG", exact=True).select_option("amber")
    owner_page.get_by_label("Reason").fill("Payment provider certification slipped")
    owner_page.get_by_role("button", name="Save RAG status").click()
    expect(owner_page.get_by_role("status")).to_contain_text("RAG status saved.")
    expect_dashboard_at_risk(
        owner_page, base_url, slug, "Checkout", "Payment provider certification slipped"
    )
    context.close()
