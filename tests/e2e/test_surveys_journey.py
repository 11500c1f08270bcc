"""The culture survey journey in a real browser against the production build.

A coach launches a Westrum survey to two teams; a real SMTP server on loopback
(tests/peers/smtp.py) receives the personal links; five people of Team One and four of Team
Two answer through their emailed links without signing in. A link opened in two tabs counts
once and a used link says so. The coach closes the survey: Team One's results show (Westrum
4.20: its people answered 3, 4, 5, 6 and 3 on every item) with its comments (threshold 5);
Team Two (4 responses) is hidden with the reason, and so is the organisation total (it would
give Team Two away by subtraction), and no Team Two comment appears anywhere, CSV included.
A Team One member then reads their own team's results, and the coach deletes the survey
after confirming.
"""

from __future__ import annotations

import re

from playwright.sync_api import Browser, Page, expect

from pmo_saas.kernel.roles import Role
from pmo_saas.surveys import instruments as ins
from tests import factories
from tests.peers import smtp
from tests.surveys.helpers import LINK, email_of, people

TITLE = "How we work"
SUBJECT = f"Your voice, anonymously: {TITLE}"
AGREE7 = ins.AGREE7


def _sign_in(page: Page, base_url: str, slug: str, email: str) -> None:
    page.goto(f"{base_url}/o/{slug}/surveys")
    page.wait_for_url(re.compile(r"^[^?]*/signin.*"))
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(factories.PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(re.compile(rf"^[^?]*/o/{slug}/surveys/?$"))
    expect(page.get_by_role("heading", name="Surveys", exact=True)).to_be_visible()


def _answer(page: Page, value: int, comment: str) -> None:
    for _, prompt in ins.WESTRUM_ITEMS:
        page.get_by_role("group", name=prompt).get_by_label(AGREE7[value - 1], exact=True).check()
    page.get_by_label("Anything else you would like to tell us? (optional)").fill(comment)
    page.get_by_role("button", name="Send my answers").click()


def test_coach_launches_to_two_teams_people_answer_by_mail_and_results_keep_anonymity(
    page: Page, browser: Browser, base_url: str, tmp_path
):
    owner = factories.make_org("Survey Journey")
    slug = owner.org_slug
    factories.make_member(owner, Role.COACH, name="Cora Coach", email="cora@survey.test")
    una = factories.make_member(owner, name="Una", email="una@survey.test")
    team_one = [una, *people(owner, 4)]
    team_two = people(owner, 4)
    factories.make_team(owner, "Team One", members=team_one)
    factories.make_team(owner, "Team Two", members=team_two)
    already = len(smtp.wait_for(0, subject=SUBJECT))  # from earlier tests of this session

    # The coach launches a Westrum survey to both teams, comments shown from 5 responses.
    _sign_in(page, base_url, slug, "cora@survey.test")
    page.get_by_label("Survey title").fill(TITLE)
    expect(page.get_by_label("Survey type")).to_have_value("westrum")
    page.get_by_role("checkbox", name="Team One (5)").click()
    page.get_by_role("checkbox", name="Team Two (4)").click()
    page.get_by_label("Minimum responses for comments").fill("5")
    page.get_by_role("button", name="Launch survey").click()
    expect(page.get_by_role("status")).to_contain_text("Survey launched")
    surveys = page.get_by_role("region", name="Surveys")
    expect(surveys).to_contain_text(TITLE)
    expect(surveys).to_contain_text("0 of 5 answered")
    expect(surveys).to_contain_text("0 of 4 answered")

    # Nine personal links arrive through the SMTP server, one per person.
    mails = smtp.wait_for(already + 9, subject=SUBJECT)[already:]
    assert len(mails) == 9
    links = {m["To"]: LINK.search(smtp.body(m)) for m in mails}
    assert set(links) == {email_of(p) for p in team_one + team_two}
    url = {to: f"{base_url}/s/{found.group(1)}" for to, found in links.items() if found}

    # People answer through their links, without any account or sign-in. Each link opens in
    # its own tab (loading side by side), with the first link open in a second tab as well.
    respondent = browser.new_context()
    first = url[email_of(team_one[0])]
    answers = [(p, 3 + n % 4, f"one says {n}") for n, p in enumerate(team_one)]
    answers += [(p, 2, f"two confides {n}") for n, p in enumerate(team_two)]
    tabs = []
    for person, _, _ in answers:
        tab = respondent.new_page()
        tab.goto(url[email_of(person)], wait_until="commit")
        tabs.append(tab)
    other_tab = respondent.new_page()
    other_tab.goto(first, wait_until="commit")
    expect(other_tab.get_by_role("button", name="Send my answers")).to_be_visible()
    for tab, (_, value, comment) in zip(tabs, answers, strict=True):
        tab.bring_to_front()  # a background tab gets no animation frames: scrolling stalls
        expect(tab.get_by_role("heading", name=TITLE)).to_be_visible()
        _answer(tab, value, comment)
        expect(tab.get_by_role("status")).to_contain_text("Thank you")

    # Submitting again from the other tab does not count twice; reopening says it was used.
    other_tab.bring_to_front()
    _answer(other_tab, 7, "counted twice?")
    expect(other_tab.get_by_role("alert")).to_contain_text("already been used")
    tab = tabs[0]
    tab.bring_to_front()
    tab.goto(first)
    expect(tab.get_by_role("alert")).to_contain_text("This link has already been used")
    expect(tab.get_by_role("button", name="Send my answers")).to_have_count(0)
    tab.goto(f"{base_url}/s/made-up-token")
    expect(tab.get_by_role("alert")).to_contain_text("This survey link is not valid")
    respondent.close()

    # The response rate is live; results wait for the close.
    page.reload()
    expect(surveys).to_contain_text("5 of 5 answered")
    expect(surveys).to_contain_text("4 of 4 answered")
    expect(page.get_by_role("link", name=f"Results of {TITLE}")).to_have_count(0)
    page.get_by_role("button", name=f"Close {TITLE}").click()
    page.get_by_role("alertdialog").get_by_role("button", name="Close survey").click()
    expect(page.get_by_role("status")).to_contain_text("Survey closed")
    expect(page.get_by_label(f"Status of {TITLE}")).to_have_text("closed")
    page.get_by_role("link", name=f"Results of {TITLE}").click()
    page.wait_for_url(re.compile(rf"^[^?]*/o/{slug}/surveys/results/\d+/?$"))

    one = page.get_by_role("region", name="Results of Team One")
    expect(one).to_contain_text("5 responses")
    expect(one).to_contain_text("Westrum score (1-7):4.20")
    comments = page.get_by_role("region", name="Comments of Team One")
    for n in range(5):
        expect(comments).to_contain_text(f"one says {n}")
    two = page.get_by_role("region", name="Results of Team Two")
    expect(two).to_contain_text("hidden")
    expect(two).to_contain_text("Hidden: fewer than 5 responses, so answers could identify people")
    whole = page.get_by_role("region", name="Results of Whole organisation")
    expect(whole).to_contain_text("The organisation total is hidden")
    expect(page.get_by_text("two confides")).to_have_count(0)
    expect(page.get_by_text("counted twice?")).to_have_count(0)
    heat = page.get_by_role("region", name="Heat map")
    expect(heat.get_by_role("row").filter(has_text="Team Two")).to_contain_text("hidden")
    expect(page.get_by_role("region", name="Trend across rounds")).to_contain_text("Round 1")

    # The summary first: headline figures, then the heat map, then each group in detail.
    headlines = page.get_by_role("region", name="Headline figures")
    expect(headlines.get_by_role("row").filter(has_text="Team One")).to_contain_text("4.20")
    expect(headlines.get_by_role("row").filter(has_text="Team Two")).to_contain_text("hidden")
    tops = [
        page.get_by_role("region", name=name).bounding_box()
        for name in ("Headline figures", "Heat map", "Each group in detail")
    ]
    assert all(tops) and tops[0]["y"] < tops[1]["y"] < tops[2]["y"]  # type: ignore[index]
    # Each question's distribution is behind a disclosure, with its table as text.
    first_item = ins.WESTRUM_ITEMS[0][1]
    distribution = one.get_by_role("figure", name=f"Distribution of {first_item} in Team One")
    expect(distribution).to_have_count(0)
    one.get_by_text("Answers per question").click()
    expect(distribution).to_be_visible()
    distribution.get_by_text("Show the figures as a table").click()
    # Team One answered 3, 4, 5, 6, 3: two of five chose the third option.
    expect(distribution.get_by_role("row").filter(has_text=AGREE7[2])).to_contain_text("40")

    with page.expect_download() as download_info:
        page.get_by_role("button", name="Export CSV").click()
    download = download_info.value
    assert download.suggested_filename == "how-we-work-round-1.csv"
    target = tmp_path / "results.csv"
    download.save_as(target)
    exported = target.read_text()
    assert "one says 4" in exported and "two confides" not in exported
    assert "Team Two,,," in exported and "fewer than 5 responses" in exported

    # "You said, we did": a Team One member sees their team's results after the close.
    member = browser.new_context()
    member_page = member.new_page()
    _sign_in(member_page, base_url, slug, "una@survey.test")
    member_page.get_by_role("link", name=f"Your team's results for {TITLE}").click()
    expect(member_page.get_by_role("region", name="Results of Team One")).to_contain_text("4.20")
    expect(member_page.get_by_role("button", name="Launch survey")).to_have_count(0)
    member.close()

    # The coach deletes the survey, confirming first: its responses go with it.
    page.get_by_role("link", name="All surveys").click()
    page.get_by_role("button", name=f"Delete {TITLE}").click()
    dialog = page.get_by_role("alertdialog")
    expect(dialog).to_contain_text("also deletes all its responses")
    dialog.get_by_role("button", name="Keep it").click()
    expect(page.get_by_role("alertdialog")).to_have_count(0)
    expect(surveys).to_contain_text(TITLE)
    page.get_by_role("button", name=f"Delete {TITLE}").click()
    page.get_by_role("alertdialog").get_by_role(
        "button", name="Delete survey and responses"
    ).click()
    expect(page.get_by_role("status")).to_contain_text("deleted with all its responses")
    expect(surveys).not_to_contain_text(TITLE)


def test_an_open_link_answers_once_per_browser_and_stops_at_its_cap(
    page: Page, browser: Browser, base_url: str
):
    """The padding attack in a real browser: a one-person team's open link takes one answer;
    reloading in the same browser (the key stays in localStorage) or opening it in a fresh
    browser both say no, and the link never stays in the address bar."""
    owner = factories.make_org("Open Link Journey")
    slug = owner.org_slug
    factories.make_member(owner, Role.COACH, name="Oz Coach", email="oz@open.test")
    factories.make_team(owner, "Solo", members=people(owner, 1))
    _sign_in(page, base_url, slug, "oz@open.test")
    page.get_by_label("Survey title").fill("Open pulse")
    page.get_by_role("checkbox", name="Solo (1)").click()
    page.get_by_label("How people answer").select_option("open")
    page.get_by_role("button", name="Launch survey").click()
    expect(page.get_by_role("status")).to_contain_text("launched for open links")
    page.get_by_role("button", name="Make an open link for Solo in Open pulse").click()
    link = page.get_by_label("Open link for Solo", exact=True).inner_text()
    assert "/s/" in link

    first = browser.new_context()
    tab = first.new_page()
    tab.goto(link)
    expect(tab.get_by_role("heading", name="Open pulse")).to_be_visible()
    assert tab.url.rstrip("/").endswith("/s")  # the token has left the address bar
    _answer(tab, 2, "only mine")
    expect(tab.get_by_role("status")).to_contain_text("Thank you")
    again = first.new_page()  # same browser, fresh page load
    again.goto(link)
    expect(again.get_by_role("alert")).to_contain_text("already answered")
    expect(again.get_by_role("button", name="Send my answers")).to_have_count(0)
    first.close()

    other = browser.new_context()  # another browser: the cap (the team's size, 1) is reached
    tab = other.new_page()
    tab.goto(link)
    expect(tab.get_by_role("alert")).to_contain_text("taken all the answers")
    other.close()
    page.reload()
    expect(page.get_by_role("region", name="Surveys")).to_contain_text("1 through the open link")
