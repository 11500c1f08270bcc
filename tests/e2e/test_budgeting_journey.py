"""The participatory-budgeting journey: a coach opens a session and invites three
stakeholders (from the multi-select); each, signed in in their own browser context, splits
the total (a split that misses the total is refused with the typed amounts kept), sees the
spread only after saving their own, and one discusses it in the comments; the coach settles
on the medians; the funding page names the session and "Fund the best set" follows the new
value-stream budgets (W1 + W2 instead of R1 + W1)."""

from __future__ import annotations

import re

from playwright.sync_api import Browser, Page, expect

from pmo_saas.kernel.roles import Role
from tests import factories
from tests.portfolio.builders import make_initiative, make_portfolio, wsjf

LIVE_MS = 20_000

SPLITS = {"Stake One": (100, 900), "Stake Two": (0, 1000), "Stake Three": (300, 700)}


def _sign_in(page: Page, base_url: str, email: str, path: str) -> None:
    page.goto(f"{base_url}{path}")
    page.wait_for_url(re.compile(r"^[^?]*/signin.*"))
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(factories.PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(re.compile(rf"^[^?]*{re.escape(path)}/?$"))


def test_three_stakeholders_allocate_and_the_settled_split_funds(
    page: Page, browser: Browser, base_url: str
):
    owner = factories.make_org("Budget Org")
    coach_email = factories.unique_email("coach")
    factories.make_member(owner, Role.COACH, name="Cora Coach", email=coach_email)
    emails = {name: factories.unique_email("stake") for name in SPLITS}
    for name, email in emails.items():
        factories.make_member(owner, Role.MEMBER, name=name, email=email)
    pid = make_portfolio(owner, "FY27", budget=1000)
    for title, stream, cost, scores in (
        ("R1", "Retail", 600, wsjf(20, 20, 20, 1)),
        ("W1", "Wholesale", 400, wsjf(8, 8, 8, 2)),
        ("W2", "Wholesale", 500, wsjf(13, 13, 13, 3)),
    ):
        make_initiative(owner, pid, title, value_stream=stream, cost=cost, scores=scores)
    base = f"/o/{owner.org_slug}/portfolio/p/{pid}"

    # ---- the coach opens the session and invites the three stakeholders
    coach = page
    _sign_in(coach, base_url, coach_email, f"{base}/budgeting")
    coach.get_by_label("Session name").fill("FY27 split")
    expect(coach.get_by_label("Total to split")).to_have_value("1000", timeout=LIVE_MS)
    first, second, forgotten = SPLITS
    for name in (first, second):
        coach.get_by_role("checkbox", name=name).check()
    coach.get_by_role("button", name="Open session").click()
    coach.wait_for_url(re.compile(rf"^[^?]*{re.escape(base)}/budgeting/\d+/?$"))
    session_path = coach.url.removeprefix(base_url).rstrip("/")
    expect(coach.get_by_text("0 of 2 stakeholders have allocated.")).to_be_visible(timeout=LIVE_MS)
    # The third was forgotten: invited from the session page while it is open.
    invite = coach.get_by_role("group", name="Invite more stakeholders")
    expect(invite.get_by_role("checkbox", name=first)).to_have_count(0)  # invited already
    invite.get_by_role("checkbox", name=forgotten).check()
    coach.get_by_role("button", name="Invite", exact=True).click()
    expect(coach.get_by_text("0 of 3 stakeholders have allocated.")).to_be_visible(timeout=LIVE_MS)
    expect(invite.get_by_role("checkbox", name=forgotten)).to_have_count(0)

    # ---- each stakeholder allocates in their own browser context
    contexts = []
    for n, (name, (retail, wholesale)) in enumerate(SPLITS.items()):
        context = browser.new_context(base_url=base_url)
        contexts.append(context)
        person = context.new_page()
        _sign_in(person, base_url, emails[name], session_path)
        expect(person.get_by_text("once you have saved your own")).to_be_visible(timeout=LIVE_MS)
        form = person.get_by_role("region", name="Allocate")
        form.get_by_label("Retail", exact=True).fill(str(retail))
        form.get_by_label("Wholesale", exact=True).fill(str(wholesale - 50))
        person.get_by_role("button", name="Save allocation").click()
        expect(person.get_by_text("50 is still to place").first).to_be_visible(timeout=LIVE_MS)
        expect(form.get_by_label("Retail", exact=True)).to_have_value(str(retail))  # kept
        form.get_by_label("Wholesale", exact=True).fill(str(wholesale))
        person.get_by_role("button", name="Save allocation").click()
        expect(person.get_by_text("Your allocation is saved.").first).to_be_visible(timeout=LIVE_MS)
        spread = person.get_by_role("region", name="Spread")
        expect(spread.get_by_role("row").nth(1)).to_contain_text(f"{n + 1}")  # allocations
        expect(person.get_by_role("region", name="Stakeholders")).to_have_count(0)  # no names
        if n == 0:
            comments = person.get_by_role("region", name="Comments")
            expect(comments.get_by_role("heading", name="Comments (0)")).to_be_visible(
                timeout=LIVE_MS
            )
            comments.get_by_label("New comment").fill("Wholesale carries next year.")
            comments.get_by_role("button", name="Post comment").click()
            expect(comments.get_by_role("article", name="Comment by Stake One")).to_be_visible()

    # ---- the coach sees everyone, the discussion, and settles on the medians
    coach.reload()
    expect(coach.get_by_text("3 of 3 stakeholders have allocated.")).to_be_visible(timeout=LIVE_MS)
    expect(coach.get_by_role("region", name="Stakeholders")).to_contain_text("Stake Three")
    expect(
        coach.get_by_role("region", name="Comments").get_by_role(
            "article", name="Comment by Stake One"
        )
    ).to_be_visible(timeout=LIVE_MS)
    spread = coach.get_by_role("region", name="Spread")
    expect(spread.get_by_role("row", name=re.compile("^Retail"))).to_contain_text("0 to 300")
    coach.get_by_role("button", name="Settle split").click()
    expect(coach.get_by_role("region", name="Settled split")).to_contain_text(
        "Retail: 100, Wholesale: 900", timeout=LIVE_MS
    )

    # ---- a stakeholder can no longer change their split
    late = contexts[1].pages[0]
    late.reload()
    expect(late.get_by_role("region", name="Settled split")).to_be_visible(timeout=LIVE_MS)
    expect(late.get_by_role("button", name="Save allocation")).to_have_count(0)

    # ---- the funding page names the session and funds by the new split
    coach.goto(f"{base_url}{base}/funding")
    origin = coach.get_by_label("Value-stream budgets origin")
    expect(origin).to_contain_text("FY27 split", timeout=LIVE_MS)
    expect(origin).to_contain_text("Retail = 100, Wholesale = 900")
    coach.get_by_role("button", name="Fund the best set").click()
    plan = coach.get_by_role("region", name="Funding plan")
    for title, funded in (("R1", "—"), ("W1", "Funded"), ("W2", "Funded")):
        row = plan.get_by_role("row", name=re.compile(rf"^{title} "))
        expect(row.get_by_role("cell").nth(5)).to_have_text(funded, timeout=LIVE_MS)
    for context in contexts:
        context.close()
