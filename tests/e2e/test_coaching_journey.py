"""The coaching journey in a real browser against the production build.

From a closed assessment round (set up through the assessment services, focus dimensions
marked) a coach creates a team plan with prefilled goals, adds actions with owners (a missing
owner is refused, a past due date warns), logs a session with a follow-up, marks actions done
(one as the member who owns it), deletes a goal only after confirming, and after the team's
second round sees the measured change per goal; an organisational item promoted to the
portfolio is there with its origin.
"""

from __future__ import annotations

import re
from datetime import timedelta

from playwright.sync_api import Browser, Page, expect
from sqlmodel import col, select

from pmo_saas.coaching.services.board import initiative_origin
from pmo_saas.db import system_session, tenant_session
from pmo_saas.identity.models import AuditEvent, User
from pmo_saas.kernel.clock import utcnow
from pmo_saas.kernel.roles import Role
from pmo_saas.portfolio.services import initiatives as initiative_services
from pmo_saas.portfolio.services import portfolios as portfolio_services
from tests import factories
from tests.coaching import helpers


def _sign_in(page: Page, base_url: str, email: str, path: str) -> None:
    page.goto(f"{base_url}{path}")
    page.wait_for_url(re.compile(r"^[^?]*/signin.*"))
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(factories.PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(re.compile(rf"^[^?]*{re.escape(path)}/?$"))


def _add_action(page: Page, title: str, owner: str, goal: str, *, due: str = "", kind="team"):
    """In the Add an action dialog (opened unless a refusal kept it open); added, it closes."""
    if page.get_by_role("dialog", name="Add an action").count() == 0:
        page.get_by_role("button", name="Add an action").click()
    page.get_by_label("Action", exact=True).fill(title)
    page.get_by_label("Owner", exact=True).select_option(label=owner)
    page.get_by_label("Due date", exact=True).fill(due)
    page.get_by_label("For goal").select_option(label=goal)
    page.get_by_label("Kind", exact=True).select_option(kind)
    page.get_by_role("button", name="Add action").click()
    expect(page.get_by_role("dialog", name="Add an action")).to_have_count(0)  # added: closed


def test_plan_from_round_actions_session_measured_change_and_promotion(
    page: Page, browser: Browser, base_url: str
):
    # ---- data through the services: people, a team, a closed round with focus dimensions
    owner = factories.make_org("Growth Org")
    coach = factories.make_member(owner, Role.COACH, name="Cora Coach")
    alice = factories.make_member(owner, Role.MEMBER, name="Alice")
    bob = factories.make_member(owner, Role.MEMBER, name="Bob")
    alpha = factories.make_team(owner, "Alpha", members=[alice, bob])
    model_id = helpers.model(owner)
    assert alice.user_id and bob.user_id
    helpers.answered_round(
        coach,
        model_id,
        alpha,
        {
            alice.user_id: {"F1": 2, "F2": 2, "Q1": 3, "T1": 4},
            bob.user_id: {"F1": 2, "F2": 2, "Q1": 3, "T1": 4},
        },
        people=[alice, bob],
        title="Spring check",
        focus=("flow", "quality"),
    )
    with tenant_session(owner) as session:
        portfolio_id = portfolio_services.create_portfolio(
            session=session, ctx=owner, name="Transformation"
        )
    slug = owner.org_slug
    with system_session() as session:
        emails = {
            u.id: u.email
            for u in session.exec(
                select(User).where(col(User.id).in_([coach.user_id, alice.user_id]))
            )
        }

    # ---- the coach creates the plan from the closed round: goals come prefilled
    _sign_in(page, base_url, emails[coach.user_id], f"/o/{slug}/coaching")
    page.get_by_label("Closed round and team").select_option(label="Spring check — Alpha")
    page.get_by_role("button", name="Create plan from round").click()
    page.wait_for_url(re.compile(r"^[^?]*/coaching/plans/\d+/?$"))
    flow = page.get_by_role("article", name="Goal Raise Flow to level 3")
    quality = page.get_by_role("article", name="Goal Raise Quality to level 4")
    expect(flow).to_contain_text("Current2Target3")
    expect(quality).to_contain_text("Current3Target4")
    expect(page.get_by_text("From the assessment round Spring check")).to_be_visible()

    # ---- actions with owners, in a dialog; a missing owner is refused, a past due date warns
    page.get_by_role("button", name="Add an action").click()
    dialog = page.get_by_role("dialog", name="Add an action")
    dialog.get_by_label("Action", exact=True).fill("Limit work in progress")
    dialog.get_by_role("button", name="Add action").click()
    expect(dialog.get_by_role("alert")).to_contain_text("Choose the owner")
    expect(dialog.get_by_label("Action", exact=True)).to_have_value("Limit work in progress")
    yesterday = (utcnow().date() - timedelta(days=1)).isoformat()
    _add_action(page, "Limit work in progress", "Alice", "Raise Flow to level 3", due=yesterday)
    expect(page.get_by_role("status").filter(has_text="in the past")).to_be_visible()
    expect(flow).to_contain_text("Overdue")
    _add_action(page, "Pair on every review", "Bob", "Raise Quality to level 4")
    _add_action(
        page,
        "Ask leadership for a shared test environment",
        "Alice",
        "Raise Quality to level 4",
        kind="organisation",
    )
    expect(
        quality.get_by_role("region", name="Actions for Raise Quality to level 4")
    ).to_contain_text("Ask leadership for a shared test environment")

    # ---- edit an action: the form opens with its values
    page.get_by_role("button", name="Edit Pair on every review").click()
    expect(page.get_by_role("dialog", name="Edit the action")).to_be_visible()
    expect(page.get_by_label("Action title")).to_have_value("Pair on every review")
    next_month = (utcnow().date() + timedelta(days=30)).isoformat()
    page.get_by_label("Action title").fill("Pair on every code review")
    page.get_by_label("Action due date").fill(next_month)
    page.get_by_role("button", name="Save action").click()
    expect(page.get_by_role("status").filter(has_text="Action saved")).to_be_visible()
    expect(quality).to_contain_text("Pair on every code review")
    expect(quality).to_contain_text(next_month)

    # ---- log a coaching session whose follow-up lands in the plan
    page.get_by_role("button", name="Log a coaching session").click()
    page.get_by_label("Session date").fill(utcnow().date().isoformat())
    page.get_by_role("checkbox", name="Alice").check()
    page.get_by_role("checkbox", name="Bob").check()
    page.get_by_label("Notes").fill("Cards wait two days for review.")
    page.get_by_label("Decisions").fill("WIP limit of three per person.")
    page.get_by_label("Follow-up action 1").fill("Retro on the WIP limit")
    page.get_by_label("Owner of follow-up 1").select_option(label="Bob")
    page.get_by_role("button", name="Log session").click()
    log = page.get_by_role("region", name="Sessions log")
    expect(log).to_contain_text("Cards wait two days for review.")
    expect(log).to_contain_text("Alice, Bob")
    expect(log).to_contain_text("Retro on the WIP limit")
    expect(page.get_by_role("region", name="Other actions")).to_contain_text(
        "Retro on the WIP limit"
    )

    # ---- mark actions done: the coach one, Alice her own from "My actions"
    page.get_by_label("Status of Pair on every code review").select_option("done")
    expect(page.get_by_text("1 of 4 actions done")).to_be_visible()
    member_context = browser.new_context()
    member = member_context.new_page()
    _sign_in(member, base_url, emails[alice.user_id], f"/o/{slug}/coaching/mine")
    mine = member.get_by_role("region", name="My actions")
    expect(mine).to_contain_text("Limit work in progress")
    expect(mine).not_to_contain_text("Pair on every code review")  # Bob's
    member.get_by_label("Status of Limit work in progress").select_option("done")
    expect(member.get_by_role("status")).to_contain_text("is now Done")
    member_context.close()
    page.reload()
    expect(page.get_by_text("2 of 4 actions done")).to_be_visible()
    expect(flow).not_to_contain_text("Overdue")

    # ---- deleting a goal with actions asks first; keeping it keeps everything
    page.get_by_role("button", name="Add a goal").click()
    page.get_by_label("Goal", exact=True).fill("Safety to speak up")
    page.get_by_role("button", name="Add goal").click()
    expect(page.get_by_role("article", name="Goal Safety to speak up")).to_be_visible()
    _add_action(page, "Anonymous retro question", "Bob", "Safety to speak up")
    page.get_by_role("button", name="Delete goal Safety to speak up").click()
    ask = page.get_by_role("alertdialog", name="Confirm deleting the goal")
    expect(ask).to_contain_text("has 1 action(s)")
    page.get_by_role("button", name="Keep the goal").click()
    expect(page.get_by_role("article", name="Goal Safety to speak up")).to_be_visible()
    page.get_by_role("button", name="Delete goal Safety to speak up").click()
    page.get_by_role("button", name="Delete goal and its actions").click()
    expect(page.get_by_role("article", name="Goal Safety to speak up")).to_have_count(0)
    expect(page.get_by_text("2 of 4 actions done")).to_be_visible()
    with system_session() as session:
        deleted = session.exec(
            select(AuditEvent).where(AuditEvent.action == "coaching.goal_deleted")
        ).one()
    assert "Anonymous retro question" in deleted.detail

    # ---- the team's second round: the plan shows the measured change per goal
    helpers.answered_round(
        coach,
        model_id,
        alpha,
        {
            alice.user_id: {"F1": 3, "F2": 4, "Q1": 3, "T1": 4},
            bob.user_id: {"F1": 4, "F2": 3, "Q1": 4, "T1": 4},
        },
        people=[alice, bob],
        title="Autumn check",
    )
    page.reload()
    expect(flow).to_contain_text("3.5 in Autumn check")
    expect(flow).to_contain_text("+1.5")
    expect(flow).to_contain_text("Target reached")
    expect(quality).to_contain_text("3.5 in Autumn check")
    expect(quality).to_contain_text("+0.5")
    expect(quality).not_to_contain_text("Target reached")

    # ---- the organisational item goes to the portfolio, linked both ways
    page.get_by_role("link", name="Leadership board").click()
    item = "Ask leadership for a shared test environment"
    # ---- on the board the coach drags it from To do to Doing (the service sets the status)
    expect(page.get_by_role("region", name="Column To do")).to_contain_text(item)
    page.get_by_role("article", name=item).drag_to(page.get_by_role("region", name="Column Doing"))
    expect(page.get_by_role("region", name="Column Doing")).to_contain_text(item)
    expect(page.get_by_role("status")).to_contain_text(f"“{item}” moved to Doing")
    page.get_by_role("button", name="Table").click()
    board = page.get_by_role("region", name="Organisational growth items")
    expect(board).to_contain_text(item)
    page.get_by_label(f"Portfolio for {item}").select_option(label="Transformation")
    page.get_by_role("button", name=f"Promote {item} to portfolio").click()
    expect(page.get_by_role("status")).to_contain_text("is now an initiative in the portfolio")
    expect(board).to_contain_text("In the portfolio")
    expect(board).to_contain_text("Awaiting a funding decision")

    with tenant_session(owner) as session:
        initiatives = initiative_services.list_initiatives(
            session=session, ctx=owner, portfolio_id=portfolio_id
        )
        assert [i.title for i in initiatives] == [item]
        assert "Alpha" in initiatives[0].description
        origin = initiative_origin(session=session, ctx=owner, initiative_id=initiatives[0].id)
    assert origin is not None
    assert origin.team_name == "Alpha" and origin.plan_title.startswith("Alpha: growth plan")
    # ... and the plan shows its funding status.
    page.get_by_role("link", name=origin.plan_title).click()
    expect(quality).to_contain_text("Awaiting a funding decision")
