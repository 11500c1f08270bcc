"""The PMO improvement page's and the skills page's states: a coach raises and moves an item
from the page, a member reads but is refused, and the skills page saves a member's own tags."""

from __future__ import annotations

from pmo_saas.capacity.pages.skills import SkillsState
from pmo_saas.identity import services as identity
from pmo_saas.improvement.pages.backlog import ImprovementState
from pmo_saas.kernel.context import TenantContext
from pmo_saas.kernel.roles import Role
from tests import factories
from tests.improvement.helpers import answer, launch_feedback, scores
from tests.state_harness import run, state_for
from tests.surveys.helpers import close, team_with


def _token(ctx: TenantContext) -> str:
    assert ctx.user_id is not None
    return identity.start_session(user_id=ctx.user_id)


def test_a_coach_raises_and_moves_an_item_and_a_member_only_reads(org_a):
    _, people = team_with(org_a, "One", 5)
    survey_id = launch_feedback(org_a)
    answer(people, [scores(4, 2, 3, 5)] * 5)
    close(org_a, survey_id)
    coach = factories.make_member(org_a, Role.COACH)
    member = factories.make_member(org_a, Role.MEMBER)
    path = f"/o/{org_a.org_slug}/improvement"

    async def scenario() -> None:
        page = await state_for(ImprovementState, token=_token(coach), path=path)
        await page.load()
        assert page.error == "" and page.can_manage
        assert [(r.round_label, r.headline) for r in page.trend] == [("Round 1", "3.50")]
        assert page.trend[0].cells == ["4.00", "2.00", "3.00", "5.00"]
        await page.raise_item(
            {
                "improvement_title": "Explain funding",
                "improvement_source": "feedback",
                "improvement_round": str(survey_id),
                "improvement_question": "funding",
                "improvement_owner": str(coach.user_id),
            }
        )
        assert page.notice == "Improvement item raised." and page.error == ""
        (item,) = page.items
        await page.set_status(item.id, "done")
        assert page.items[0].status == "done"
        theirs = await state_for(
            ImprovementState, token=_token(member), path=path, binding="member-binding"
        )
        await theirs.load()
        assert not theirs.can_manage and theirs.trend == []
        assert [i.title for i in theirs.items] == ["Explain funding"]
        await theirs.set_status(item.id, "dropped")
        assert "coach" in theirs.error
        await theirs.load()
        assert theirs.items[0].status == "done"

    run(scenario())


def test_a_member_saves_their_own_skills_on_the_skills_page(org_a):
    member = factories.make_member(org_a, Role.MEMBER)
    path = f"/o/{org_a.org_slug}/capacity/skills"

    async def scenario() -> None:
        page = await state_for(SkillsState, token=_token(member), path=path)
        await page.load()
        assert page.error == "" and not page.can_manage
        await page.save_my_skills({"my_skills": "Python, facilitation"})
        assert page.notice == "Your skills are saved."
        assert page.my_skills == "facilitation, python"
        await page.save_person_skills({"skills_owner": str(org_a.user_id), "person_skills": "x"})
        assert "coach" in page.error

    run(scenario())
