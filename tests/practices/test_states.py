"""The practice page's state: a member records their own team's adoption, never another's,
and cannot edit; the id in the URL of another organisation's practice shows nothing."""

from __future__ import annotations

from pmo_saas.db import tenant_session
from pmo_saas.identity import services as identity
from pmo_saas.kernel.context import TenantContext
from pmo_saas.kernel.roles import Role
from pmo_saas.practices.pages.practice import PracticeState
from pmo_saas.practices.services import playbook
from tests import factories
from tests.state_harness import run, state_for


def _token(ctx: TenantContext) -> str:
    assert ctx.user_id is not None
    return identity.start_session(user_id=ctx.user_id)


def test_member_records_own_team_only_and_cannot_edit(org_a, org_b):
    member = factories.make_member(org_a, Role.MEMBER)
    alpha = factories.make_team(org_a, "Alpha", [member])
    beta = factories.make_team(org_a, "Beta")
    with tenant_session(org_a) as session:
        pid = playbook.publish_practice(session=session, ctx=org_a, title="Kanban policies")
    path = f"/o/{org_a.org_slug}/practices/{pid}"

    async def scenario() -> None:
        page = await state_for(PracticeState, token=_token(member), path=path)
        await page.load()
        assert page.error == "" and page.detail is not None and not page.can_manage
        assert [c.label for c in page.recordable] == ["Alpha"]
        await page.record({"adoption_team": str(beta), "adoption_status": "adopted"})
        assert "your own teams" in page.error
        await page.record(
            {"adoption_team": str(alpha), "adoption_status": "adapted", "adoption_note": "WIP 3"}
        )
        assert page.notice == "Alpha: Adapted."
        await page.save({"edit_title": "Mine now", "edit_framework": "general"})
        assert "coach role" in page.error
        assert page.detail is not None and page.detail.practice.title == "Kanban policies"
        outsider = await state_for(
            PracticeState,
            token=_token(org_b),
            path=f"/o/{org_b.org_slug}/practices/{pid}",
            binding="b-binding",
        )
        await outsider.load()
        assert outsider.error == "That practice was not found." and outsider.detail is None

    run(scenario())
