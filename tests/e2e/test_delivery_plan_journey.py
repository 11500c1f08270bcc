"""The delivery plan journey in a real browser against the production build.

An initiative is funded by an adopted published plan in three tranches. A coach records a
gate review on the governance page and the plan page shows the next tranche released. The
initiative's owner (a member named in its owner field) sets the RAG status to amber: without
a reason the page says so and keeps the choice; with one it is saved into the history, and
the dashboard's delivery area shows the initiative at risk with that reason. The coach imports
spend from CSV: the button spins and a progress bar runs until it says what it wrote.
"""

from __future__ import annotations

import re

from playwright.sync_api import Page, expect
from sqlmodel import select

from pmo_saas.db import tenant_session
from pmo_saas.delivery.plan_models import RagChange
from tests import factories
from tests.e2e.delivery_steps import (
    expect_dashboard_at_risk,
    expect_second_tranche_released,
    funded_checkout,
    record_gate_review,
)
from tests.e2e.journey import busy_seen, watch_busy


def _sign_in(page: Page, url: str, email: str, path: str) -> None:
    page.goto(url)
    page.wait_for_url(re.compile(r"^[^?]*/signin.*"))
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(factories.PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(re.compile(rf"^[^?]*{re.escape(path)}/?$"))


def test_gate_releases_a_tranche_owner_sets_amber_dashboard_shows_it(page: Page, base_url: str):
    funded = funded_checkout("Plan Org")
    coach, coach_email, owner_email = funded.coach, funded.coach_email, funded.owner_email
    slug, pid, iid = funded.slug, funded.portfolio_id, funded.initiative_id

    # ---- a coach records the gate review: the second tranche is released
    governance = f"/o/{slug}/dashboard/governance/{iid}"
    _sign_in(page, f"{base_url}{governance}", coach_email, governance)
    record_gate_review(page, base_url, slug, iid)
    plan_path = f"/o/{slug}/portfolio/p/{pid}/plan/{iid}"
    expect_second_tranche_released(page, f"{base_url}{plan_path}", coach)
    expect(page.get_by_text("0 spent of 60,000 released.")).to_be_visible()

    # ---- the coach imports spend from CSV: the button spins and a progress bar runs meanwhile
    page.get_by_label("Spend CSV (month,amount)").fill("month,amount\n2026-01,1000\n2026-02,2000")
    watch_busy(page)
    page.get_by_role("button", name="Import spend").click()
    expect(page.get_by_role("status")).to_contain_text("Spend imported: 2 month(s).")
    expect(page.get_by_text("3,000 spent of 60,000 released.")).to_be_visible()
    seen = busy_seen(page)
    assert any(s.startswith("button:") and "Import spend" in s for s in seen), seen
    assert "progressbar:Importing spend…" in seen, seen
    expect(page.get_by_role("button", name="Import spend")).to_be_enabled()

    # ---- the owner sets amber: a reason is required, and the choice is kept meanwhile
    context = page.context.browser.new_context()  # type: ignore[union-attr]
    owner_page = context.new_page()
    _sign_in(owner_page, f"{base_url}{plan_path}", owner_email, plan_path)
    owner_page.get_by_label("RAG", exact=True).select_option("amber")
    owner_page.get_by_role("button", name="Save RAG status").click()
    expect(owner_page.get_by_role("alert")).to_contain_text(
        "Write why the status is amber: a RAG status needs a reason."
    )
    expect(owner_page.get_by_label("RAG", exact=True)).to_have_value("amber")
    owner_page.get_by_label("Reason").fill("Supplier is two weeks late")
    owner_page.get_by_role("button", name="Save RAG status").click()
    expect(owner_page.get_by_role("status")).to_contain_text("RAG status saved.")
    expect(owner_page.get_by_role("region", name="RAG history", exact=True)).to_contain_text(
        "Supplier is two weeks late"
    )
    with tenant_session(coach) as session:
        assert [(r.rag, r.reason) for r in session.exec(select(RagChange)).all()] == [
            ("amber", "Supplier is two weeks late")
        ]

    # ---- the dashboard shows it
    expect_dashboard_at_risk(owner_page, base_url, slug, "Checkout", "Supplier is two weeks late")
    context.close()
