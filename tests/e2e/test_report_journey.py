"""The printable monthly report, and a new organisation's first visit, in a real browser.

The demo owner opens the monthly report from the dashboard: its headings are there, its
figures are the dashboard's, and its print stylesheet hides the buttons. A new organisation
signs up: its home shows the first-run checklist, and its empty pages say what they are for
and offer the first action.
"""

from __future__ import annotations

import re

from playwright.sync_api import Page, expect

from pmo_saas.seed import DEMO_OWNER, DEMO_SLUG, demo_password, seed_demo
from tests.peers import smtp

# dashboard figure (its aria label) -> the report's row
SAME_FIGURES = {
    "Budget": "Budget",
    "Funded": "Funded (published plan)",
    "Initiatives": "Initiatives",
    "Teams assessed": "Teams assessed",
    "Latest maturity": "Latest maturity",
    "Active plans": "Active coaching plans",
    "Plans overdue": "Plans overdue",
}
VERIFY_SUBJECT = "Verify your email for pmo_saas"
NEW_OWNER = "fran@newco.example"
PASSWORD = "a-long-secret-pass-91"


def _sign_in(page: Page, base_url: str, path: str, email: str, password: str) -> None:
    page.goto(f"{base_url}{path}")
    page.wait_for_url(re.compile(r"^[^?]*/signin.*"))
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(lambda url: "/signin" not in url and url.rstrip("/").endswith(path))


def test_the_monthly_report_shows_the_dashboards_figures_and_prints_cleanly(
    page: Page, base_url: str
):
    seed_demo()
    dashboard = f"/o/{DEMO_SLUG}/dashboard"
    _sign_in(page, base_url, dashboard, DEMO_OWNER, demo_password())
    expect(page.get_by_role("region", name="Portfolio")).to_be_visible()
    on_dashboard = {}
    for label in SAME_FIGURES:
        figure = page.get_by_label(label, exact=True)
        expect(figure).to_have_text(re.compile(r"\S"))
        on_dashboard[label] = figure.inner_text().strip()
    budget_used = page.get_by_label("Budget used", exact=True).inner_text().strip()

    page.get_by_role("navigation", name="Dashboard pages").get_by_role(
        "link", name="Monthly report"
    ).click()
    page.wait_for_url(re.compile(rf"^[^?]*{re.escape(dashboard)}/report/?$"))
    expect(page.get_by_role("heading", name=re.compile(r"^Monthly report: "))).to_be_visible()
    expect(page.get_by_role("heading", name="Executive dashboard")).to_have_count(0)
    for heading in ("Culture", "Top risks", "Response rates"):
        expect(page.get_by_role("heading", name=heading, exact=True)).to_be_visible()
    key_figures = page.get_by_role("region", name="Key figures")
    expect(page.get_by_text(re.compile(r"figures as of \d{4}-\d\d-\d\d"))).to_be_visible()

    def report_value(row: str) -> str:
        found = key_figures.get_by_role("row").filter(
            has=page.get_by_role("rowheader", name=row, exact=True)
        )
        expect(found).to_have_count(1)
        return found.get_by_role("cell").inner_text().strip()

    for label, row in SAME_FIGURES.items():
        assert report_value(row) == on_dashboard[label], (label, row)
    assert report_value("Budget used") == budget_used
    expect(page.get_by_role("region", name="Top risks").get_by_role("row")).not_to_have_count(0)

    # Printing: the print stylesheet is there, and the Print button stays off the paper.
    print_button = page.get_by_role("button", name="Print")
    expect(print_button).to_be_visible()
    assert page.evaluate(
        """() => [...document.styleSheets].some(sheet => {
            try { return [...sheet.cssRules].some(r => r.media && r.media.mediaText === 'print'); }
            catch (e) { return false; }
        })"""
    )
    page.emulate_media(media="print")
    expect(print_button).to_be_hidden()
    expect(key_figures).to_be_visible()
    page.emulate_media(media="screen")
    expect(print_button).to_be_visible()


def _sign_up(page: Page, base_url: str) -> str:
    already = len(smtp.wait_for(0, subject=VERIFY_SUBJECT))
    page.goto(f"{base_url}/signup")
    page.get_by_label("Organisation name").fill("First Run Org")
    page.get_by_label("Your name").fill("Fran First")
    page.get_by_label("Email").fill(NEW_OWNER)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Create organisation").click()
    expect(page.get_by_role("status")).to_contain_text("Check your inbox")
    mails = [m for m in smtp.wait_for(already + 1, subject=VERIFY_SUBJECT) if m["To"] == NEW_OWNER]
    assert len(mails) == 1
    link = re.search(r"https?://\S+/verify/\S+", smtp.body(mails[-1]))
    assert link is not None
    page.goto(link.group(0))
    expect(page.get_by_role("status")).to_contain_text("Your email address is verified")
    return "first-run-org"


def test_a_new_organisation_sees_its_checklist_and_empty_states(page: Page, base_url: str):
    slug = _sign_up(page, base_url)
    _sign_in(page, base_url, f"/o/{slug}", NEW_OWNER, PASSWORD)
    expect(page.get_by_role("heading", name="Home", exact=True)).to_be_visible()
    checklist = page.get_by_role("region", name="Get started")
    for step in (
        "Invite people",
        "Create teams",
        "Run a first assessment",
        "Launch a first survey",
        "Create a first portfolio",
    ):
        expect(checklist.get_by_role("link", name=step)).to_be_visible()

    # Surveys: what they are for, and the first action (to the launch form).
    page.goto(f"{base_url}/o/{slug}/surveys")
    no_survey = page.get_by_role("region", name="No survey yet")
    expect(no_survey).to_contain_text("without exposing anyone")
    no_survey.get_by_role("link", name="Launch your first survey").click()
    expect(page).to_have_url(re.compile(r"#launch-survey$"))
    expect(page.get_by_label("Survey title")).to_be_in_viewport()
    expect(page.get_by_role("region", name="Nothing to answer yet")).to_contain_text(
        "arrive by email"
    )

    # Assessments: no team yet, so the first action is to create one.
    page.goto(f"{base_url}/o/{slug}/assessments")
    no_round = page.get_by_role("region", name="No round yet")
    expect(no_round).to_contain_text("where each team stands")
    no_round.get_by_role("link", name="Create a team first").click()
    page.wait_for_url(re.compile(rf"^[^?]*/o/{slug}/teams/?$"))

    # The dashboard: what it will gather, and where to begin.
    page.goto(f"{base_url}/o/{slug}/dashboard")
    nothing = page.get_by_role("region", name="Nothing to show yet")
    expect(nothing).to_contain_text("appear as you create a portfolio")
    expect(nothing.get_by_role("link", name="Create a portfolio")).to_have_attribute(
        "href", f"/o/{slug}/portfolio"
    )
    expect(page.get_by_role("region", name="No Westrum or eNPS figure yet")).to_be_visible()
    expect(page.get_by_role("region", name="No maturity round yet")).to_be_visible()
