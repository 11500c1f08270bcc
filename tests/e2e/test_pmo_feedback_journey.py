"""Feedback on the PMO in a real browser against the production build.

A coach launches the built-in feedback on the PMO to every team from the PMO improvement page;
the five people of the one team answer through their mailed personal links (no sign-in), on
the real answering page. The coach closes the round: the dashboard's "Feedback on the PMO"
tile shows the PMO service score (3.50, by hand below ANSWERS) with the figures as a table,
and the coach raises an improvement item from the round's funding statement and moves it to
Doing.
"""

from __future__ import annotations

import re

from playwright.sync_api import Browser, Page, expect

from pmo_saas.kernel.roles import Role
from pmo_saas.surveys import instruments as ins
from tests import factories
from tests.peers import smtp
from tests.surveys.helpers import LINK, email_of, people

TITLE = "Feedback on the PMO"
SUBJECT = f"Your voice, anonymously: {TITLE}"
# Each person's answers to coaching, funding, reports, serves (1-5).
ANSWERS = [(4, 3, 2, 5), (4, 2, 3, 5), (5, 3, 3, 4), (3, 2, 4, 4), (4, 3, 3, 4)]
# Means: coaching 20/5 = 4.00, funding 13/5 = 2.60, reports 15/5 = 3.00, serves 22/5 = 4.40;
# the score is the mean of the four: 14.0/4 = 3.50.


def _sign_in(page: Page, base_url: str, slug: str, email: str, path: str) -> None:
    page.goto(f"{base_url}/o/{slug}{path}")
    page.wait_for_url(re.compile(r"^[^?]*/signin.*"))
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(factories.PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(re.compile(rf"^[^?]*/o/{slug}{path}/?$"))


def test_five_people_answer_the_pmo_feedback_and_its_tile_and_an_improvement_follow(
    page: Page, browser: Browser, base_url: str
):
    owner = factories.make_org("Feedback Journey")
    slug = owner.org_slug
    factories.make_member(owner, Role.COACH, name="Cora Coach", email="cora@feedback.test")
    team = people(owner, 5)
    factories.make_team(owner, "Team One", members=team)
    already = len(smtp.wait_for(0, subject=SUBJECT))

    _sign_in(page, base_url, slug, "cora@feedback.test", "/improvement")
    expect(page.get_by_role("heading", name="PMO improvement")).to_be_visible()
    feedback = page.get_by_role("region", name="Feedback on the PMO")
    expect(feedback).to_contain_text("No round yet")
    page.get_by_role("button", name="Launch feedback to every team").click()
    expect(page.get_by_role("status")).to_contain_text("launched to every team")
    expect(feedback).to_contain_text("Round 1")
    expect(feedback).to_contain_text("Still running")

    mails = smtp.wait_for(already + 5, subject=SUBJECT)[already:]
    links = {m["To"]: LINK.search(smtp.body(m)) for m in mails}
    assert set(links) == {email_of(p) for p in team}
    respondent = browser.new_context()
    for person, given in zip(team, ANSWERS, strict=True):
        found = links[email_of(person)]
        assert found is not None
        tab = respondent.new_page()
        tab.goto(f"{base_url}/s/{found.group(1)}")
        expect(tab.get_by_role("heading", name=TITLE)).to_be_visible()
        for (_, prompt), value in zip(ins.PMO_ITEMS, given, strict=True):
            tab.get_by_role("group", name=prompt).get_by_label(
                ins.AGREE5[value - 1], exact=True
            ).check()
        tab.get_by_label(ins.PMO_COMMENT).fill("Keep the coaching")
        tab.get_by_role("button", name="Send my answers").click()
        expect(tab.get_by_role("status")).to_contain_text("Thank you")
        tab.close()
    respondent.close()

    # The coach closes the round on the surveys page.
    page.goto(f"{base_url}/o/{slug}/surveys")
    surveys = page.get_by_role("region", name="Surveys")
    expect(surveys).to_contain_text("5 of 5 answered")
    page.get_by_role("button", name=f"Close {TITLE}").click()
    page.get_by_role("alertdialog").get_by_role("button", name="Close survey").click()
    expect(page.get_by_role("status")).to_contain_text("Survey closed")

    # The dashboard's tile: the score, and its figures as a table (the chart's text).
    page.goto(f"{base_url}/o/{slug}/dashboard")
    tile = page.get_by_role("region", name="Feedback on the PMO")
    expect(tile.get_by_label("PMO service score (1-5)", exact=True)).to_have_text("3.50")
    figure = tile.get_by_role("figure", name="Feedback on the PMO, round by round")
    expect(figure).to_be_visible()
    figure.get_by_text("Show the figures as a table").click()
    row = figure.get_by_role("row").filter(has_text="Round 1")
    for text in ("5", "3.50", "4.00", "2.60", "3.00", "4.40"):
        expect(row).to_contain_text(text)

    # An improvement item raised from the round's funding statement, then moved to Doing.
    page.goto(f"{base_url}/o/{slug}/improvement")
    expect(feedback.get_by_role("row").filter(has_text="Round 1")).to_contain_text("2.60")
    page.get_by_label("Title", exact=True).fill("Explain each funding decision in the review")
    page.get_by_label("Comes from", exact=True).select_option("feedback")
    page.get_by_label("Feedback round", exact=True).select_option(label=f"{TITLE}, round 1")
    page.get_by_label("Statement", exact=True).select_option("funding")
    page.get_by_role("button", name="Raise").click()
    expect(page.get_by_role("status")).to_contain_text("Improvement item raised")
    backlog = page.get_by_role("region", name="Improvement backlog")
    item = backlog.get_by_role("row").filter(has_text="Explain each funding decision")
    expect(item).to_contain_text("PMO feedback: Round 1, Funding decisions are clear")
    page.get_by_label("Status of Explain each funding decision in the review").select_option(
        "doing"
    )
    expect(page.get_by_role("status")).to_contain_text("Status changed")
    expect(
        page.get_by_label("Status of Explain each funding decision in the review")
    ).to_have_value("doing")
