"""The portfolio board in a real browser: create in a dialog, pick dependencies, move cards.

A coach opens "New initiative" (a dialog), is refused at the field for a bad cost, picks two
dependencies from the searchable picker and adds it; drags the card to another column, then
moves it again with the keyboard (focus follows the card, the move is announced); a reload
shows it persisted, with the status history and the audit trail written by the service. A
viewer can neither drag nor move with the keys: the server refuses the move. On a phone the
dialog fits the screen, the picker works the same, and a card's Move menu moves it.
"""

from __future__ import annotations

import re

from playwright.sync_api import Browser, Page, expect
from sqlmodel import select

from pmo_saas.db import system_session, tenant_session
from pmo_saas.delivery.models import StatusChange
from pmo_saas.identity.models import AuditEvent, User
from pmo_saas.kernel.roles import Role
from pmo_saas.portfolio.models import Dependency, Initiative
from tests import factories
from tests.portfolio.builders import make_initiative, make_portfolio

PHONE = {"width": 390, "height": 844}
LAPTOP = {"width": 1366, "height": 900}


def _sign_in(page: Page, base_url: str, email: str, path: str) -> None:
    page.goto(f"{base_url}{path}")
    page.wait_for_url(re.compile(r"^[^?]*/signin.*"))
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(factories.PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(re.compile(rf"^[^?]*{re.escape(path)}/?$"))


def _initiative(ctx, title: str) -> Initiative:
    with tenant_session(ctx) as session:
        return session.exec(select(Initiative).where(Initiative.title == title)).one()


def _depends_on(ctx, initiative_id: int) -> set[int]:
    with tenant_session(ctx) as session:
        rows = session.exec(select(Dependency).where(Dependency.initiative_id == initiative_id))
        return {d.depends_on_id for d in rows}


def _create_in_dialog(page: Page, title: str, picks: list[str]) -> None:
    """The New initiative dialog: a bad cost refused at its field, then the picks, then added."""
    page.get_by_role("button", name="New initiative").click()
    dialog = page.get_by_role("dialog", name="New initiative")
    expect(dialog).to_be_visible()
    dialog.get_by_label("Title", exact=True).fill(title)
    dialog.get_by_label("Cost", exact=True).fill("-500")
    dialog.get_by_role("button", name="Add initiative").click()
    cost = dialog.get_by_label("Cost", exact=True)
    expect(cost).to_have_attribute("aria-invalid", "true")
    expect(cost).to_have_accessible_description(re.compile("The cost cannot be negative"))
    expect(dialog.get_by_label("Title", exact=True)).to_have_value(title)  # nothing lost
    cost.fill("3,000")
    search = dialog.get_by_label("Search Depends on")
    for pick in picks:
        search.fill(pick[:3].lower())
        for other in {"Alpha", "Beta"} - {pick}:
            expect(dialog.get_by_role("checkbox", name=other)).to_be_hidden()
        dialog.get_by_role("checkbox", name=pick).check()
    search.fill("")
    for pick in picks:
        expect(dialog.get_by_role("checkbox", name=pick)).to_be_checked()
    dialog.get_by_role("button", name="Add initiative").click()
    expect(page.get_by_role("status")).to_contain_text(f"“{title}” added")
    expect(page.get_by_role("dialog")).to_have_count(0)  # closed on success


def test_coach_creates_in_a_dialog_picks_dependencies_drags_and_moves_with_keys(
    browser: Browser, base_url: str
):
    owner = factories.make_org("Board Journey Org")
    coach_email = factories.unique_email("coach")
    coach = factories.make_member(owner, Role.COACH, name="Cleo Coach", email=coach_email)
    viewer_email = factories.unique_email("viewer")
    factories.make_member(owner, Role.VIEWER, name="Vic Viewer", email=viewer_email)
    pid = make_portfolio(owner, "Platform")
    alpha = make_initiative(owner, pid, "Alpha")
    beta = make_initiative(owner, pid, "Beta")
    path = f"/o/{owner.org_slug}/portfolio/p/{pid}"

    context = browser.new_context(viewport=LAPTOP)
    page = context.new_page()
    _sign_in(page, base_url, coach_email, path)

    # ---- the page shows the board first; the form is behind its button
    expect(page.get_by_role("region", name="Board")).to_be_visible()
    expect(page.get_by_label("Title", exact=True)).to_have_count(0)
    _create_in_dialog(page, "Gamma", ["Alpha", "Beta"])
    gamma = _initiative(coach, "Gamma")
    assert gamma.cost == 3000
    assert _depends_on(coach, gamma.id) == {alpha, beta}

    # ---- drag the card from Funnel to Ready
    card = page.get_by_role("article", name="Gamma")
    expect(page.get_by_role("region", name="Column Funnel")).to_contain_text("Gamma")
    card.drag_to(page.get_by_role("region", name="Column Ready"))
    expect(page.get_by_role("region", name="Column Ready")).to_contain_text("Gamma")
    expect(page.get_by_role("status")).to_contain_text("“Gamma” moved to Ready")
    assert _initiative(coach, "Gamma").status == "ready"

    # ---- again with the keyboard: focus the card, Right arrow; focus follows, announced
    card = page.get_by_role("article", name="Gamma")
    card.focus()
    page.keyboard.press("ArrowRight")
    expect(page.get_by_role("region", name="Column Implementing")).to_contain_text("Gamma")
    expect(page.get_by_role("status")).to_contain_text("“Gamma” moved to Implementing")
    expect(page.get_by_role("article", name="Gamma")).to_be_focused()
    page.keyboard.press("ArrowLeft")
    expect(page.get_by_role("region", name="Column Ready")).to_contain_text("Gamma")
    expect(page.get_by_role("article", name="Gamma")).to_be_focused()
    page.keyboard.press("ArrowRight")
    expect(page.get_by_role("region", name="Column Implementing")).to_contain_text("Gamma")

    # ---- persisted: a reload shows it there; the service wrote the history and the audit
    page.reload()
    expect(page.get_by_role("region", name="Column Implementing")).to_contain_text("Gamma")
    expect(page.get_by_role("region", name="Column Funnel")).not_to_contain_text("Gamma")
    with tenant_session(coach) as session:
        moves = session.exec(
            select(StatusChange)
            .where(StatusChange.initiative_id == gamma.id, StatusChange.work_item_id.is_(None))
            .order_by(StatusChange.id)
        ).all()
        audited = session.exec(
            select(AuditEvent).where(
                AuditEvent.action == "initiative.moved", AuditEvent.target == "Gamma"
            )
        ).all()
    assert [m.to_status for m in moves][-4:] == ["ready", "implementing", "ready", "implementing"]
    assert len(audited) == 4
    context.close()

    # ---- a viewer: nothing to drag, and the keys are refused by the server
    context = browser.new_context(viewport=LAPTOP)
    page = context.new_page()
    _sign_in(page, base_url, viewer_email, path)
    expect(page.get_by_role("button", name="New initiative")).to_have_count(0)
    card = page.get_by_role("article", name="Gamma")
    expect(card).to_have_attribute("draggable", "false")
    expect(card).to_have_attribute("tabindex", "-1")  # not in the tab order
    card.drag_to(page.get_by_role("region", name="Column Done"))
    card.focus()  # a script can still focus it: the server must refuse the move
    page.keyboard.press("ArrowRight")
    expect(page.get_by_role("alert")).to_contain_text("coach")
    page.reload()
    expect(page.get_by_role("region", name="Column Implementing")).to_contain_text("Gamma")
    assert _initiative(coach, "Gamma").status == "implementing"
    context.close()


def test_on_a_phone_the_dialog_fits_and_the_picker_works(browser: Browser, base_url: str):
    owner = factories.make_org("Board Phone Org")
    pid = make_portfolio(owner, "Mobile")
    alpha = make_initiative(owner, pid, "Alpha")
    beta = make_initiative(owner, pid, "Beta")
    with system_session() as session:
        email = session.get(User, owner.user_id).email
    path = f"/o/{owner.org_slug}/portfolio/p/{pid}"
    context = browser.new_context(viewport=PHONE, is_mobile=True, has_touch=True)
    page = context.new_page()
    _sign_in(page, base_url, email, path)
    page.get_by_role("button", name="New initiative").click()
    box = page.get_by_role("dialog", name="New initiative").bounding_box()
    assert box is not None and box["x"] >= 0 and box["x"] + box["width"] <= PHONE["width"]
    page.get_by_role("dialog").get_by_role("button", name="Close").click()
    expect(page.get_by_role("dialog")).to_have_count(0)
    _create_in_dialog(page, "Delta", ["Beta"])
    delta = _initiative(owner, "Delta")
    assert _depends_on(owner, delta.id) == {beta}
    assert alpha not in _depends_on(owner, delta.id)
    # ---- no drag by touch on a phone: the card's Move menu moves it, through the same service
    expect(page.get_by_text("Drag a card to another column")).to_be_visible()
    page.get_by_role("button", name="Move Delta").click()
    page.get_by_role("menuitem", name="Ready").click()
    expect(page.get_by_role("region", name="Column Ready")).to_contain_text("Delta")
    expect(page.get_by_role("status")).to_contain_text("“Delta” moved to Ready")
    assert _initiative(owner, "Delta").status == "ready"
    scroll = page.evaluate("document.documentElement.scrollWidth")
    assert scroll <= PHONE["width"], f"the board scrolls sideways: {scroll}px"
    context.close()
