"""The assessments journey in a real browser against the production build.

A coach starts a round for two teams; three members of Alpha answer alone (one saves halfway
and finishes later); the coach follows the progress, closes the round and reads the numbers
under the radar chart and in the heat map, exports the CSV and marks a focus dimension; after
adapting the model (a new version) a second round shows the change.

The hand-computed figures, Alpha round 1 (scale 1..5):
  Flow (F1, F2): ann 3, 4; ben 2, 2; cat 5, 4 -> 2 2 3 4 4 5: mean 3.33, median 3.50,
    min 2, max 5, population sd sqrt(44/36) = 1.11
  Quality (Q1): ann 2, ben 3, cat 4 -> mean 3.00, median 3.00, sd sqrt(2/3) = 0.82
  Teamwork (T1): ann 4, ben 4, cat 5 -> mean 4.33, median 4.00, sd sqrt(2/9) = 0.47
Beta (one respondent, answered through the services): Flow 1, 2 -> 1.50; Quality 5 -> 5.00;
  Teamwork 3 -> 3.00; spread hidden.
Alpha round 2: everyone 4 -> Flow 4.00 (+0.67), Quality 4.00 (+1.00), Teamwork 4.00 (-0.33).
"""

from __future__ import annotations

import re

from playwright.sync_api import Browser, Locator, Page, expect

from pmo_saas.assessments.schemas import DimensionInput
from pmo_saas.assessments.services import catalog
from pmo_saas.db import tenant_session
from pmo_saas.kernel.context import TenantContext
from pmo_saas.kernel.roles import Role
from tests import factories
from tests.assessments import helpers
from tests.e2e.journey import busy_seen, watch_busy

SLUG_ORG = "Assess Journey"


def _journey_model(owner: TenantContext) -> None:
    with tenant_session(owner) as session:
        catalog.create_model(
            session=session,
            ctx=owner,
            name="Journey model",
            levels=helpers.LEVELS,
            dimensions=[
                DimensionInput(key="flow", name="Flow", statements=["F1", "F2"]),
                DimensionInput(key="quality", name="Quality", statements=["Q1"]),
                DimensionInput(key="teamwork", name="Teamwork", statements=["T1"]),
            ],
        )


def _sign_in(page: Page, base_url: str, slug: str, email: str) -> None:
    page.goto(f"{base_url}/o/{slug}/assessments")
    page.wait_for_url(re.compile(r"^[^?]*/signin.*"))
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(factories.PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(re.compile(rf"^[^?]*/o/{slug}/assessments/?$"))
    expect(page.get_by_role("heading", name="Assessments", exact=True)).to_be_visible()


def _rate(page: Page, statement: str, value: int) -> None:
    radio = page.get_by_role("group", name=statement).get_by_role(
        "radio", name=f"{value} · Level {value}"
    )
    radio.click()  # controlled by the server state: checked once the round trip is done
    expect(radio).to_be_checked()


def _open_questionnaire(page: Page, round_title: str, team: str) -> None:
    page.get_by_role("link", name=f"Answer {round_title} for {team}").click()
    expect(page.get_by_role("heading", name=f"{round_title} · {team}")).to_be_visible()


def _answer_all(page: Page, ratings: dict[str, int], comment: str = "") -> None:
    for statement, value in ratings.items():
        _rate(page, statement, value)
    if comment:
        page.get_by_label("Comment on Flow (optional)").fill(comment)
    page.get_by_role("button", name="Submit answers").click()
    expect(page.get_by_role("status")).to_contain_text("Submitted, thank you. 4 of 4")


def _open_team(page: Page, team: str) -> None:
    """A team's detail is one click away: its disclosure under "Each team"."""
    summary = page.get_by_role("region", name="Each team").get_by_text(f"Details of {team}")
    summary.click()
    expect(page.get_by_role("region", name=f"Results of {team}")).to_be_visible()


def _cells(page: Page, region: str, row: str) -> Locator:
    """The data cells of one row of a table (the row found by its header cell)."""
    table_row = (
        page.get_by_role("region", name=region)
        .get_by_role("row")
        .filter(has=page.get_by_role("rowheader").filter(has_text=re.compile(f"^{row}")))
    )
    expect(table_row).to_have_count(1)
    return table_row.get_by_role("cell")


def test_coach_runs_two_rounds_members_answer_and_results_show_the_numbers(
    page: Page, browser: Browser, base_url: str, tmp_path
):
    owner = factories.make_org(SLUG_ORG)
    slug = owner.org_slug
    coach = factories.make_member(owner, Role.COACH, name="Cora Coach", email="cora@assess.test")
    ann = factories.make_member(owner, name="Ann", email="ann@assess.test")
    ben = factories.make_member(owner, name="Ben", email="ben@assess.test")
    cat = factories.make_member(owner, name="Cat", email="cat@assess.test")
    dan = helpers.person(owner)
    alpha = factories.make_team(owner, "Alpha", members=[ann, ben, cat])
    beta = factories.make_team(owner, "Beta", members=[dan])
    _journey_model(owner)
    assert coach.role == Role.COACH

    # The coach starts a round of the journey model for both teams.
    _sign_in(page, base_url, slug, "cora@assess.test")
    page.get_by_label("Model", exact=True).select_option(label="Journey model (v1)")
    page.get_by_label("Round title").fill("Round 1")
    page.get_by_role("checkbox", name="Alpha (3)").click()
    page.get_by_role("checkbox", name="Beta (1)").click()
    page.get_by_role("button", name="Start round").click()
    page.wait_for_url(re.compile(rf"^[^?]*/o/{slug}/assessments/rounds/\d+/?$"))
    round_1_url = page.url
    round_1 = int(round_1_url.rstrip("/").rsplit("/", 1)[-1])
    expect(page.get_by_role("heading", name="Round 1")).to_be_visible()
    expect(_cells(page, "Response progress", "Alpha")).to_have_text(["3", "0", "0", "0%"])
    expect(_cells(page, "Response progress", "Beta")).to_have_text(["1", "0", "0", "0%"])

    # Beta's only member answers (through the services: the journey follows Alpha).
    helpers.answer(dan, round_1, beta, {"F1": 1, "F2": 2, "Q1": 5, "T1": 3})

    # Ann answers everything, with a comment, in her own browser.
    ann_context = browser.new_context()
    ann_page = ann_context.new_page()
    _sign_in(ann_page, base_url, slug, "ann@assess.test")
    _open_questionnaire(ann_page, "Round 1", "Alpha")
    expect(ann_page.get_by_text("0 of 4 answered")).to_be_visible()
    _answer_all(ann_page, {"F1": 3, "F2": 4, "Q1": 2, "T1": 4}, comment="Standups drag on")
    ann_context.close()

    # Ben answers one statement, saves, and leaves.
    ben_context = browser.new_context()
    ben_page = ben_context.new_page()
    ben_frames: list[str] = []  # everything the server sends Ben's browser
    ben_page.on("websocket", lambda ws: ws.on("framereceived", lambda f: ben_frames.append(str(f))))
    _sign_in(ben_page, base_url, slug, "ben@assess.test")
    _open_questionnaire(ben_page, "Round 1", "Alpha")
    _rate(ben_page, "F1", 2)
    expect(ben_page.get_by_text("1 of 4 answered")).to_be_visible()
    ben_page.get_by_role("button", name="Save and continue later").click()
    expect(ben_page.get_by_role("status")).to_contain_text("Saved. 1 of 4 statements answered")
    ben_page.get_by_role("link", name="All assessments").click()
    expect(ben_page.get_by_role("region", name="Your questionnaires")).to_contain_text("to do")
    # Members see no models, rounds or results, and the coach's round page refuses them.
    expect(ben_page.get_by_role("button", name="Start round")).to_have_count(0)
    ben_page.goto(round_1_url)
    expect(ben_page.get_by_role("alert")).to_contain_text("coach role")
    expect(ben_page.get_by_role("region", name="Heat map")).to_have_count(0)

    # The coach sees who has started and who has submitted.
    page.reload()
    expect(_cells(page, "Response progress", "Alpha")).to_have_text(["3", "2", "1", "33%"])

    # Cat answers everything.
    cat_context = browser.new_context()
    cat_page = cat_context.new_page()
    _sign_in(cat_page, base_url, slug, "cat@assess.test")
    _open_questionnaire(cat_page, "Round 1", "Alpha")
    _answer_all(cat_page, {"F1": 5, "F2": 4, "Q1": 4, "T1": 5})
    cat_context.close()

    # Ben comes back: his saved answer is there; he finishes.
    ben_page.goto(f"{base_url}/o/{slug}/assessments")
    ben_page.get_by_role("link", name="Answer Round 1 for Alpha").click()
    expect(ben_page.get_by_text("1 of 4 answered")).to_be_visible()
    expect(
        ben_page.get_by_role("group", name="F1").get_by_role("radio", name="2 · Level 2")
    ).to_be_checked()
    _answer_all(ben_page, {"F2": 2, "Q1": 3, "T1": 4})
    # Nothing of Ann's answers (here: her comment) reached Ben's browser.
    assert len("".join(ben_frames)) > 1000
    assert "Standups drag on" not in "".join(ben_frames)
    ben_context.close()

    # The coach closes the round and reads the results.
    page.reload()
    expect(_cells(page, "Response progress", "Alpha")).to_have_text(["3", "3", "3", "100%"])
    page.get_by_label("Facilitator notes").fill("Flow is the topic for the retro.")
    page.get_by_role("button", name="Save notes").click()
    expect(page.get_by_role("status")).to_have_text("Notes saved.")
    page.get_by_role("button", name="Close round").click()
    page.get_by_role("alertdialog").get_by_role("button", name="Close round").click()
    expect(page.get_by_role("status")).to_contain_text("Round closed")
    expect(page.get_by_label("Round status")).to_have_text("closed")

    # The summary comes first: the heat map and the organisation's radar, then each team.
    heat_top = page.get_by_role("region", name="Heat map").bounding_box()
    teams_top = page.get_by_role("region", name="Each team").bounding_box()
    assert heat_top and teams_top and heat_top["y"] < teams_top["y"]
    org = page.get_by_role("figure", name="Radar chart of the whole organisation")
    expect(org).to_contain_text("Teamwork")
    expect(org).to_contain_text("This round")  # the legend names the series
    # Its table: Flow over both teams' 8 answers, (3.33 x 6 + 1.50 x 2) / 8 = 2.88.
    org.get_by_text("Show the figures as a table").click()
    expect(org.get_by_role("row").filter(has_text="Flow")).to_contain_text("2.88")
    expect(page.get_by_role("region", name="Results of Alpha")).to_have_count(0)
    _open_team(page, "Alpha")
    _open_team(page, "Beta")

    # Under each radar chart, its numbers.
    expect(page.get_by_role("figure", name="Radar chart of Alpha")).to_contain_text("Flow")
    expect(page.get_by_role("figure", name="Radar chart of Beta")).to_contain_text("Quality")
    flow_alpha = ["3", "3.33", "3.50", "2", "5", "1.11", "1: 0 · 2: 2 · 3: 1 · 4: 2 · 5: 1"]
    expect(_cells(page, "Results of Alpha", "Flow")).to_contain_text([*flow_alpha, "-", "-"])
    expect(_cells(page, "Results of Alpha", "Quality")).to_contain_text(
        ["3", "3.00", "3.00", "2", "4", "0.82"]
    )
    expect(_cells(page, "Results of Alpha", "Teamwork")).to_contain_text(
        ["3", "4.33", "4.00", "4", "5", "0.47", "1: 0 · 2: 0 · 3: 0 · 4: 2 · 5: 1"]
    )
    expect(_cells(page, "Results of Beta", "Flow")).to_contain_text(
        ["1", "1.50", "1.50", "hidden", "hidden", "hidden", "hidden"]
    )
    expect(page.get_by_role("region", name="Comments of Alpha")).to_contain_text(
        "Flow: Standups drag on"
    )
    # The organisation heat map: teams by dimensions, from the raw answers.
    expect(_cells(page, "Heat map", "Alpha")).to_have_text(["3.33", "3.00", "4.33"])
    expect(_cells(page, "Heat map", "Beta")).to_have_text(["1.50", "5.00", "3.00"])

    # CSV export of the aggregates.
    with page.expect_download() as download_info:
        page.get_by_role("button", name="Export CSV").click()
    download = download_info.value
    assert download.suggested_filename == "round-1.csv"
    target = tmp_path / "round-1.csv"
    download.save_as(target)
    csv_text = target.read_text()
    assert "Round 1,Alpha,Flow,3,6,3.33,3.50,2,5,1.11,0 2 1 2 1,,," in csv_text
    assert "Round 1,Beta,Quality,1,1,5.00,5.00,,,,,,," in csv_text

    # Flow becomes a focus dimension for Alpha.
    page.get_by_role("button", name="Mark Flow as focus for Alpha").click()
    expect(page.get_by_role("button", name="Unmark Flow as focus for Alpha")).to_be_visible()

    # The coach adapts the model: the used version stays, the edit becomes version 2.
    page.get_by_role("link", name="All assessments").click()
    page.get_by_role("region", name="Models").get_by_role("link", name="Journey model").click()
    expect(page.get_by_label("Version")).to_have_text("Version 1")
    expect(page.get_by_text("saving makes version 2")).to_be_visible()
    # Removing a dimension asks first; Cancel keeps it.
    page.get_by_role("button", name="Remove dimension 3").click()
    confirm = page.get_by_role("alertdialog")
    expect(confirm).to_contain_text("Remove dimension 3?")
    confirm.get_by_role("button", name="Cancel").click()
    expect(confirm).to_have_count(0)
    expect(page.get_by_label("Name of dimension 3")).to_have_value("Teamwork")
    page.get_by_label("Statements of dimension 1").fill("F1\nF2 reworded")
    page.get_by_role("button", name="Save model").click()
    expect(page.get_by_role("status")).to_contain_text("Saved as version 2")
    expect(page.get_by_label("Version")).to_have_text("Version 2")

    # A second round for Alpha shows the change since round 1.
    page.get_by_role("link", name="All assessments").click()
    page.get_by_label("Model", exact=True).select_option(label="Journey model (v2)")
    page.get_by_label("Round title").fill("Round 2")
    page.get_by_role("checkbox", name="Alpha (3)").click()
    page.get_by_role("button", name="Start round").click()
    page.wait_for_url(re.compile(rf"^[^?]*/o/{slug}/assessments/rounds/\d+/?$"))
    round_2 = int(page.url.rstrip("/").rsplit("/", 1)[-1])
    for person in (ann, ben, cat):
        helpers.answer(person, round_2, alpha, {"F1": 4, "F2 reworded": 4, "Q1": 4, "T1": 4})
    page.reload()
    page.get_by_role("button", name="Close round").click()
    watch_busy(page)
    page.get_by_role("alertdialog").get_by_role("button", name="Close round").click()
    expect(page.get_by_label("Round status")).to_have_text("closed")
    seen = busy_seen(page)  # its button spun (disabled) while the round closed
    assert any(s.startswith("button:") and "Close round" in s for s in seen), seen
    expect(page.get_by_text("Journey model, version 2")).to_be_visible()
    _open_team(page, "Alpha")
    expect(page.get_by_role("figure", name="Radar chart of Alpha")).to_contain_text(
        "Previous round"
    )
    expect(_cells(page, "Results of Alpha", "Flow")).to_contain_text(
        ["3", "4.00", "4.00", "4", "4", "0.00", "1: 0 · 2: 0 · 3: 0 · 4: 6 · 5: 0", "3.33", "+0.67"]
    )
    expect(_cells(page, "Results of Alpha", "Quality")).to_contain_text(
        ["3", "4.00", "4.00", "4", "4", "0.00", "1: 0 · 2: 0 · 3: 0 · 4: 3 · 5: 0", "3.00", "+1.00"]
    )
    expect(_cells(page, "Results of Alpha", "Teamwork")).to_contain_text(["4.00", "4.33", "-0.33"])
    expect(_cells(page, "Heat map", "Alpha")).to_have_text(["4.00", "4.00", "4.00"])

    # Round 1's results are unchanged by the model edit.
    page.goto(round_1_url)
    _open_team(page, "Alpha")
    expect(_cells(page, "Results of Alpha", "Flow")).to_contain_text(flow_alpha)
    expect(page.get_by_text("Journey model, version 1")).to_be_visible()
