"""The workspace on a laptop (1366x900) and on a phone (390x844), in a real browser.

Every main page of the seeded demo organisation is opened at both widths: none may scroll
sideways, each is screenshotted under tests/e2e/screenshots/ (kept as a CI artifact, not
committed), and axe-core (axe-playwright-python, its bundled axe.min.js: nothing fetched)
finds no serious or critical violation. A new organisation's owner, on a phone, sees
the first-run checklist and finds the sections behind the menu drawer. And a person signs in
with the keyboard alone (Tab and Enter), every control showing a focus ring as it is reached.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import Browser, Page, expect
from sqlmodel import col, select

from pmo_saas.assessments.models import AssessmentRound
from pmo_saas.coaching.models import CoachingPlan
from pmo_saas.db import system_session, tenant_session
from pmo_saas.delivery.models import WorkItem
from pmo_saas.delivery.services import workitems
from pmo_saas.identity.models import Organization, User
from pmo_saas.kernel.context import TenantContext
from pmo_saas.kernel.roles import Role
from pmo_saas.portfolio.models import Initiative, Portfolio
from pmo_saas.practices.models import Practice
from pmo_saas.practices.services import playbook
from pmo_saas.seed import DEMO_OWNER, DEMO_SLUG, demo_password, seed_demo
from pmo_saas.surveys.models import Survey
from tests import factories
from tests.e2e.journey import SUMMARY

SCREENSHOTS = Path(__file__).parent / "screenshots"
WIDTHS = {"phone": (390, 844), "laptop": (1366, 900)}
SERIOUS = ("serious", "critical")


@dataclass
class Visit:
    path: str
    width: str
    scroll_width: int
    client_width: int
    violations: list[dict[str, Any]] = field(default_factory=list)
    rules: set[str] = field(default_factory=set)


WORK_ITEMS = (
    "title,kind,status,estimate,created_at,started_at,done_at\n"
    "Sign-in page,story,,2,2026-09-01,2026-09-02,2026-09-09\n"
    "Search,story,,3,2026-09-03,2026-09-07,2026-09-21\n"
    "Payments,feature,,5,2026-09-04,2026-09-15,\n"
    "Receipts,story,,1,2026-09-05,,\n"
)


def _first(session: Any, model: Any, org_id: int) -> int:
    found = session.exec(
        select(model.id).where(model.org_id == org_id).order_by(col(model.id))
    ).first()
    assert found is not None, f"the demo has no {model.__name__}"
    return int(found)


def _demo_delivery_and_practice(org_id: int, initiative_id: int) -> None:
    """What the demo does not seed but the newer pages draw: a practice in the playbook and
    work items (so the delivery charts are drawn), written through their services."""
    with system_session() as session:
        owner = session.exec(select(User.id).where(User.email == DEMO_OWNER)).one()
    ctx = TenantContext(org_id=org_id, user_id=owner, role=Role.OWNER, org_slug=DEMO_SLUG)
    with tenant_session(ctx) as session:
        if session.exec(select(Practice.id)).first() is None:
            playbook.publish_practice(
                session=session,
                ctx=ctx,
                title="Daily stand-up",
                purpose="Plan the day together in fifteen minutes.",
            )
        if session.exec(select(WorkItem.id)).first() is None:
            workitems.import_work_items(
                session=session,
                ctx=ctx,
                initiative_id=initiative_id,
                data=WORK_ITEMS.encode(),
            )


def _main_pages() -> list[str]:
    with system_session() as session:
        org_id = session.exec(select(Organization.id).where(Organization.slug == DEMO_SLUG)).one()
        assert org_id is not None
        portfolio_id = _first(session, Portfolio, org_id)
        initiative_id = _first(session, Initiative, org_id)
        plan_id = _first(session, CoachingPlan, org_id)
        round_id = _first(session, AssessmentRound, org_id)
        survey_id = session.exec(
            select(Survey.id)
            .where(Survey.org_id == org_id, Survey.status == "closed")
            .order_by(col(Survey.id))
        ).first()
    _demo_delivery_and_practice(org_id, initiative_id)
    with system_session() as session:
        practice_id = _first(session, Practice, org_id)
    base = f"/o/{DEMO_SLUG}"
    p = f"{base}/portfolio/p/{portfolio_id}"
    return [
        base,
        f"{base}/dashboard",
        f"{base}/dashboard/report",
        f"{base}/dashboard/governance",
        f"{base}/dashboard/sharing",
        f"{base}/dashboard/api-keys",
        f"{base}/portfolio",
        p,
        f"{p}/ranking",
        f"{p}/funding",
        f"{p}/risks",
        f"{p}/rounds",
        f"{p}/delivery",
        f"{p}/delivery/{initiative_id}",
        f"{p}/delivery/{initiative_id}/connections",
        f"{p}/plan",
        f"{p}/plan/{initiative_id}",
        f"{p}/value",
        f"{base}/capacity",
        f"{base}/practices",
        f"{base}/practices/{practice_id}",
        f"{base}/assessments",
        f"{base}/assessments/rounds/{round_id}",
        f"{base}/coaching",
        f"{base}/coaching/board",
        f"{base}/coaching/training",
        f"{base}/coaching/plans/{plan_id}",
        f"{base}/coaching/mine",
        f"{base}/surveys",
        *([f"{base}/surveys/results/{survey_id}"] if survey_id is not None else []),
        f"{base}/notifications",
        f"{base}/members",
        f"{base}/teams",
        f"{base}/settings",
        f"{base}/billing",
        f"{base}/audit",
    ]


def _sign_in(page: Page, base_url: str, email: str, password: str, path: str) -> None:
    page.goto(f"{base_url}{path}")
    page.wait_for_url(re.compile(r"^[^?]*/signin.*"))
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign in").click()
    # Not the sign-in page's own URL (its ?next= ends with the path too).
    page.wait_for_url(lambda url: "/signin" not in url and url.rstrip("/").endswith(path))


def _settle(page: Page) -> None:
    """The page's heading is there (still signed in) and its on_load answered."""
    expect(page.get_by_role("heading", level=1).first).to_be_visible()
    expect(page.get_by_role("button", name="Sign in")).to_have_count(0)
    page.wait_for_timeout(600)  # the load event's delta, and the layout after it


@pytest.fixture(scope="module")
def visits(browser: Browser, base_url: str) -> list[Visit]:
    """Every main page at both widths, as the demo owner: sizes, screenshot, axe results."""
    seed_demo()
    pages = _main_pages()
    SCREENSHOTS.mkdir(exist_ok=True)
    axe = Axe()
    found: list[Visit] = []
    context = browser.new_context(viewport={"width": 1366, "height": 900})
    page = context.new_page()
    try:
        _sign_in(page, base_url, DEMO_OWNER, demo_password(), pages[0])
        for width, (w, h) in WIDTHS.items():
            page.set_viewport_size({"width": w, "height": h})
            for path in pages:
                page.goto(f"{base_url}{path}")
                _settle(page)
                sizes = page.evaluate(
                    "[document.documentElement.scrollWidth, document.documentElement.clientWidth]"
                )
                name = path.strip("/").replace("/", "_") or "root"
                page.screenshot(path=str(SCREENSHOTS / f"{name}@{width}.png"), full_page=True)
                result = axe.run(page).response
                rules = {
                    r["id"]
                    for kind in ("violations", "passes", "incomplete", "inapplicable")
                    for r in result.get(kind, [])
                }
                found.append(Visit(path, width, sizes[0], sizes[1], result["violations"], rules))
    finally:
        context.close()
    return found


def test_no_main_page_scrolls_sideways_on_a_phone_or_a_laptop(visits: list[Visit]):
    wide = [
        f"{v.path} at {v.width}: {v.scroll_width}px of content in {v.client_width}px"
        for v in visits
        if v.scroll_width > v.client_width
    ]
    assert not wide, "Pages that scroll horizontally:\n" + "\n".join(wide)
    assert len(visits) == 2 * len(_pages_seen(visits))
    assert all((SCREENSHOTS / f"{_shot(v)}").exists() for v in visits)


def _pages_seen(visits: list[Visit]) -> set[str]:
    return {v.path for v in visits}


def _shot(v: Visit) -> str:
    return f"{v.path.strip('/').replace('/', '_') or 'root'}@{v.width}.png"


def test_axe_finds_no_serious_or_critical_violation_on_any_main_page(visits: list[Visit]):
    rules = set().union(*(v.rules for v in visits))
    SUMMARY.append(
        f"axe-core checked {len(_pages_seen(visits))} pages at {len(WIDTHS)} widths "
        f"({len(visits)} page views) against {len(rules)} rules"
    )
    bad = [
        f"{v.path} at {v.width}: {x['id']} ({x['impact']}) "
        + "; ".join(
            n["target"][0] if isinstance(n["target"][0], str) else str(n["target"])
            for n in x["nodes"][:3]
        )
        for v in visits
        for x in v.violations
        if x.get("impact") in SERIOUS
    ]
    assert len(rules) > 20  # axe really ran (it knows about ninety rules)
    assert not bad, "Serious or critical accessibility violations:\n" + "\n".join(bad)


def test_a_new_owner_on_a_phone_sees_the_checklist_and_opens_the_menu(
    browser: Browser, base_url: str
):
    owner = factories.make_org("Phone Start", email="start@phone.example")
    context = browser.new_context(viewport={"width": 390, "height": 844}, is_mobile=True)
    page = context.new_page()
    try:
        home = f"/o/{owner.org_slug}"
        _sign_in(page, base_url, "start@phone.example", factories.PASSWORD, home)
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
        # Empty sections say what they are for and offer the first step.
        surveys = page.get_by_role("region", name="Surveys waiting for you")
        expect(surveys).to_contain_text("Pulse and culture surveys")
        expect(surveys.get_by_role("link", name="Launch a survey")).to_be_visible()
        # On a phone the sidebar is folded away: the sections are behind "Open menu".
        sections = page.get_by_role("navigation", name="Sections")
        expect(sections).to_have_count(0)
        assert page.evaluate(
            "document.documentElement.scrollWidth <= document.documentElement.clientWidth"
        )
        page.get_by_role("button", name="Open menu").click()
        drawer = page.get_by_role("dialog")
        expect(drawer.get_by_role("link", name="Home")).to_be_visible()
        members = drawer.get_by_role("link", name="Members & Teams")
        # The link points into this organisation (its slug comes from the page's on_load).
        expect(members).to_have_attribute("href", f"/o/{owner.org_slug}/members")
        members.click()
        page.wait_for_url(re.compile(rf"^[^?]*/o/{owner.org_slug}/members/?$"))
        expect(page.get_by_role("heading", level=1).first).to_be_visible()
        expect(page.get_by_role("dialog")).to_have_count(0)
        # The checklist ticks a step from real data: a team made now is done on return.
        factories.make_team(owner, "First team")
        page.goto(f"{base_url}{home}")
        expect(
            page.get_by_role("region", name="Get started").get_by_role(
                "link", name="Create teams (done)"
            )
        ).to_be_visible()
    finally:
        context.close()


FOCUS_RING = """() => {
    const el = document.activeElement;
    // a text field draws its ring on its Radix root (:focus-within), a button on itself
    const ringed = el.closest('.rt-TextFieldRoot') || el;
    const style = getComputedStyle(ringed);
    const outline = style.outlineStyle !== 'none' ? parseFloat(style.outlineWidth) : 0;
    return outline > 0 || (style.boxShadow !== 'none' && style.boxShadow !== '');
}"""


def _tab_to(page: Page, describe: str, limit: int = 25) -> None:
    """Tab (only) until the focused element is `describe` (its label, or a button's text)."""
    for _ in range(limit):
        page.keyboard.press("Tab")
        focused = page.evaluate(
            """() => { const el = document.activeElement;
            const label = el.labels && el.labels[0] ? el.labels[0].innerText : '';
            return (el.getAttribute('aria-label') || label || el.innerText || '').trim(); }"""
        )
        if focused == describe:
            assert page.evaluate(FOCUS_RING), f"{describe} has focus but shows no focus ring"
            return
    raise AssertionError(f"Tab never reached {describe!r}")


def test_signing_in_with_the_keyboard_alone_shows_where_the_focus_is(
    browser: Browser, base_url: str
):
    """Tab to each field (a visible focus ring on each), type, Tab to Sign in, Enter."""
    owner = factories.make_org("Keyboard Co", email="keys@keyboard.example")
    context = browser.new_context(viewport={"width": 1366, "height": 900})
    page = context.new_page()
    try:
        home = f"/o/{owner.org_slug}"
        page.goto(f"{base_url}{home}")
        page.wait_for_url(re.compile(r"^[^?]*/signin.*"))
        expect(page.get_by_role("button", name="Sign in")).to_be_visible()
        _tab_to(page, "Email")
        page.keyboard.type("keys@keyboard.example")
        _tab_to(page, "Password")
        page.keyboard.type(factories.PASSWORD)
        _tab_to(page, "Sign in")
        page.keyboard.press("Enter")
        page.wait_for_url(lambda url: "/signin" not in url and url.rstrip("/").endswith(home))
        expect(page.get_by_role("heading", name="Home", exact=True)).to_be_visible()
    finally:
        context.close()
