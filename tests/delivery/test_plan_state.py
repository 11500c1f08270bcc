"""The delivery plan page's state: the spend CSV import moves its progress bar to the end and
says how many months it wrote; a viewer's import is refused and writes nothing."""

from __future__ import annotations

from pmo_saas.delivery.pages.plan import PlanState
from pmo_saas.identity import services as identity
from pmo_saas.kernel.context import TenantContext
from pmo_saas.kernel.roles import Role
from tests import factories
from tests.delivery.plan_builders import funded_initiative
from tests.state_harness import run, state_for

CSV = "month,amount\n2026-01,1000\n2026-02,2000\n2026-03,3000\n"


def _token(ctx: TenantContext) -> str:
    assert ctx.user_id is not None
    return identity.start_session(user_id=ctx.user_id)


def test_spend_import_reports_progress_and_a_viewer_is_refused(org_a):
    pid, iid = funded_initiative(org_a)
    viewer = factories.make_member(org_a, Role.VIEWER)
    path = f"/o/{org_a.org_slug}/portfolio/p/{pid}/plan/{iid}"

    async def scenario() -> None:
        theirs = await state_for(PlanState, token=_token(viewer), path=path, binding="viewer")
        await theirs.load()
        assert theirs.import_spend({"csv": CSV}) is not None
        await PlanState.write_spend.fn(theirs)
        assert theirs.error != "" and theirs.importing_spend is False
        assert theirs.spend == []
        page = await state_for(PlanState, token=_token(org_a), path=path)
        await page.load()
        version = page.form_version
        assert page.import_spend({"csv": CSV}) is not None and page.importing_spend
        await PlanState.write_spend.fn(page)  # the background event it starts
        assert page.error == ""
        assert page.notice == "Spend imported: 3 month(s)."
        assert (page.spend_progress, page.importing_spend) == (100, False)
        assert [s.month for s in page.spend] == ["2026-01", "2026-02", "2026-03"]
        assert page.form_version == version + 1  # the form is emptied

        await PlanState.write_spend.fn(page)  # called again, nothing kept: nothing written
        assert len(page.spend) == 3 and page.importing_spend is False

    run(scenario())
