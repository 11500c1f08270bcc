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
