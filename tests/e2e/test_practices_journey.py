"""The practices and capacity journey in a real browser against the production build.

A coach publishes a practice (its how-to holds a <script>, which shows as text and never
runs), a member of a team marks it adopted with a note, and the matrix shows it; the coach
links it to a goal: an empty coaching plan for that team, a goal on the practice's dimension,
which lists the practice ("To raise ..., try these") with the team's adoption state and a
link that opens it; the coach then enters capacity for two teams, allocates a funded
initiative beyond one team's capacity and sees that team over-allocated.
"""

from __future__ import annotations

import re

from playwright.sync_api import Browser, Page, expect

from pmo_saas.kernel.roles import Role
from tests import factories
from tests.capacity.helpers import funded_initiatives
from tests.e2e.journey import email_of, sign_in

HOW_TO = "Swap the keyboard **every 25 minutes**.\n\n<script>window.__pwned = 1</script>"


def test_publish_adopt_and_see_an_over_allocation(page: Page, browser: Browser, base_url: str):
    owner = factories.make_org("Practice Org")
    coach = factories.make_member(owner, Role.COACH, name="Cora Coach")
    mia = factories.make_member(owner, Role.MEMBER, name="Mia Member")
    factories.make_team(owner, "Alpha", members=[mia])
    factories.make_team(owner, "Beta")
    funded_initiatives(owner, {"Checkout": "Retail"})
    slug = owner.org_slug

    # ---- the coach publishes a practice; its how-to renders as markdown, never as HTML
    sign_in(page, base_url, email_of(coach.user_id), f"/o/{slug}/practices")
    page.get_by_label("Title", exact=True).fill("Pair programming")
    page.get_by_label("Purpose").fill("Two people, one problem: fewer defects.")
    page.get_by_label("How to (markdown)").fill(HOW_TO)
    page.get_by_label("Technical excellence").check()
    page.get_by_role("button", name="Publish").click()
    expect(page.get_by_role("status").filter(has_text="published")).to_contain_text(
        "Practice published."
    )
    practices = page.get_by_role("region", name="Practices", exact=True)
    expect(practices).to_contain_text("Technical excellence")
    practices.get_by_role("link", name="Pair programming").click()
    page.wait_for_url(re.compile(r"^[^?]*/practices/\d+/?$"))
    how_to = page.get_by_role("region", name="How to")
    expect(how_to.locator("strong")).to_have_text("every 25 minutes")
    expect(how_to).to_contain_text("<script>window.__pwned = 1</script>")
    assert how_to.locator("script").count() == 0
    assert page.evaluate("() => window.__pwned === undefined")
    practice_url = page.url

    # ---- a member of Alpha marks it adopted with a note
    member_context = browser.new_context()
    member_page = member_context.new_page()
    path = practice_url.removeprefix(base_url)
    sign_in(member_page, base_url, email_of(mia.user_id), path)
    member_page.get_by_label("Team", exact=True).select_option(label="Alpha")
    member_page.get_by_label("Adoption", exact=True).select_option(label="Adopted")
    member_page.get_by_label("How we adapted it (note)").fill("We pair on every story.")
    member_page.get_by_role("button", name="Record adoption").click()
    expect(member_page.get_by_role("status")).to_contain_text("Alpha: Adopted.")
    adoption = member_page.get_by_role("region", name="Adoption by team")
    expect(adoption.get_by_role("row").filter(has_text="Alpha")).to_contain_text(
        "We pair on every story."
    )
    member_context.close()
    page.goto(f"{base_url}/o/{slug}/practices")
    matrix = page.get_by_role("region", name="Adoption matrix")
    expect(matrix.get_by_role("row").filter(has_text="Alpha")).to_contain_text("Adopted")
    expect(matrix.get_by_role("row").filter(has_text="Beta")).to_contain_text("Not started")

    # ---- the coach links it to a goal: a plan for Alpha, a goal on the practice's dimension
    page.get_by_role("navigation", name="Sections").get_by_role("link", name="Coaching").click()
    page.wait_for_url(re.compile(r"^[^?]*/coaching/?$"))
    page.get_by_label("Plan title", exact=True).fill("Alpha engineering")
    page.get_by_label("For team", exact=True).select_option(label="Alpha")
    page.get_by_role("button", name="Create empty plan").click()
    page.wait_for_url(re.compile(r"^[^?]*/coaching/plans/\d+/?$"))
    page.get_by_role("button", name="Add a goal").click()
    page.get_by_label("Goal", exact=True).fill("Fewer escaped defects")
    page.get_by_label("Assessment dimension").select_option(label="Technical excellence")
    page.get_by_role("button", name="Add goal").click()
    goal = page.get_by_role("article", name="Goal Fewer escaped defects")
    expect(goal).to_contain_text("Technical excellence")
    helps = goal.get_by_role("navigation", name="Practices for Fewer escaped defects")
    expect(helps).to_contain_text("To raise Technical excellence, try these:")
    expect(helps.get_by_role("listitem").filter(has_text="Pair programming")).to_contain_text(
        "Adopted"
    )
    helps.get_by_role("link", name="Pair programming").click()
    page.wait_for_url(re.compile(re.escape(path) + r"/?$"))
    expect(page.get_by_role("region", name="How to")).to_contain_text("every 25 minutes")

    # ---- capacity for two teams, then a funded initiative beyond Alpha's capacity
    page.get_by_role("navigation", name="Sections").get_by_role("link", name="Capacity").click()
    page.wait_for_url(re.compile(r"^[^?]*/capacity/?$"))
    for team, people in (("Alpha", "2"), ("Beta", "3")):
        page.get_by_label("Team", exact=True).select_option(label=team)
        page.get_by_label("Quarter", exact=True).fill("2027-Q1")
        page.get_by_label("People", exact=True).fill(people)
        page.get_by_label("Days per person").fill("10")
        page.get_by_role("button", name="Save capacity").click()
        expect(page.get_by_role("region", name="Capacity", exact=True)).to_contain_text(team)
    page.get_by_label("Initiative", exact=True).select_option(label="Checkout")
    page.get_by_label("Allocated to team").select_option(label="Alpha")
    page.get_by_label("Allocation quarter").fill("2027-Q1")
    page.get_by_label("Person-days").fill("25")
    page.get_by_role("button", name="Allocate").click()
    expect(page.get_by_role("status").filter(has_text="over-allocated")).to_contain_text(
        "1 team quarter(s) are over-allocated."
    )
    load = page.get_by_role("region", name="Team load")
    expect(load.get_by_role("row").filter(has_text="Alpha")).to_contain_text("Over-allocated")
    expect(load.get_by_role("row").filter(has_text="Alpha")).to_contain_text("-5")
    expect(load.get_by_role("row").filter(has_text="Beta")).to_contain_text("Within capacity")
