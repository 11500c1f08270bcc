"""How many SQL statements each main page's load costs, on the demo organisation.

Each page runs the same service calls as its state's load, each in its own tenant transaction
(as `in_tenant` does). The counts are written here: a new look-up per row (an N+1) or a repeated
look-up changes them and fails, and whoever changes a page on purpose updates its number.
The tenant session's own PostgreSQL settings (role, `app.org_id`) are not counted, so the
numbers are the same on SQLite and PostgreSQL.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from sqlalchemy import event
from sqlmodel import select

from pmo_saas.db import get_engine, system_session, tenant_session
from pmo_saas.identity import services as identity
from pmo_saas.identity.models import Organization, User
from pmo_saas.kernel.context import TenantContext
from pmo_saas.seed import DEMO_OWNER, DEMO_SLUG, seed_demo

# The statements the tenant session itself sends on PostgreSQL, once per transaction.
SESSION_SETUP = ("SET LOCAL ROLE", "SELECT set_config('app.org_id'")

# page -> statements for its load on the demo organisation
EXPECTED = {
    "portfolio initiatives": 6,  # the initiatives read once (archived too), no origin query
    "ranking": 18,
    "funding": 37,  # compare_scenarios reads per scenario
    "dashboard": 20,  # culture: organisation sums per round; delivery: one read if none funded;
    # PMO feedback: one read finds no round (its cost per round: test_pmo_feedback_tile_...)
    "assessments round results": 66,  # team_result per team
    "coaching plan": 9,
    "surveys list": 13,  # survey_progress per survey
    "members": 3,
    "home": 20,  # one read per section, headline and checklist step (through the domains)
}


@contextmanager
def counted() -> Iterator[list[str]]:
    statements: list[str] = []

    def record(_conn: Any, _cursor: Any, sql: str, *_args: Any) -> None:
        if not sql.lstrip().startswith(SESSION_SETUP):
            statements.append(sql)

    engine = get_engine()
    event.listen(engine, "before_cursor_execute", record)
    try:
        yield statements
    finally:
        event.remove(engine, "before_cursor_execute", record)


def run(ctx: TenantContext, fn: Callable[..., Any], **kwargs: Any) -> Any:
    with tenant_session(ctx) as session:
        return fn(session=session, ctx=ctx, **kwargs)


def demo_owner() -> TenantContext:
    seed_demo()
    with system_session() as session:
        user_id = session.exec(select(User.id).where(User.email == DEMO_OWNER)).one()
        assert session.exec(select(Organization.id).where(Organization.slug == DEMO_SLUG)).one()
    assert user_id is not None
    return identity.workspace_context(user_id=user_id, slug=DEMO_SLUG)


def page_loads(ctx: TenantContext) -> dict[str, Callable[[], None]]:
    """Each page's load, as its state runs it (ids of the demo's rows found beforehand)."""
    from pmo_saas.assessments.pages.round_page import _round_page
    from pmo_saas.assessments.services import rounds as assessments
    from pmo_saas.coaching.services import plans as coaching
    from pmo_saas.dashboard import services as dashboard
    from pmo_saas.home import services as home
    from pmo_saas.portfolio import views
    from pmo_saas.portfolio.services import funding, initiatives, portfolios, ranking
    from pmo_saas.surveys import services as surveys
    from pmo_saas.surveys.pages.overview import _coach_overview

    pid = run(ctx, portfolios.list_portfolios)[0].id
    round_id = run(ctx, assessments.list_rounds)[0].id
    plan_id = run(ctx, coaching.list_plans)[0].id

    def ranking_page() -> None:
        run(ctx, views.scoring_setup, portfolio_id=pid)
        run(ctx, ranking.rank_portfolio, portfolio_id=pid, limit=200)
        run(ctx, ranking.value_effort_points, portfolio_id=pid)
        run(ctx, ranking.ranking_bars, portfolio_id=pid)

    def funding_page() -> None:
        run(ctx, portfolios.get_portfolio, portfolio_id=pid)
        run(ctx, initiatives.list_initiatives, portfolio_id=pid)
        scenarios = run(ctx, funding.list_scenarios, portfolio_id=pid)
        run(ctx, funding.compare_scenarios, scenario_ids=[s.id for s in scenarios])
        run(ctx, funding.list_published_plans, portfolio_id=pid)

    def plan_page() -> None:
        run(ctx, coaching.get_plan, plan_id=plan_id)
        run(ctx, identity.list_members)

    def surveys_page() -> None:
        run(ctx, surveys.my_surveys)
        run(ctx, _coach_overview)

    def members_page() -> None:
        run(ctx, identity.list_members)
        run(ctx, identity.list_invitations)

    return {
        "portfolio initiatives": lambda: run(ctx, views.initiatives_view, portfolio_id=pid),
        "ranking": ranking_page,
        "funding": funding_page,
        "dashboard": lambda: run(ctx, dashboard.build_dashboard),
        "assessments round results": lambda: run(ctx, _round_page, round_id=round_id),
        "coaching plan": plan_page,
        "surveys list": surveys_page,
        "members": members_page,
        "home": lambda: run(ctx, home.workspace_home),
    }


def statements_per_page(ctx: TenantContext) -> dict[str, int]:
    found = {}
    for page, load in page_loads(ctx).items():
        with counted() as statements:
            load()
        found[page] = len(statements)
    return found


def test_each_main_page_load_costs_the_statements_written_here():
    found = statements_per_page(demo_owner())
    assert found == EXPECTED, (
        "a page's load now sends a different number of SQL statements "
        f"(an N+1 or a repeated look-up?): found {found}, expected {EXPECTED}"
    )


@pytest.mark.parametrize("extra", [5])
def test_the_initiatives_view_costs_the_same_with_more_initiatives(extra):
    from pmo_saas.portfolio import views
    from pmo_saas.portfolio.services import initiatives, portfolios

    ctx = demo_owner()
    pid = run(ctx, portfolios.list_portfolios)[0].id
    with counted() as before:
        run(ctx, views.initiatives_view, portfolio_id=pid)
    for k in range(extra):
        run(ctx, initiatives.create_initiative, portfolio_id=pid, data={"title": f"More {k}"})
    with counted() as after:
        view = run(ctx, views.initiatives_view, portfolio_id=pid)
    assert {f"More {k}" for k in range(extra)} <= {c.title for c in view.cards}
    assert len(after) == len(before), "the initiatives view looks something up per initiative"


# The dashboard's PMO feedback tile: one read finds the series, one its rounds, then per closed
# round the surveys results read: its questions and its teams (the organisation's counters are
# summed from the opened teams' stored figures, surveys/services/figures.py `org_histograms`).
PMO_FEEDBACK_PER_ROUND = 2


def test_pmo_feedback_tile_costs_a_fixed_number_of_statements_per_round():
    from pmo_saas.dashboard import tiles
    from tests import factories
    from tests.improvement.helpers import answer, launch_feedback, scores
    from tests.surveys.helpers import close, smtp_delivery, team_with

    owner = factories.make_org("Counted feedback")
    _, people = team_with(owner, "One", 5)
    found = []
    with smtp_delivery():
        for _ in range(3):
            survey_id = launch_feedback(owner)
            answer(people, [scores(4, 4, 4, 4)] * 5, comment="fine")
            close(owner, survey_id)
            with counted() as statements:
                run(owner, tiles.pmo_feedback_tile)
            found.append(len(statements))
    assert found == [2 + n * PMO_FEEDBACK_PER_ROUND for n in (1, 2, 3)], found


# The newer pages, each on an organisation of its own that grows from 2 to 10 of what the page
# lists (programmes, waves, teams, items, sessions, stakeholders, people): the load costs the
# same at both sizes (no look-up per row) and the number written here.
GROWING = {
    "programmes": 16,  # was 24 at 2 programmes and 86 at 10 (7 per programme, 1 per portfolio)
    "rollout roadmap": 17,
    "rollout wave": 13,
    "improvement": 5,  # no PMO feedback round (its cost per round: test_pmo_feedback_tile_...)
    "budgeting": 9,
    "budgeting session": 7,
    "skills": 15,  # one portfolio (its cost per portfolio: test_skills_page_costs_...)
}
DATES = {"start_date": "2027-01-01", "end_date": "2027-06-30"}


def _grow_programmes(ctx: TenantContext, s: dict, a: int, b: int) -> None:
    """A portfolio per call with programmes a..b-1 in it, each with two scored initiatives
    (funded by a published plan), an open risk and allocations of a shared team."""
    from pmo_saas.portfolio.services import risks
    from tests.capacity.helpers import allocate, set_capacity
    from tests.delivery.plan_builders import adopt, set_rag
    from tests.portfolio.builders import make_initiative, make_portfolio, wsjf
    from tests.programmes.helpers import programme

    if "team" not in s:
        s["team"] = _team(ctx, "Shared")
        set_capacity(ctx, s["team"], "2027-Q1", 5, 10)
    pid = make_portfolio(ctx, f"Folio {a}", budget=1_000_000)
    for k in range(a, b):
        ids = [
            make_initiative(ctx, pid, f"P{k} {n}", cost=1_000, scores=wsjf(5, 3, 2, 3), **DATES)
            for n in ("one", "two")
        ]
        programme(ctx, pid, f"Programme {k:02}", ids, budget="1,500")
        with tenant_session(ctx) as session:
            risks.create_risk(
                session=session,
                ctx=ctx,
                portfolio_id=pid,
                data={"title": f"Risk {k}", "probability": 2, "impact": 3, "initiative_id": ids[0]},
            )
        s.setdefault("funded", []).extend(ids)
    adopt(ctx, pid, name=f"Plan {a}")
    for n, iid in enumerate(s.pop("funded")):
        allocate(ctx, iid, s["team"], "2027-Q1", 2)
        if n % 2:
            set_rag(ctx, iid, "amber", "Watch it")


def _load_programmes(ctx: TenantContext, s: dict) -> None:
    from pmo_saas.programmes.services import programmes, rollup

    run(ctx, rollup.list_rollups)
    run(ctx, programmes.portfolio_choices)
    run(ctx, programmes.ungrouped_initiatives)


def _team(ctx: TenantContext, name: str) -> int:
    from tests import factories

    return factories.make_team(ctx, name)


def _grow_roadmap(ctx: TenantContext, s: dict, a: int, b: int) -> None:
    """Waves a..b-1 (the first the pilot), each with a team answered in a closed round and a
    maturity and a culture criterion."""
    from tests.assessments.helpers import answered_round
    from tests.rollout.helpers import criterion, wave

    teams = [_team(ctx, f"Team {k:02}") for k in range(a, b)]
    answered_round(ctx, {t: [(4, 3, 3)] for t in teams}, title=f"Round {a}")
    for k, team in zip(range(a, b), teams, strict=True):
        wid = wave(ctx, f"Wave {k:02}", [team], pilot=k == 0)
        criterion(ctx, wid, kind="exit", metric="maturity", key="flow", threshold=3)
        criterion(ctx, wid, kind="entry", metric="survey", instrument="westrum", threshold=4)


def _load_roadmap(ctx: TenantContext, s: dict) -> None:
    from pmo_saas.rollout.services import comparison, progress, waves

    run(ctx, waves.list_waves)
    run(ctx, progress.roadmap_progress)
    run(ctx, comparison.compare_pilot)


def _grow_wave(ctx: TenantContext, s: dict, a: int, b: int) -> None:
    """One wave; teams a..b-1 join it (answered in a closed round), and criteria a..b-1."""
    from pmo_saas.rollout.services import waves
    from tests.assessments.helpers import answered_round
    from tests.rollout.helpers import criterion, wave

    if "wave" not in s:
        s["wave"] = wave(ctx, "The wave", [], pilot=True)
    teams = [_team(ctx, f"Team {k:02}") for k in range(a, b)]
    answered_round(ctx, {t: [(4, 3, 3)] for t in teams}, title=f"Round {a}")
    with tenant_session(ctx) as session:
        for team in teams:
            waves.add_wave_team(session=session, ctx=ctx, wave_id=s["wave"], team_id=team)
    for k in range(a, b):
        metric = {"metric": "maturity", "key": "flow"} if k % 2 else {"metric": "survey"}
        criterion(ctx, s["wave"], kind="exit", threshold=k % 5 + 1, instrument="westrum", **metric)


def _load_wave(ctx: TenantContext, s: dict) -> None:
    from pmo_saas.rollout.services import progress, waves

    run(ctx, waves.wave_detail, wave_id=s["wave"])
    run(ctx, progress.wave_progress, wave_id=s["wave"])
    run(ctx, waves.criterion_choices)


def _grow_improvement(ctx: TenantContext, s: dict, a: int, b: int) -> None:
    """Items a..b-1 from retrospectives, each owned by a member of its own."""
    from pmo_saas.improvement import services
    from pmo_saas.improvement.models import FROM_RETRO
    from tests import factories

    for k in range(a, b):
        owner = factories.make_member(ctx, name=f"Owner {k}")
        with tenant_session(ctx) as session:
            services.raise_item(
                session=session,
                ctx=ctx,
                title=f"Item {k}",
                source=FROM_RETRO,
                retro=f"Retro {k}",
                owner_user_id=owner.user_id,
            )


def _load_improvement(ctx: TenantContext, s: dict) -> None:
    from pmo_saas.improvement import services
    from pmo_saas.surveys.services import pmo_feedback

    run(ctx, services.list_items)
    run(ctx, services.owner_choices)
    run(ctx, pmo_feedback.pmo_feedback_rounds)
    run(ctx, pmo_feedback.pmo_feedback_trend)


def _budget_portfolio(ctx: TenantContext, s: dict, streams: int) -> int:
    from tests.portfolio.builders import make_initiative, make_portfolio

    if "portfolio" not in s:
        s["portfolio"], s["streams"] = make_portfolio(ctx, "Budgets"), 0
    for k in range(s["streams"], streams):
        make_initiative(ctx, s["portfolio"], f"Stream {k} work", value_stream=f"Stream {k:02}")
    s["streams"] = max(s["streams"], streams)
    return s["portfolio"]


def _grow_budgeting(ctx: TenantContext, s: dict, a: int, b: int) -> None:
    """Sessions a..b-1 over two value streams, each with a stakeholder who has allocated."""
    from tests import factories
    from tests.portfolio.builders import allocate, make_budget_session

    pid = _budget_portfolio(ctx, s, 2)
    for k in range(a, b):
        who = factories.make_member(ctx, name=f"Stakeholder {k}")
        sid = make_budget_session(ctx, pid, [who], name=f"Split {k:02}")
        allocate(who, sid, {_option_keys(ctx, sid)[0]: 100})


def _option_keys(ctx: TenantContext, sid: int) -> list[str]:
    from pmo_saas.portfolio.services import budgeting

    return [o.key for o in run(ctx, budgeting.budget_session, budget_session_id=sid).options]


def _load_budgeting(ctx: TenantContext, s: dict) -> None:
    from pmo_saas.portfolio import views
    from pmo_saas.portfolio.services import budgeting, portfolios

    run(ctx, portfolios.get_portfolio, portfolio_id=s["portfolio"])
    run(ctx, budgeting.list_budget_sessions, portfolio_id=s["portfolio"])
    run(ctx, views.scorer_choices)


def _grow_budget_session(ctx: TenantContext, s: dict, a: int, b: int) -> None:
    """A new session over b value streams with b stakeholders, every one allocated."""
    from tests import factories
    from tests.portfolio.builders import allocate, make_budget_session

    pid = _budget_portfolio(ctx, s, b)
    people = s.setdefault("people", [])
    people += [factories.make_member(ctx, name=f"Stakeholder {k}") for k in range(a, b)]
    s["session"] = make_budget_session(ctx, pid, people, name=f"Split of {b}")
    keys = _option_keys(ctx, s["session"])
    for n, who in enumerate(people):
        allocate(who, s["session"], {keys[n % len(keys)]: 60, keys[(n + 1) % len(keys)]: 40})


def _load_budget_session(ctx: TenantContext, s: dict) -> None:
    from pmo_saas.portfolio.services import budgeting

    run(ctx, budgeting.budget_session, budget_session_id=s["session"])


def _grow_skills(ctx: TenantContext, s: dict, a: int, b: int) -> None:
    """People a..b-1 with skills, each in a team of their own with capacity, allocated to a
    funded initiative (of one portfolio) that needs skills."""
    from pmo_saas.capacity.services import skills
    from pmo_saas.portfolio.services import funding
    from tests import factories
    from tests.capacity.helpers import allocate, set_capacity
    from tests.portfolio.builders import make_initiative, make_portfolio

    if "portfolio" not in s:
        s["portfolio"] = make_portfolio(ctx, f"Skills {a}")
    pid = s["portfolio"]
    ids = [
        make_initiative(ctx, pid, f"Need {k}", value_stream=f"VS {k}", cost=100, moscow="must")
        for k in range(a, b)
    ]
    with tenant_session(ctx) as session:  # a newer plan funds every initiative so far
        scenario = funding.create_scenario(
            session=session, ctx=ctx, portfolio_id=pid, name=f"Plan {b}", budget=100 * b
        )
        funding.publish_scenario(session=session, ctx=ctx, scenario_id=scenario)
    for k, iid in zip(range(a, b), ids, strict=True):
        who = factories.make_member(ctx, name=f"Person {k}")
        team = factories.make_team(ctx, f"Team {k:02}", members=[who])
        set_capacity(ctx, team, "2027-Q1", 1, 10, f"VS {k}")
        allocate(ctx, iid, team, "2027-Q1", 5)
        with tenant_session(ctx) as session:
            skills.set_member_skills(
                session=session, ctx=ctx, user_id=who.user_id or 0, skills=f"python, s{k}"
            )
            skills.set_initiative_skills(
                session=session, ctx=ctx, initiative_id=iid, needs={"python": 1, f"s{k}": 2}
            )


def _load_skills(ctx: TenantContext, s: dict) -> None:
    from pmo_saas.capacity.services import allocations, skills

    run(ctx, skills.skills_view)
    run(ctx, allocations.funded_choices)


GROWING_PAGES: dict[str, tuple[Callable[..., None], Callable[..., None]]] = {
    "programmes": (_grow_programmes, _load_programmes),
    "rollout roadmap": (_grow_roadmap, _load_roadmap),
    "rollout wave": (_grow_wave, _load_wave),
    "improvement": (_grow_improvement, _load_improvement),
    "budgeting": (_grow_budgeting, _load_budgeting),
    "budgeting session": (_grow_budget_session, _load_budget_session),
    "skills": (_grow_skills, _load_skills),
}


@pytest.mark.parametrize("page", list(GROWING_PAGES))
def test_a_newer_page_load_costs_the_same_at_2_and_at_10_rows(page):
    from tests import factories

    grow, load = GROWING_PAGES[page]
    ctx, built = factories.make_org(f"Counted {page}"), {}
    found = []
    for a, b in ((0, 2), (2, 10)):
        grow(ctx, built, a, b)
        with counted() as statements:
            load(ctx, built)
        found.append(len(statements))
    assert found == [GROWING[page]] * 2, f"{page}: {found} statements at 2 and at 10 rows"


# The skills page's choice of funded initiatives reads each portfolio's published plans
# (capacity's portfolio_link.funded_initiatives): a fixed cost per portfolio, held here.
SKILLS_PER_PORTFOLIO = 4


def test_skills_page_costs_a_fixed_number_of_statements_per_portfolio():
    from tests import factories

    ctx, found = factories.make_org("Counted skills portfolios"), []
    for n in (1, 2, 3):
        _grow_skills(ctx, {}, 2 * n, 2 * n + 2)  # a portfolio of its own each time
        with counted() as statements:
            _load_skills(ctx, {})
        found.append(len(statements))
    assert found == [GROWING["skills"] + (n - 1) * SKILLS_PER_PORTFOLIO for n in (1, 2, 3)], found
