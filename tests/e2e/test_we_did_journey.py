"""You said, we did, in a real browser against the production build.

A Westrum survey of Alpha (three answers: shown at the threshold of 3) and Gamma (none:
hidden) has closed. The coach opens its results, finds only Alpha offered in "You said, we
did", commits an action on one question with an owner and a date, and sees it committed.
The next round is launched: a respondent of Alpha, through the team's open link, reads what
was done before the questions (no names). Once that round has closed, its results page shows
the commitment with its status beside the change in that question.
"""

from __future__ import annotations

import re

from playwright.sync_api import Page, expect
from sqlmodel import select

from pmo_saas.coaching.models import CoachingAction
from pmo_saas.coaching.services import actions as coaching_actions
from pmo_saas.db import tenant_session
from pmo_saas.kernel.context import TenantContext
from pmo_saas.kernel.roles import Role
from pmo_saas.surveys import instruments as ins
from pmo_saas.surveys import services
from tests import factories
from tests.surveys.helpers import people

TITLE = "Team culture"
ACTION = "Thank whoever brings bad news"
ITEMS = ("information", "messengers", "responsibilities", "bridging", "inquiry", "novelty")
MESSENGERS = dict(ins.WESTRUM_ITEMS)["messengers"]


def _open_link(ctx: TenantContext, survey_id: int, team_name: str) -> str:
    with tenant_session(ctx) as session:
        teams = services.survey_progress(session=session, ctx=ctx, survey_id=survey_id)
        team = next(t for t in teams if t.team_name == team_name)
        url = services.create_open_link(
            session=session, ctx=ctx, survey_id=survey_id, team_id=team.survey_team_id
        )
    return url.rsplit("/", 1)[1]


def _answer_all(token: str, value: int, n: int, tag: str) -> None:
    for i in range(n):
        services.submit_response(
            token=token, answers=dict.fromkeys(ITEMS, value), submission_key=f"{tag}-{i}"
        )


def _close(ctx: TenantContext, survey_id: int) -> None:
    with tenant_session(ctx) as session:
        services.close_survey(session=session, ctx=ctx, survey_id=survey_id)


def _sign_in(page: Page, base_url: str, path: str, email: str) -> None:
    page.goto(f"{base_url}{path}")
    page.wait_for_url(re.compile(r"^[^?]*/signin.*"))
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(factories.PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(re.compile(rf"^[^?]*{re.escape(path)}/?$"))


def test_a_coach_commits_from_results_and_the_next_round_shows_it(page: Page, base_url: str):
    owner = factories.make_org("We Did Journey")
    slug = owner.org_slug
    email = factories.unique_email("cora")
    coach = factories.make_member(owner, Role.COACH, name="Cora Coach", email=email)
    alpha_people = [factories.make_member(owner, name="Olga Owner"), *people(owner, 2)]
    alpha = factories.make_team(owner, "Alpha", members=alpha_people)
    gamma = factories.make_team(owner, "Gamma", members=people(owner, 2))
    with tenant_session(coach) as session:
        survey_id = services.launch_survey(
            session=session,
            ctx=coach,
            title=TITLE,
            instrument=ins.WESTRUM,
            team_ids=[alpha, gamma],
            personal_links=False,
            open_links=True,
            open_link_cap=3,
            min_group_size=3,
        )
    _answer_all(_open_link(coach, survey_id, "Alpha"), 4, 3, "r1")
    _close(coach, survey_id)

    # The coach commits from the results: only the shown team is offered.
    results_path = f"/o/{slug}/surveys/results/{survey_id}"
    _sign_in(page, base_url, results_path, email)
    we_did = page.get_by_role("region", name="You said, we did")
    expect(we_did).to_be_visible()
    team = we_did.get_by_label("Team", exact=True)
    expect(team.locator("option")).to_have_text(["Alpha"])  # Gamma (hidden) is not named
    we_did.get_by_label("Focus question", exact=True).select_option(label=MESSENGERS)
    we_did.get_by_label("Action", exact=True).fill(ACTION)
    we_did.get_by_label("Owner", exact=True).select_option(label="Olga Owner")
    we_did.get_by_label("Due date", exact=True).fill("2030-03-31")
    we_did.get_by_role("button", name="Commit action").click()
    expect(we_did.get_by_role("status")).to_contain_text("coaching plan")
    committed = page.get_by_role("region", name="Committed from this round")
    expect(committed.get_by_role("row").filter(has_text=ACTION)).to_contain_text("Olga Owner")
    expect(committed.get_by_role("row").filter(has_text=ACTION)).to_contain_text("Planned")
    with tenant_session(owner) as session:
        [action] = session.exec(select(CoachingAction)).all()
    assert action.title == ACTION and str(action.due_date) == "2030-03-31"

    # The next round: a respondent of Alpha reads what was done before answering.
    with tenant_session(coach) as session:
        round_2 = services.rerun_survey(session=session, ctx=coach, survey_id=survey_id)
    token = _open_link(coach, round_2, "Alpha")
    respondent = page.context.browser.new_context()  # type: ignore[union-attr]
    tab = respondent.new_page()
    tab.goto(f"{base_url}/s/{token}")
    note = tab.get_by_role("region", name="What we did since the last survey")
    expect(note).to_contain_text(ACTION)
    expect(note).to_contain_text("Planned")
    expect(note).not_to_contain_text("Olga")
    first_question = tab.get_by_role("group", name=ins.WESTRUM_ITEMS[0][1])
    expect(first_question).to_be_visible()
    note_box, question_box = note.bounding_box(), first_question.bounding_box()
    assert note_box and question_box and note_box["y"] < question_box["y"]
    respondent.close()

    # The action is done, the round closes: its page shows the status beside the change.
    with tenant_session(coach) as session:
        coaching_actions.set_action_status(
            session=session, ctx=coach, action_id=action.id or 0, status="done"
        )
    _answer_all(token, 6, 3, "r2")
    _close(coach, round_2)
    page.goto(f"{base_url}/o/{slug}/surveys/results/{round_2}")
    since = page.get_by_role("region", name="Since the last round")
    row = since.get_by_role("row").filter(has_text=ACTION)
    expect(row).to_contain_text("Done")
    expect(row).to_contain_text("4.00")
    expect(row).to_contain_text("6.00")
    expect(row).to_contain_text("+2.00")
