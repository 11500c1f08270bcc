"""The delivery journey in a real browser against the production build.

A coach with eight weeks of imported history opens the portfolio's delivery page from the
portfolio navigation, follows an initiative, reads the flow charts' tables and the forecast
beside the planned end, adds a work item in the dialog, moves it to done, and imports work
items from CSV (the preview lists the bad row; nothing is written until confirmed).
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

from playwright.sync_api import Page, expect
from sqlmodel import func, select

from pmo_saas.db import tenant_session
from pmo_saas.delivery.models import StatusChange, WorkItem
from pmo_saas.kernel.roles import Role
from tests import factories
from tests.delivery.builders import import_items
from tests.portfolio.builders import make_initiative, make_portfolio


def _history_csv(today: datetime) -> str:
    """Two items done in each of the last eight weeks, and four still open."""
    lines = ["title,status,created_at,started_at,done_at"]
    for week in range(1, 9):
        done = today - timedelta(weeks=week)
        for n in range(2):
            lines.append(
                f"Done {week}.{n},,{(done - timedelta(days=6)).date()},"
                f"{(done - timedelta(days=3)).date()},{done.date()}"
            )
    for n in range(4):
        lines.append(f"Open {n},,{(today - timedelta(days=20)).date()},,")
    return "\n".join(lines) + "\n"


def _count(ctx, cls) -> int:
    with tenant_session(ctx) as session:
        return session.exec(select(func.count()).select_from(cls)).one()


def test_delivery_charts_forecast_add_move_and_import(page: Page, base_url: str):
    owner = factories.make_org("Delivery Org")
    email = factories.unique_email("coach")
    coach = factories.make_member(owner, Role.COACH, name="Cora Coach", email=email)
    pid = make_portfolio(owner, "FY27")
    iid = make_initiative(owner, pid, "Checkout", end_date="2027-06-30")
    now = datetime.now(UTC)
    assert import_items(owner, iid, _history_csv(now)) == 20
    portfolio_path = f"/o/{owner.org_slug}/portfolio/p/{pid}"

    page.goto(f"{base_url}{portfolio_path}")
    page.wait_for_url(re.compile(r"^[^?]*/signin.*"))
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(factories.PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(re.compile(rf"^[^?]*{re.escape(portfolio_path)}/?$"))

    # ---- from the portfolio navigation to the portfolio's delivery, then the initiative
    page.get_by_role("navigation", name="Portfolio").get_by_role(
        "link", name="Delivery", exact=True
    ).click()
    page.wait_for_url(re.compile(r"^[^?]*/delivery/?$"))
    expect(page.get_by_role("region", name="Forecast", exact=True)).to_contain_text(
        "The remaining 4 items: 50% by"
    )
    initiatives = page.get_by_role("region", name="Initiatives' delivery", exact=True)
    expect(initiatives).to_contain_text("16")  # done items
    initiatives.get_by_role("link", name="Checkout").click()
    page.wait_for_url(re.compile(rf"^[^?]*/delivery/{iid}/?$"))

    # ---- the charts' tables, the figures and the forecast beside the plan
    forecast = page.get_by_role("region", name="Forecast", exact=True)
    expect(forecast).to_contain_text("The remaining 4 items: 50% by")
    expect(forecast).to_contain_text("Planned end: 2027-06-30")
    expect(forecast).to_contain_text("History used (items done per week): 2, 2, 2, 2, 2, 2, 2, 2")
    expect(page.get_by_role("region", name="Flow figures", exact=True)).to_contain_text("3.0 days")
    throughput = page.get_by_role("region", name="Throughput", exact=True)
    expect(throughput.locator(".recharts-wrapper")).to_be_visible()
    throughput.get_by_text("Throughput as a table").click()
    expect(
        page.get_by_role("region", name="Throughput table", exact=True).get_by_role("row")
    ).to_have_count(9)
    page.get_by_role("region", name="Cumulative flow", exact=True).get_by_text(
        "Cumulative flow as a table"
    ).click()
    expect(page.get_by_role("region", name="Cumulative flow table", exact=True)).to_contain_text(
        "Done"
    )

    # ---- a work item added in the dialog, then moved to done
    page.get_by_role("button", name="Add work item").click()
    dialog = page.get_by_role("dialog")
    dialog.get_by_label("Title").fill("Pay by card")
    dialog.get_by_label("Column").select_option("doing")
    dialog.get_by_role("button", name="Save work item").click()
    expect(page.get_by_role("status")).to_contain_text("“Pay by card” added.")
    expect(dialog).to_be_hidden()
    items = page.get_by_role("region", name="Work items", exact=True)
    items.get_by_label("Move Pay by card").select_option("done")
    expect(page.get_by_role("status")).to_contain_text("Moved.")
    with tenant_session(coach) as session:
        moved = session.exec(select(WorkItem).where(WorkItem.title == "Pay by card")).one()
        moves = session.exec(
            select(StatusChange.to_status, StatusChange.by_user_id).where(
                StatusChange.work_item_id == moved.id
            )
        ).all()
    assert moved.status == "done" and sorted(moves) == [
        ("doing", coach.user_id),
        ("done", coach.user_id),
    ]

    # ---- CSV import: the preview lists the bad row; nothing is written until confirmed
    before = _count(coach, WorkItem)
    page.get_by_label("Work items CSV").fill(
        "title,kind,created_at\nImported story,story,2026-01-05\nBad,saga,2026-01-05\n"
    )
    page.get_by_role("button", name="Preview work items").click()
    preview = page.get_by_role("region", name="Work item import preview", exact=True)
    expect(preview).to_contain_text("1 row(s) ready to import")
    expect(preview).to_contain_text("Line 3: “saga” is not a kind of work item")
    assert _count(coach, WorkItem) == before
    page.get_by_role("button", name="Import 1 work item(s)").click()
    expect(page.get_by_role("status")).to_contain_text("Imported 1 work item(s).")
    expect(items).to_contain_text("Imported story")
    assert _count(coach, WorkItem) == before + 1
