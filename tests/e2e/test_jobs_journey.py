"""Admin > Background jobs in a real browser: the owner sees every job, never run, then the
purge job's run once it ran; a member of the organisation is refused by the server."""

from __future__ import annotations

import re

from playwright.sync_api import Browser, Page, expect
from sqlmodel import select

from pmo_saas.db import system_session
from pmo_saas.identity import services as identity
from pmo_saas.identity.models import User
from pmo_saas.jobs import tasks
from pmo_saas.kernel.roles import Role
from pmo_saas.seed import DEMO_OWNER, DEMO_SLUG, demo_password, seed_demo
from tests import factories

PATH = f"/o/{DEMO_SLUG}/admin/jobs"


def _sign_in(page: Page, base_url: str, email: str, password: str) -> None:
    page.goto(f"{base_url}{PATH}")
    page.wait_for_url(re.compile(r"^[^?]*/signin.*"))
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(re.compile(rf"^[^?]*{re.escape(PATH)}/?$"))


def test_owner_sees_the_jobs_and_their_runs_and_a_member_is_refused(
    page: Page, browser: Browser, base_url: str
) -> None:
    seed_demo()
    _sign_in(page, base_url, DEMO_OWNER, demo_password())
    expect(page.get_by_role("heading", name="Background jobs")).to_be_visible()
    table = page.get_by_role("region", name="Background jobs")
    purge = table.get_by_role("row").filter(has_text="purge_expired")
    expect(table.get_by_role("row").filter(has_text="Weekly coaching digest")).to_contain_text(
        "Mondays, hourly from 06:00"
    )
    expect(purge).to_contain_text("never run")

    run = tasks.run_purge_expired()
    assert run is not None and run.outcome == "ok"
    page.reload()
    expect(purge).to_contain_text("ok")
    expect(purge).to_contain_text("UTC")
    expect(purge).not_to_contain_text("never run")

    with system_session() as session:
        owner_id = session.exec(select(User.id).where(User.email == DEMO_OWNER)).one()
    owner = identity.workspace_context(user_id=owner_id, slug=DEMO_SLUG)
    email = factories.unique_email("jobs-member")
    factories.make_member(owner, Role.MEMBER, email=email)
    other = browser.new_context()
    member_page = other.new_page()
    _sign_in(member_page, base_url, email, factories.PASSWORD)
    expect(member_page.get_by_role("alert")).to_contain_text("needs the admin role")
    expect(member_page.get_by_role("region", name="Background jobs")).not_to_contain_text(
        "purge_expired"
    )
    other.close()
