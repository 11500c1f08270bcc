"""A team member on a phone (390x844): signs in, answers a survey with the keyboard alone,
and answers an assessment in two sittings (saved halfway on the server, finished later).

The survey's unsent answers stay in the tab (a reload keeps them) and reach the server only
with "Send my answers". Every option is a whole-row target at least 44px tall, stacked in one
column (no uneven grid of wrapped labels), and each question says where it is ("Question 3 of
7"). Neither page scrolls sideways.
"""

from __future__ import annotations

import re

from playwright.sync_api import Browser, Page, expect

from pmo_saas.assessments.services import answering
from pmo_saas.db import tenant_session
from pmo_saas.surveys import instruments as ins
from pmo_saas.surveys import services as survey_services
from tests import factories
from tests.assessments import helpers as assessing
from tests.peers import smtp
from tests.surveys.helpers import LINK, launch, people

PHONE = {"width": 390, "height": 844}
SURVEY = "Phone pulse"
ROUND = "Phone round"
AGREE7 = ins.AGREE7
COMMENT = "Anything else you would like to tell us? (optional)"


def _no_sideways_scroll(page: Page) -> None:
    assert page.evaluate(
        "document.documentElement.scrollWidth <= document.documentElement.clientWidth"
    )


def _options_stack_as_large_targets(page: Page, group_name: str) -> None:
    """The options of one question: one column of equal rows, each at least 44px tall."""
    labels = page.get_by_role("group", name=group_name).locator("label")
    boxes = [labels.nth(i).bounding_box() for i in range(labels.count())]
    assert len(boxes) >= 5 and all(boxes)
    assert {round(b["x"]) for b in boxes if b} == {round(boxes[0]["x"])}  # type: ignore[index]
    assert {round(b["width"]) for b in boxes if b} == {round(boxes[0]["width"])}  # type: ignore[index]
    assert all(b["height"] >= 44 for b in boxes if b)


def _tab_to_next_radio(page: Page, limit: int = 40) -> None:
    for _ in range(limit):
        page.keyboard.press("Tab")
        if page.evaluate("document.activeElement && document.activeElement.type === 'radio'"):
            return
    raise AssertionError("Tab never reached a survey option")


def _choose_by_keyboard(page: Page, value: int) -> None:
    """Focus is on a question's first option: Space checks it, arrows move along the scale."""
    page.keyboard.press("Space")
    for _ in range(value - 1):
        page.keyboard.press("ArrowDown")


def test_a_member_answers_a_survey_by_keyboard_and_an_assessment_on_a_phone(
    browser: Browser, base_url: str
):
    owner = factories.make_org("Phone Member")
    slug = owner.org_slug
    mia = factories.make_member(owner, name="Mia", email="mia@phone.test")
    team_id = factories.make_team(owner, "Phones", members=[mia, *people(owner, 2)])
    assessing.start(owner, assessing.small_model(owner), [team_id], title=ROUND)
    survey_id = launch(owner, [team_id], title=SURVEY)
    token = smtp.last_link("mia@phone.test", LINK.pattern)

    context = browser.new_context(viewport=PHONE, is_mobile=True, has_touch=True)
    page = context.new_page()
    try:
        # Signing in on the phone, with the keyboard.
        page.goto(f"{base_url}/o/{slug}/assessments")
        page.wait_for_url(re.compile(r"^[^?]*/signin.*"))
        page.get_by_label("Email").fill("mia@phone.test")
        page.get_by_label("Password").fill(factories.PASSWORD)
        page.keyboard.press("Enter")
        page.wait_for_url(re.compile(rf"^[^?]*/o/{slug}/assessments/?$"))
        expect(page.get_by_role("heading", name="Assessments", exact=True)).to_be_visible()

        # ---- the survey, through the personal link, keyboard only
        page.goto(f"{base_url}/s/{token}")
        expect(page.get_by_role("heading", name=SURVEY)).to_be_visible()
        prompts = [p for _, p in ins.WESTRUM_ITEMS]
        total = len(prompts) + 1
        first = page.get_by_role("group", name=prompts[0])
        expect(first).to_contain_text(f"Question 1 of {total}")
        expect(page.get_by_role("group", name=COMMENT)).to_contain_text(
            f"Question {total} of {total}"
        )
        _options_stack_as_large_targets(page, prompts[0])
        _no_sideways_scroll(page)

        values = [5, 6, 4, 7, 5, 6]
        _tab_to_next_radio(page)
        for n, (prompt, value) in enumerate(zip(prompts[:3], values, strict=False)):
            if n:
                page.keyboard.press("Tab")  # on to the next question's first option
            _choose_by_keyboard(page, value)
            group = page.get_by_role("group", name=prompt)
            expect(group.get_by_label(AGREE7[value - 1], exact=True)).to_be_checked()
        expect(page.get_by_text(f"3 of {total} questions answered")).to_be_visible()

        # A reload (a phone discarding the tab) keeps the unsent answers in this tab only.
        page.reload()
        expect(page.get_by_role("heading", name=SURVEY)).to_be_visible()
        third = page.get_by_role("group", name=prompts[2])
        expect(third.get_by_label(AGREE7[values[2] - 1], exact=True)).to_be_checked()
        expect(page.get_by_text(f"3 of {total} questions answered")).to_be_visible()
        third.get_by_label(AGREE7[values[2] - 1], exact=True).focus()  # where she left off

        for prompt, value in zip(prompts[3:], values[3:], strict=True):
            page.keyboard.press("Tab")
            _choose_by_keyboard(page, value)
            group = page.get_by_role("group", name=prompt)
            expect(group.get_by_label(AGREE7[value - 1], exact=True)).to_be_checked()
        page.keyboard.press("Tab")
        expect(page.get_by_label(COMMENT)).to_be_focused()
        page.keyboard.type("Typed on a phone")
        page.keyboard.press("Tab")
        expect(page.get_by_role("button", name="Send my answers")).to_be_focused()
        page.keyboard.press("Enter")
        expect(page.get_by_role("status")).to_contain_text("Thank you")
        assert (
            page.evaluate("Object.keys(sessionStorage).filter(k => k.startsWith('pmo_survey'))")
            == []
        )

        # ---- the assessment, in two sittings
        page.goto(f"{base_url}/o/{slug}/assessments")
        page.get_by_role("link", name=f"Answer {ROUND} for Phones").click()
        expect(page.get_by_role("heading", name=f"{ROUND} · Phones")).to_be_visible()
        f1 = page.get_by_role("group", name="F1")
        expect(f1).to_contain_text("Statement 1 of 3")
        expect(page.get_by_role("group", name="Q1")).to_contain_text("Statement 3 of 3")
        _options_stack_as_large_targets(page, "F1")
        _no_sideways_scroll(page)
        radio = f1.get_by_role("radio", name="4 · Level 4")
        radio.tap()
        expect(radio).to_be_checked()
        page.get_by_role("button", name="Save and continue later").tap()
        expect(page.get_by_role("status")).to_contain_text("Saved. 1 of 3 statements answered")

        # Later: the saved answer waits on the server; she finishes and submits.
        page.goto(f"{base_url}/o/{slug}")
        page.goto(f"{base_url}/o/{slug}/assessments")
        page.get_by_role("link", name=f"Answer {ROUND} for Phones").click()
        f1 = page.get_by_role("group", name="F1")
        expect(f1.get_by_role("radio", name="4 · Level 4")).to_be_checked()
        expect(page.get_by_text("1 of 3 answered")).to_be_visible()
        for statement, value in (("F2", 3), ("Q1", 5)):
            radio = page.get_by_role("group", name=statement).get_by_role(
                "radio", name=f"{value} · Level {value}"
            )
            radio.tap()
            expect(radio).to_be_checked()
        page.get_by_role("button", name="Submit answers").tap()
        expect(page.get_by_role("status")).to_contain_text("Submitted, thank you. 3 of 3")
        _no_sideways_scroll(page)
    finally:
        context.close()

    # What she answered reached the services: one survey response, a submitted questionnaire.
    with tenant_session(owner) as session:
        (progress,) = survey_services.survey_progress(
            session=session, ctx=owner, survey_id=survey_id
        )
    assert (progress.invited, progress.answered) == (3, 1)
    with tenant_session(mia) as session:
        (mine,) = answering.my_assignments(session=session, ctx=mia)
    assert (mine.answered, mine.total, mine.submitted) == (3, 3, True)
