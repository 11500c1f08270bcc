"""The portfolio journey in a real browser against the production build.

A coach creates a portfolio, imports 20 initiatives from CSV (the preview reports the one bad
row and nothing is written until confirmed), opens a scoring round for 3 scorers who each sign
in through the sign-in page in their own browser and score one input at a time, settles the
round, sees the ranking, funds within a budget, compares two scenarios and publishes one.
"""

from __future__ import annotations

import re
from pathlib import Path

from playwright.sync_api import Browser, Page, expect
from sqlmodel import select

from pmo_saas.coaching.services.actions import add_action
from pmo_saas.coaching.services.board import promote_to_portfolio
from pmo_saas.coaching.services.plans import create_plan
from pmo_saas.db import system_session, tenant_session
from pmo_saas.identity.models import User
from pmo_saas.kernel.roles import Role
from pmo_saas.portfolio.models import Initiative
from pmo_saas.portfolio.services import funding as funding_services
from pmo_saas.portfolio.services import initiatives as initiative_services
from pmo_saas.portfolio.services import ranking as ranking_services
from tests import factories
from tests.portfolio.builders import make_initiative, make_portfolio, wsjf
from tests.portfolio.test_csv import twenty_rows

CHOICES = ["1", "2", "3", "5", "8", "13", "20"]


def _sign_in(page: Page, base_url: str, email: str, path: str) -> None:
    page.goto(f"{base_url}{path}")
    page.wait_for_url(re.compile(r"^[^?]*/signin.*"))
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(factories.PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(re.compile(rf"^[^?]*{re.escape(path)}/?$"))


def _initiative_count(ctx) -> int:
    with tenant_session(ctx) as session:
        return len(session.exec(select(Initiative)).all())


def _score_round(page: Page, n: int, titles: list[str]) -> None:
    """One scorer: every input in turn, every initiative, values that differ per scorer."""
    for step, label in enumerate(["User/business value", "Time criticality"]):
        expect(page.get_by_text(f"Input {step + 1} of 2")).to_be_visible()
        sheet = page.get_by_role("region", name=f"Score {label}")
        for k, title in enumerate(titles):
            sheet.get_by_label(title, exact=True).select_option(CHOICES[(k + 2 * n + step) % 7])
        page.get_by_role("button", name=f"Save {label} scores").click()
        expect(page.get_by_role("status")).to_contain_text(f"Your {label} scores are saved")
    expect(page.get_by_text("You have scored every input of this round")).to_be_visible()


def test_portfolio_import_round_ranking_funding_scenarios(
    page: Page, browser: Browser, base_url: str, tmp_path
):
    # ---- people through the factories: a coach and three scorers
    owner = factories.make_org("Portfolio Org")
    coach_email = factories.unique_email("coach")
    coach = factories.make_member(owner, Role.COACH, name="Cora Coach", email=coach_email)
    scorers = []
    for n in range(1, 4):
        email = factories.unique_email(f"scorer{n}")
        factories.make_member(owner, Role.MEMBER, name=f"Scorer {n}", email=email)
        scorers.append(email)
    slug = owner.org_slug

    # ---- the coach creates a portfolio
    _sign_in(page, base_url, coach_email, f"/o/{slug}/portfolio")
    page.get_by_role("button", name="New portfolio").click()
    page.get_by_label("Portfolio name").fill("FY27")
    page.get_by_label("Scoring model").select_option("wsjf")
    page.get_by_role("button", name="Create portfolio").click()
    page.wait_for_url(re.compile(r"^[^?]*/portfolio/p/\d+/?$"))
    portfolio_id = int(re.findall(r"/p/(\d+)", page.url)[0])
    base = f"/o/{slug}/portfolio/p/{portfolio_id}"

    # ---- CSV import: the preview lists the bad row; nothing is written until confirmed
    csv_file = tmp_path / "initiatives.csv"
    csv_file.write_bytes(twenty_rows())
    page.get_by_role("button", name="Import from CSV").click()
    expect(page.get_by_role("dialog", name="Import from CSV")).to_be_visible()
    with page.expect_file_chooser() as chooser:
        page.get_by_role("button", name="Choose a CSV file").click()
    chooser.value.set_files(str(csv_file))
    expect(page.get_by_text("initiatives.csv")).to_be_visible()
    page.get_by_role("button", name="Preview uploaded file").click()
    preview = page.get_by_role("region", name="Import preview")
    expect(preview).to_contain_text("19 row(s) ready to import")
    expect(page.get_by_role("region", name="Import problems")).to_contain_text(
        "Line 8: The cost cannot be negative; got -500."
    )
    assert _initiative_count(coach) == 0
    page.get_by_role("button", name="Import 19 valid row(s)").click()
    expect(page.get_by_role("status")).to_contain_text(
        "Imported 19 initiative(s); skipped line(s) 8"
    )
    assert _initiative_count(coach) == 19
    expect(page.get_by_role("region", name="Column Funnel")).to_contain_text("Initiative 20")
    page.get_by_role("button", name="Table").click()
    table = page.get_by_role("region", name="Initiatives")
    expect(table.get_by_role("row")).to_have_count(20)  # header + 19

    # ---- the coach opens a scoring round for the three scorers, on two inputs
    page.get_by_role("navigation", name="Portfolio").get_by_role(
        "link", name="Scoring rounds"
    ).click()
    page.wait_for_url(re.compile(r"^[^?]*/rounds/?$"))
    page.get_by_label("Round name").fill("FY27 round")
    for n in range(1, 4):
        page.get_by_role("checkbox", name=f"Scorer {n}").check()
    page.get_by_role("checkbox", name="Risk reduction/opportunity enablement").uncheck()
    page.get_by_role("checkbox", name="Job size").uncheck()
    page.get_by_role("button", name="Open round").click()
    page.wait_for_url(re.compile(r"^[^?]*/rounds/\d+/?$"))
    round_path = page.url.split(base_url, 1)[1].rstrip("/")
    expect(page.get_by_role("region", name="Scorer progress")).to_contain_text(
        "Scorer 1: 0 of 2 inputs done"
    )

    # ---- each scorer, in their own browser, signs in and scores privately
    titles = [f"Initiative {n}" for n in range(1, 21) if n != 7]
    for n, email in enumerate(scorers):
        context = browser.new_context()
        scorer_page = context.new_page()
        _sign_in(scorer_page, base_url, email, f"/o/{slug}/portfolio")
        scorer_page.get_by_role("region", name="Waiting for your scores").get_by_role(
            "link", name="FY27 round (FY27)"
        ).click()
        scorer_page.wait_for_url(re.compile(rf"^[^?]*{re.escape(round_path)}/?$"))
        expect(scorer_page.get_by_role("region", name="Most disagreed")).to_have_count(0)
        _score_round(scorer_page, n, titles)
        context.close()

    # ---- the facilitator sees median, spread and disagreement, then settles
    page.reload()
    progress = page.get_by_role("region", name="Scorer progress")
    for n in range(1, 4):
        expect(progress).to_contain_text(f"Scorer {n}: 2 of 2 inputs done")
    disagreed = page.get_by_role("region", name="Most disagreed")
    expect(disagreed.get_by_role("row")).to_have_count(6)  # header + the top 5
    agreed = disagreed.get_by_role("textbox").first
    label = agreed.get_attribute("aria-label") or ""
    input_label, agreed_title = re.fullmatch(r"Agreed (.+) for (.+)", label).groups()
    agreed.fill("13")  # the value agreed in discussion, instead of the median
    page.get_by_role("button", name="Settle round").click()
    expect(page.get_by_role("status")).to_contain_text("1 as agreed in discussion")
    expect(page.get_by_text("Status: settled")).to_be_visible()

    key = {"User/business value": "business_value", "Time criticality": "time_criticality"}
    with tenant_session(coach) as session:
        settled = initiative_services.list_initiatives(
            session=session, ctx=coach, portfolio_id=portfolio_id
        )
    assert next(r for r in settled if r.title == agreed_title).scores[key[input_label]] == 13

    # ---- the ranking, with each row's explanation
    page.goto(f"{base_url}{base}/ranking")
    with tenant_session(coach) as session:
        ranking = ranking_services.rank_portfolio(
            session=session, ctx=coach, portfolio_id=portfolio_id
        )
    ranked = page.get_by_role("region", name="Ranking")
    expect(ranked.get_by_role("row")).to_have_count(20)
    first = ranked.get_by_role("row").nth(1)
    expect(first).to_contain_text(ranking.rows[0].title)
    expect(first).to_contain_text(ranking.rows[0].score_text)
    expect(page.get_by_label("Formula")).to_contain_text("WSJF = (User/business value")

    # ---- funding within a budget: the best set beside the rank-order cut
    page.get_by_role("navigation", name="Portfolio").get_by_role(
        "link", name="Funding & scenarios"
    ).click()
    page.wait_for_url(re.compile(r"^[^?]*/funding/?$"))
    page.get_by_label("Budget", exact=True).fill("abc")
    page.get_by_role("button", name="Save budget").click()
    expect(page.get_by_role("alert")).to_be_visible()
    page.get_by_label("Budget", exact=True).fill("60000")
    page.get_by_role("button", name="Save budget").click()
    expect(page.get_by_role("status")).to_contain_text("Budget saved")
    page.get_by_role("button", name="Fund the best set").click()
    with tenant_session(coach) as session:
        plan = funding_services.fund_portfolio(
            session=session, ctx=coach, portfolio_id=portfolio_id
        )
    assert 0 < plan.total_cost <= 60_000
    best = page.get_by_label("Best set")
    expect(best).to_contain_text(f"Cost: {plan.total_cost:,} of 60,000")
    expect(page.get_by_label("Rank-order cut")).to_contain_text(
        f"{plan.cut_total_cost:,} of 60,000"
    )
    expect(page.get_by_role("region", name="Funding plan")).to_contain_text("Funded")

    # ---- two scenarios side by side; publish one as the plan
    page.get_by_role("button", name="New scenario").click()
    page.get_by_label("Scenario name").fill("Lean")
    page.get_by_role("button", name="Add scenario").click()
    expect(page.get_by_role("status")).to_contain_text("Scenario “Lean” added")
    page.get_by_role("button", name="New scenario").click()
    dialog = page.get_by_role("dialog", name="New scenario")
    dialog.get_by_label("Scenario name").fill("Bold")
    dialog.get_by_label("Scenario budget").fill("lots")
    force_in = dialog.get_by_role("group", name="Force in")
    dialog.get_by_label("Search Force in").fill("initiative 2")
    expect(force_in.get_by_role("checkbox", name="Initiative 3", exact=True)).to_be_hidden()
    force_in.get_by_role("checkbox", name="Initiative 2", exact=True).check()
    dialog.get_by_role("button", name="Add scenario").click()
    expect(dialog.get_by_role("alert")).to_be_visible()  # refused, and nothing typed is lost
    expect(dialog.get_by_label("Scenario name")).to_have_value("Bold")
    expect(force_in.get_by_role("checkbox", name="Initiative 2", exact=True)).to_be_checked()
    dialog.get_by_label("Scenario budget").fill("120000")
    dialog.get_by_role("button", name="Add scenario").click()
    expect(page.get_by_role("status")).to_contain_text("Scenario “Bold” added")
    side = page.get_by_role("region", name="Scenarios side by side")
    expect(side.get_by_role("region", name="Scenario Lean")).to_contain_text("Budget: 60,000")
    expect(side.get_by_role("region", name="Scenario Bold")).to_contain_text("Budget: 120,000")
    expect(side.get_by_role("region", name="Scenario Bold")).to_contain_text(
        "Forced: Initiative 2 in"
    )
    page.get_by_role("button", name="Publish Bold").click()
    expect(page.get_by_role("status")).to_contain_text("Published as the plan")
    expect(page.get_by_role("region", name="Published plans")).to_contain_text("BoldCurrent plan")
    with tenant_session(coach) as session:
        [published] = funding_services.list_published_plans(
            session=session, ctx=coach, portfolio_id=portfolio_id
        )
    assert published.scenario_name == "Bold" and published.plan.budget == 120_000

    # ---- a risk in the register lands on the heat map
    page.get_by_role("navigation", name="Portfolio").get_by_role("link", name="Risks").click()
    page.wait_for_url(re.compile(r"^[^?]*/risks/?$"))
    page.get_by_role("button", name="Record a risk").click()
    page.get_by_label("Risk", exact=True).fill("Vendor delivers late")
    page.get_by_label("Probability", exact=True).select_option("4")
    page.get_by_label("Impact", exact=True).select_option("5")
    page.get_by_label("Initiative", exact=True).select_option(label="Initiative 1")
    page.get_by_role("button", name="Record risk").click()
    expect(page.get_by_role("status")).to_contain_text("Risk recorded")
    expect(page.get_by_role("region", name="Risk register")).to_contain_text("Vendor delivers late")
    expect(page.get_by_label("Probability 4, impact 5: 1 open risk(s)")).to_have_text("1")


def test_initiatives_edit_dependencies_board_archive_export_and_origin(page: Page, base_url: str):
    owner = factories.make_org("Board Org")
    alice = factories.make_member(owner, Role.MEMBER, name="Alice")
    team = factories.make_team(owner, "Alpha team", members=[alice])  # its id
    pid = make_portfolio(owner, "Platform")
    alpha = make_initiative(owner, pid, "Alpha", cost=1000, scores=wsjf(8, 5, 3, 5))
    make_initiative(owner, pid, "Beta", cost=2000, depends_on=[alpha])
    with tenant_session(owner) as session:
        plan = create_plan(session=session, ctx=owner, title="Team growth", team_id=team)
        action = add_action(
            session=session,
            ctx=owner,
            plan_id=plan.id,
            title="Shared test environment",
            owner_user_id=alice.user_id,
            scope="organisation",
        )
        promote_to_portfolio(session=session, ctx=owner, action_id=action.id, portfolio_id=pid)
    with system_session() as session:
        email = session.get(User, owner.user_id).email
    path = f"/o/{owner.org_slug}/portfolio/p/{pid}"
    _sign_in(page, base_url, email, path)

    # ---- the coaching origin is shown on the promoted initiative
    expect(page.get_by_role("article", name="Shared test environment")).to_contain_text(
        "From coaching plan Team growth (team Alpha team)"
    )

    # ---- a new initiative, in its dialog: a bad cost is refused and nothing typed is lost
    page.get_by_role("button", name="New initiative").click()
    dialog = page.get_by_role("dialog", name="New initiative")
    dialog.get_by_label("Title", exact=True).fill("Gamma")
    dialog.get_by_label("Cost", exact=True).fill("-3,000")
    dialog.get_by_role("checkbox", name="Beta").check()
    dialog.get_by_role("button", name="Add initiative").click()
    expect(dialog.get_by_role("alert")).to_contain_text("The cost cannot be negative")
    expect(dialog.get_by_label("Title", exact=True)).to_have_value("Gamma")
    expect(dialog.get_by_role("checkbox", name="Beta")).to_be_checked()
    dialog.get_by_label("Cost", exact=True).fill("3,000")
    dialog.get_by_role("button", name="Add initiative").click()
    expect(page.get_by_role("status")).to_contain_text("“Gamma” added")
    expect(page.get_by_role("dialog")).to_have_count(0)
    page.get_by_role("button", name="New initiative").click()  # it opens empty again
    expect(page.get_by_label("Title", exact=True)).to_have_value("")
    page.get_by_role("button", name="Cancel").click()

    # ---- move a card along the board (drag and drop)
    page.get_by_role("article", name="Gamma").drag_to(
        page.get_by_role("region", name="Column Ready")
    )
    expect(page.get_by_role("region", name="Column Ready")).to_contain_text("Gamma")

    # ---- edit: a dependency cycle is refused, naming it; scores are set on the form
    page.get_by_role("button", name="Table").click()
    page.get_by_role("button", name="Edit Alpha").click()
    dialog = page.get_by_role("dialog", name="Edit Alpha")
    expect(dialog.get_by_label("Title", exact=True)).to_have_value("Alpha")
    expect(dialog.get_by_role("checkbox", name="Alpha")).to_have_count(0)  # not itself
    dialog.get_by_role("checkbox", name="Gamma").check()
    dialog.get_by_role("button", name="Save initiative").click()
    expect(dialog.get_by_role("alert")).to_contain_text("Alpha")
    expect(dialog.get_by_role("alert")).to_contain_text("Gamma")
    dialog.get_by_role("checkbox", name="Gamma").uncheck()
    dialog.get_by_label("Time criticality (1, 2, 3, 5, 8, 13, 20)").fill("13")
    dialog.get_by_role("button", name="Save initiative").click()
    expect(page.get_by_role("status")).to_contain_text("“Alpha” saved")
    with tenant_session(owner) as session:
        assert (
            initiative_services.get_initiative(
                session=session, ctx=owner, initiative_id=alpha
            ).scores["time_criticality"]
            == 13
        )

    # ---- archive and restore
    table = page.get_by_role("region", name="Initiatives")
    page.get_by_role("button", name="Archive Gamma").click()
    confirm = page.get_by_role("alertdialog", name="Archive Gamma?")
    confirm.get_by_role("button", name="Cancel").click()  # cancelled: nothing happens
    expect(table).to_contain_text("Gamma")
    page.get_by_role("button", name="Archive Gamma").click()
    confirm.get_by_role("button", name="Archive initiative").click()
    expect(table).not_to_contain_text("Gamma")
    page.get_by_text("Show archived").click()
    page.get_by_role("button", name="Restore Gamma").click()
    expect(page.get_by_role("status")).to_contain_text("Initiative restored")

    # ---- CSV export
    with page.expect_download() as download:
        page.get_by_role("button", name="Export CSV").click()
    text = Path(download.value.path()).read_text(encoding="utf-8")
    assert text.splitlines()[0].startswith("title,")
    assert {"Alpha", "Beta", "Gamma", "Shared test environment"} <= {
        line.split(",")[0] for line in text.splitlines()[1:]
    }
