"""The roll-out and programmes page states: a coach adds a team and a criterion through the
wave page's forms; a member reads the wave but gets no progress and cannot change it; the id
in the URL of another organisation's wave shows nothing; the programmes page groups an
initiative and a member cannot."""

from __future__ import annotations

from pmo_saas.identity import services as identity
from pmo_saas.kernel.context import TenantContext
from pmo_saas.kernel.roles import Role
from pmo_saas.programmes.pages.programmes import ProgrammesState
from pmo_saas.rollout.pages.roadmap import RoadmapState
from pmo_saas.rollout.pages.wave import WaveState
from tests import factories
from tests.assessments.helpers import answered_round
from tests.portfolio.builders import make_initiative, make_portfolio
from tests.rollout.helpers import wave
from tests.state_harness import run, state_for


def _token(ctx: TenantContext) -> str:
    assert ctx.user_id is not None
    return identity.start_session(user_id=ctx.user_id)


def test_wave_page_forms_roles_and_another_organisations_id(org_a, org_b):
    coach = factories.make_member(org_a, Role.COACH)
    member = factories.make_member(org_a, Role.MEMBER)
    alpha = factories.make_team(org_a, "Alpha")
    answered_round(org_a, {alpha: [(4, 4, 3)]})
    wid = wave(org_a, "Pilot", [], pilot=True)
    path = f"/o/{org_a.org_slug}/rollout/{wid}"

    async def scenario() -> None:
        page = await state_for(WaveState, token=_token(coach), path=path)
        await page.load()
        assert page.error == "" and page.can_manage and page.wave is not None
        assert "maturity:flow" in [f.value for f in page.figures]
        await page.add_team({"wave_team": str(alpha)})
        assert page.notice == "Team added to the wave." and page.wave.team_names == ["Alpha"]
        await page.add_criterion(
            {
                "criterion_kind": "exit",
                "criterion_figure": "maturity:flow",
                "criterion_operator": ">=",
                "criterion_threshold": "3",
            }
        )
        assert page.notice == "Criterion added." and page.progress is not None
        (team,) = page.progress.teams
        assert (team.team_name, team.ready, team.cells[0].label) == ("Alpha", True, "4.00 met")
        await page.add_criterion(
            {
                "criterion_kind": "exit",
                "criterion_figure": "survey:westrum:",
                "criterion_operator": ">=",
                "criterion_threshold": "not a number",
            }
        )
        assert "number" in page.error
        reader = await state_for(WaveState, token=_token(member), path=path, binding="m")
        await reader.load()
        assert reader.error == "" and reader.wave is not None and reader.progress is None
        await reader.remove_team(alpha)
        assert "coach" in reader.error
        roadmap = await state_for(
            RoadmapState, token=_token(member), path=f"/o/{org_a.org_slug}/rollout", binding="r"
        )
        await roadmap.load()
        assert [w.title for w in roadmap.waves] == ["Pilot"] and roadmap.comparison is None
        await roadmap.create({"wave_title": "Mine"})
        assert "coach" in roadmap.error
        outsider = await state_for(
            WaveState,
            token=_token(org_b),
            path=f"/o/{org_b.org_slug}/rollout/{wid}",
            binding="b-binding",
        )
        await outsider.load()
        assert outsider.error == "That wave was not found." and outsider.wave is None

    run(scenario())


def test_programmes_page_groups_an_initiative(org_a):
    member = factories.make_member(org_a, Role.MEMBER)
    pid = make_portfolio(org_a, "Retail")
    iid = make_initiative(org_a, pid, "A checkout", cost=1_000)
    path = f"/o/{org_a.org_slug}/programmes"

    async def scenario() -> None:
        page = await state_for(ProgrammesState, token=_token(org_a), path=path)
        await page.load()
        await page.create(
            {"programme_name": "Digital store", "programme_portfolio": str(pid),
             "programme_budget": "5000"}
        )  # fmt: skip
        assert page.notice == "Programme created."
        (programme,) = page.rollups
        assert [c.label for c in page.ungrouped] == ["Retail: A checkout"]
        await page.add_initiative(
            {"group_programme": str(programme.id), "group_initiative": str(iid)}
        )
        assert page.rollups[0].initiatives == 1 and page.ungrouped == []
        reader = await state_for(ProgrammesState, token=_token(member), path=path, binding="m")
        await reader.load()
        assert reader.rollups[0].name == "Digital store" and not reader.can_manage
        await reader.remove_initiative(programme.id, iid)
        assert "coach" in reader.error and reader.rollups[0].initiatives == 1

    run(scenario())
