"""The roll-out and programmes journey in a real browser against the production build.

A coach plans a pilot wave on the roadmap, puts two teams in it and gives it an exit
criterion ("maturity >= 3 in Flow"); the wave's page shows each team's progress from the
latest closed round (Alpha 4.00 met, Beta 2.50 not met). The coach then groups a funded
initiative into a programme and sees the programme's roll-up.
"""

from __future__ import annotations

import re

from playwright.sync_api import Page, expect

from pmo_saas.kernel.roles import Role
from tests import factories
from tests.assessments.helpers import answered_round
from tests.delivery.plan_builders import adopt
from tests.e2e.journey import email_of, sign_in
from tests.portfolio.builders import make_initiative, make_portfolio, wsjf


def test_a_wave_shows_its_teams_progress_and_a_programme_rolls_up(page: Page, base_url: str):
    owner = factories.make_org("Rollout Org")
    coach = factories.make_member(owner, Role.COACH, name="Cora Coach")
    alpha, beta = factories.make_team(owner, "Alpha"), factories.make_team(owner, "Beta")
    # Alpha: flow (4 + 4) / 2 = 4.00; Beta: flow (2 + 3) / 2 = 2.50.
    answered_round(owner, {alpha: [(4, 4, 3)], beta: [(2, 3, 5)]})
    portfolio = make_portfolio(owner, "Retail", budget=200_000)
    make_initiative(
        owner, portfolio, "A checkout", cost=100_000, scores=wsjf(8, 5, 3, 5),
        start_date="2027-01-01", end_date="2027-06-30",
    )  # fmt: skip
    adopt(owner, portfolio)
    slug = owner.org_slug

    # ---- the coach plans the pilot wave on the roadmap
    sign_in(page, base_url, email_of(coach.user_id), f"/o/{slug}/rollout")
    page.get_by_label("Wave title").fill("Pilot")
    page.get_by_label("This is the pilot").check()
    page.get_by_role("button", name="Add wave").click()
    expect(page.get_by_role("status").filter(has_text="roadmap")).to_contain_text(
        "Wave added to the roadmap."
    )
    waves = page.get_by_role("region", name="Waves", exact=True)
    waves.get_by_role("link", name="Pilot").click()
    page.wait_for_url(re.compile(r"^[^?]*/rollout/\d+/?$"))

    # ---- its teams and an exit criterion
    for team in ("Alpha", "Beta"):
        page.get_by_label("Team", exact=True).select_option(label=team)
        page.get_by_role("button", name="Add team").click()
        expect(page.get_by_role("status").filter(has_text="Team added")).to_be_visible()
        expect(page.get_by_role("button", name=f"Take {team} out of the wave")).to_be_visible()
    page.get_by_label("Kind", exact=True).select_option(label="Exit")
    page.get_by_label("Figure", exact=True).select_option(label="Maturity: Flow")
    page.get_by_label("Operator", exact=True).select_option(label=">=")
    page.get_by_label("Threshold", exact=True).fill("3")
    page.get_by_role("button", name="Add criterion").click()
    expect(page.get_by_role("status").filter(has_text="Criterion added")).to_be_visible()

    # ---- each team's progress against the exit criterion
    progress = page.get_by_role("region", name="Team progress")
    expect(
        progress.get_by_role("columnheader", name="Exit: maturity >= 3.00 in Flow")
    ).to_be_visible()
    expect(progress.get_by_role("row").filter(has_text="Alpha")).to_contain_text("4.00 met")
    expect(progress.get_by_role("row").filter(has_text="Alpha")).to_contain_text("Ready")
    expect(progress.get_by_role("row").filter(has_text="Beta")).to_contain_text("2.50 not met")
    expect(page.get_by_role("region", name="Progress", exact=True)).to_contain_text(
        "1 of 2 teams meet every exit criterion."
    )

    # ---- the wave's dates are set later, in its edit dialog (a clash keeps what was typed)
    page.get_by_role("button", name="Edit wave").click()
    dialog = page.get_by_role("dialog", name="Edit the wave")
    expect(dialog.get_by_label("Wave title")).to_have_value("Pilot")
    dialog.get_by_label("Starts").fill("2027-01-11")
    dialog.get_by_label("Ends").fill("2027-01-04")
    dialog.get_by_role("button", name="Save wave").click()
    expect(dialog.get_by_role("alert")).to_contain_text("ends before it starts")
    expect(dialog.get_by_label("Starts")).to_have_value("2027-01-11")
    dialog.get_by_label("Ends").fill("2027-03-26")
    dialog.get_by_role("button", name="Save wave").click()
    expect(page.get_by_role("status").filter(has_text="Wave saved")).to_be_visible()
    expect(page.get_by_role("dialog", name="Edit the wave")).to_have_count(0)
    expect(page.get_by_text("Pilot wave. 2027-01-11 to 2027-03-26")).to_be_visible()
    page.get_by_role("button", name="Move earlier").click()
    expect(page.get_by_role("alert")).to_contain_text("already the first wave")

    # ---- a programme's roll-up
    page.get_by_role("navigation", name="Sections").get_by_role("link", name="Programmes").click()
    page.wait_for_url(re.compile(r"^[^?]*/programmes/?$"))
    page.get_by_label("Programme name").fill("Digital store")
    page.get_by_label("Portfolio", exact=True).select_option(label="Retail")
    page.get_by_label("Budget", exact=True).fill("150000")
    page.get_by_role("button", name="Create programme").click()
    expect(page.get_by_role("status").filter(has_text="Programme created")).to_be_visible()
    page.get_by_label("Programme", exact=True).select_option(label="Digital store")
    page.get_by_label("Initiative", exact=True).select_option(label="Retail: A checkout")
    page.get_by_role("button", name="Add to programme").click()
    rollup = page.get_by_role("region", name="Programme Digital store")
    expect(rollup).to_contain_text("100,000 EUR funded of 150,000 EUR")
    expect(rollup.get_by_role("row").filter(has_text="A checkout")).to_contain_text("Funded")
    expect(rollup).to_contain_text("1 initiatives")
