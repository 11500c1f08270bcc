"""The collaboration journey: two people signed in, in two browser contexts.

Ann mentions Bob in a comment on an initiative (picking him from the mention list); Bob's
bell shows one unread notification without reloading; Bob opens it from the notifications
page, replies in the thread; Ann's thread shows the reply and her bell counts it, again
without reloading.
"""

from __future__ import annotations

import re

from playwright.sync_api import Browser, Page, expect

from pmo_saas.kernel.roles import Role
from tests import factories
from tests.portfolio.builders import make_initiative, make_portfolio

LIVE_MS = 20_000  # the bell and the thread poll every few seconds


def _sign_in(page: Page, base_url: str, email: str, path: str) -> None:
    page.goto(f"{base_url}{path}")
    page.wait_for_url(re.compile(r"^[^?]*/signin.*"))
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(factories.PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(re.compile(rf"^[^?]*{re.escape(path)}/?$"))


def _bell(page: Page, unread: int):
    label = "Notifications, none unread" if unread == 0 else f"Notifications, {unread} unread"
    return page.get_by_role("link", name=label)


def test_a_mention_reaches_b_live_and_b_replies(page: Page, browser: Browser, base_url: str):
    owner = factories.make_org("Talk Org")
    ann_email, bob_email = factories.unique_email("ann"), factories.unique_email("bob")
    factories.make_member(owner, Role.MEMBER, name="Ann Able", email=ann_email)
    factories.make_member(owner, Role.MEMBER, name="Bob Baker", email=bob_email)
    initiative = make_initiative(owner, make_portfolio(owner), "Checkout revamp")
    slug = owner.org_slug
    thread_path = f"/o/{slug}/dashboard/governance/{initiative}"

    # ---- Bob waits on the workspace home, in his own browser context
    bob_context = browser.new_context(base_url=base_url)
    bob = bob_context.new_page()
    _sign_in(bob, base_url, bob_email, f"/o/{slug}")
    expect(_bell(bob, 0).first).to_be_visible(timeout=LIVE_MS)

    # ---- Ann comments on the initiative and mentions Bob from the list
    ann = page
    _sign_in(ann, base_url, ann_email, thread_path)
    comments = ann.get_by_role("region", name="Comments")
    expect(comments.get_by_role("heading", name="Comments (0)")).to_be_visible(timeout=LIVE_MS)
    comments.get_by_label("New comment").fill("Can we ship this **before** the freeze?")
    comments.get_by_label("Mention a person or team").fill("Bob")
    comments.get_by_role("button", name="Mention Bob Baker").click()
    expect(comments.get_by_label("New comment")).to_have_value(re.compile(r"@\[Bob Baker\]"))
    comments.get_by_role("button", name="Post comment").click()
    expect(comments.get_by_role("article", name="Comment by Ann Able")).to_contain_text(
        "@Bob Baker"
    )
    expect(comments.locator("strong", has_text="before")).to_be_visible()  # markdown

    # ---- Bob's bell counts it without a reload
    expect(_bell(bob, 1).first).to_be_visible(timeout=LIVE_MS)
    _bell(bob, 1).first.click()
    bob.wait_for_url(re.compile(r"^[^?]*/notifications/?$"))
    bob.get_by_role("link", name="Ann Able mentioned you on initiative “Checkout revamp”").click()
    bob.wait_for_url(re.compile(rf"^[^?]*{re.escape(thread_path)}/?$"))
    bob_comments = bob.get_by_role("region", name="Comments")
    bob_comments.get_by_role("button", name="Reply").click(timeout=LIVE_MS)
    bob_comments.get_by_label("Your reply").fill("Yes, if QA signs off.")
    bob_comments.get_by_role("button", name="Send reply").click()
    expect(bob_comments.get_by_role("article", name="Comment by Bob Baker")).to_contain_text(
        "if QA signs off"
    )

    # ---- Ann sees the reply in the open thread and her bell counts it, no reload
    expect(comments.get_by_role("article", name="Comment by Bob Baker")).to_contain_text(
        "if QA signs off", timeout=LIVE_MS
    )
    expect(_bell(ann, 1).first).to_be_visible(timeout=LIVE_MS)
    ann.goto(f"{base_url}/o/{slug}/notifications")
    expect(ann.get_by_role("link", name=re.compile("Bob Baker replied"))).to_be_visible()
    ann.get_by_role("button", name="Mark all read").click()
    expect(_bell(ann, 0).first).to_be_visible(timeout=LIVE_MS)
    bob_context.close()
