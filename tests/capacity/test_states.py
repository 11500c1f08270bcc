"""The capacity page's state: the CSV preview writes nothing until confirmed, members change
nothing, and another organisation's page shows none of this one's rows."""

from __future__ import annotations

from pmo_saas.capacity.pages.capacity import CapacityState
from pmo_saas.capacity.services import capacity
from pmo_saas.db import tenant_session
from pmo_saas.identity import services as identity
from pmo_saas.kernel.context import TenantContext
from pmo_saas.kernel.roles import Role
from tests import factories
from tests.state_harness import run, state_for

CSV = "team,quarter,people,days_per_person,value_stream\nAlpha,2027-Q1,2,10,Retail\n"


def _token(ctx: TenantContext) -> str:
    assert ctx.user_id is not None
    return identity.start_session(user_id=ctx.user_id)


def _rows(ctx: TenantContext) -> list[tuple[str, str, float]]:
    with tenant_session(ctx) as session:
        return [
            (c.team_name, c.quarter, c.person_days)
            for c in capacity.list_capacity(session=session, ctx=ctx)
        ]


def test_preview_then_confirm_and_members_are_refused(org_a, org_b):
    factories.make_team(org_a, "Alpha")
    coach = factories.make_member(org_a, Role.COACH)
    member = factories.make_member(org_a, Role.MEMBER)
    path = f"/o/{org_a.org_slug}/capacity"

    async def scenario() -> None:
        page = await state_for(CapacityState, token=_token(coach), path=path)
        await page.load()
        assert page.error == "" and page.can_manage
        await page.preview_import({"capacity_csv": CSV})
        assert page.previewing and page.preview_errors == 0
        assert _rows(org_a) == []
        await CapacityState.confirm_import.fn(page)  # the background event, on the state
        assert page.notice == "Imported 1 capacity line(s)." and page.import_progress == 100
        assert [(r.team_name, r.person_days) for r in page.capacity_rows] == [("Alpha", 20)]
        theirs = await state_for(
            CapacityState, token=_token(member), path=path, binding="member-binding"
        )
        await theirs.load()
        assert theirs.can_manage is False and len(theirs.capacity_rows) == 1
        await theirs.preview_import({"capacity_csv": CSV})
        assert "coach role" in theirs.error and not theirs.previewing
        outsider = await state_for(
            CapacityState,
            token=_token(org_b),
            path=f"/o/{org_b.org_slug}/capacity",
            binding="b-binding",
        )
        await outsider.load()
        assert outsider.capacity_rows == [] and outsider.team_load == []

    run(scenario())
    assert _rows(org_a) == [("Alpha", "2027-Q1", 20)]
