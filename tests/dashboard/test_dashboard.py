"""Dashboard tiles: figures from the database, scoped to the organisation, anonymity kept."""

from __future__ import annotations

import pytest
from sqlmodel import func, select

from pmo_saas.dashboard import services, share, tiles
from pmo_saas.db import system_session, tenant_session
from pmo_saas.identity import services as identity
from pmo_saas.identity.models import Organization, TeamMember, User
from pmo_saas.kernel.errors import NotFound
from pmo_saas.kernel.roles import Role
from pmo_saas.portfolio.models import Initiative, Risk
from pmo_saas.portfolio.services import risks as risk_services
from pmo_saas.seed import DEMO_OWNER, DEMO_SLUG, seed_demo
from pmo_saas.surveys import services as surveys
from tests import factories
from tests.dashboard.helpers import make_portfolio
from tests.surveys.helpers import (
    close,
    email_of,
    launch,
    links_from_outbox,
    team_with,
    westrum_answers,
)


def _dashboard(ctx):
    with tenant_session(ctx) as session:
        return services.build_dashboard(session=session, ctx=ctx)


@pytest.fixture
def demo():
    seed_demo()
    with system_session() as session:
        owner = session.exec(select(User.id).where(User.email == DEMO_OWNER)).one()
    return identity.workspace_context(user_id=owner, slug=DEMO_SLUG)


def test_demo_dashboard_matches_the_database_and_ignores_other_orgs(demo, org_b):
    make_portfolio(org_b, "Other", initiatives=4)  # must not show up in the demo's figures
    d = _dashboard(demo)
    with system_session() as session:
        initiatives = session.exec(
            select(Initiative.status, func.count())
            .where(Initiative.org_id == demo.org_id, Initiative.archived_at.is_(None))  # type: ignore[union-attr]
            .group_by(Initiative.status)
        ).all()
        open_risks = session.exec(
            select(func.count()).where(Risk.org_id == demo.org_id, Risk.status != "closed")
        ).one()
        people = session.exec(
            select(func.count(func.distinct(TeamMember.user_id))).where(
                TeamMember.org_id == demo.org_id
            )
        ).one()
    by_status = dict(initiatives)
    assert d.statuses.total == sum(by_status.values())
    assert {r.label.lower(): r.count for r in d.statuses.rows if r.count} == by_status
    assert d.risks.open_risks == open_risks
    assert d.risks.rows == sorted(d.risks.rows, key=lambda r: -r.exposure)
    assert d.training.people == people
    assert d.funding.budget > 0 and 0 < d.funding.budget_used_percent <= 100
    assert d.maturity.points and d.maturity.dimensions
    assert d.teams_assessed.teams == 3
    assert d.culture.figures and d.culture.figures[0].value is not None
    assert d.response_rates.rows
    assert d.plans.active == d.plans.on_track + d.plans.overdue
    # Every tile links to its source page.
    for name, source in tiles.SOURCES.items():
        assert getattr(d, name).href == f"/o/{DEMO_SLUG}{source}"
    # And org B sees only its own.
    other = _dashboard(org_b)
    assert other.statuses.total == 4
    assert other.risks.open_risks == 0 and other.maturity.points == []
    assert other.culture.figures == [] and other.plans.active == 0
    _assert_one_query_per_tile(demo)


def _assert_one_query_per_tile(demo):
    from sqlalchemy import event

    with tenant_session(demo) as session:
        for name, tile in tiles.TILES.items():
            if name == "culture":  # the surveys service computes the figures (anonymity rules)
                continue
            statements: list[str] = []

            def count(*args, statements=statements):  # type: ignore[no-untyped-def]
                statements.append(args[2])

            conn = session.connection()
            event.listen(conn, "before_cursor_execute", count)
            try:
                tile(session, demo)
            finally:
                event.remove(conn, "before_cursor_execute", count)
            assert len(statements) == 1, (name, statements)


def test_viewers_read_the_dashboard(org_a):
    make_portfolio(org_a, initiatives=3)
    viewer = factories.make_member(org_a, Role.VIEWER)
    assert _dashboard(viewer).statuses.total == _dashboard(org_a).statuses.total == 3


def test_culture_figures_keep_the_survey_anonymity_rules(org_a):
    team, members = team_with(org_a, "Small", 6)
    survey_id = launch(org_a, [team])
    links = links_from_outbox(org_a)
    for m in members[:2]:  # fewer than the group minimum of 5
        surveys.submit_response(token=links[email_of(m)][0], answers=westrum_answers(7))
    close(org_a, survey_id)
    [figure] = _dashboard(org_a).culture.figures
    assert figure.value is None and "fewer than" in figure.hidden_reason.lower()
    assert figure.trend == []
    # Participation (not answers) is still shown.
    [rate] = _dashboard(org_a).response_rates.rows
    assert (rate.invited, rate.answered, rate.rate) == (6, 2, 33.3)


def test_csv_exports_each_table(org_a):
    make_portfolio(org_a, initiatives=3)
    demo = org_a
    with tenant_session(demo) as session:
        statuses = services.export_dashboard_csv(session=session, ctx=demo, table="statuses")
        risks = services.export_dashboard_csv(session=session, ctx=demo, table="risks")
        summary = services.export_dashboard_csv(session=session, ctx=demo, table="summary")
        maturity = services.export_dashboard_csv(session=session, ctx=demo, table="maturity")
        with pytest.raises(NotFound):
            services.export_dashboard_csv(session=session, ctx=demo, table="users")
    assert statuses.splitlines()[0] == "status,initiatives"
    assert len(statuses.splitlines()) == 7
    assert risks.splitlines()[0].startswith("risk,initiative,exposure")
    assert "open risks" in summary and maturity.startswith("round")
    assert "Growth initiative" not in statuses  # figures only


def test_csv_neutralises_formulas(org_a):
    portfolio_id = make_portfolio(org_a, initiatives=0)
    with tenant_session(org_a) as session:
        risk_services.create_risk(
            session=session,
            ctx=org_a,
            portfolio_id=portfolio_id,
            data={"title": "=HYPERLINK(1)", "probability": 3, "impact": 3},
        )
        text = services.export_dashboard_csv(session=session, ctx=org_a, table="risks")
    assert "'=HYPERLINK(1)" in text


def test_share_link_dashboard_has_no_links(org_a):
    make_portfolio(org_a, initiatives=3)
    demo = org_a
    with tenant_session(demo) as session:
        created = share.create_share_link(session=session, ctx=demo, label="Board")
    shared = share.shared_dashboard(token=created.token)
    assert shared.statuses.total == _dashboard(demo).statuses.total
    assert all(getattr(shared, name).href == "" for name in tiles.SOURCES)
    with system_session() as session:
        name = session.exec(select(Organization.name).where(Organization.id == demo.org_id)).one()
    assert shared.org_name == name


def test_maturity_trend_is_exact_and_skips_rounds_with_too_few_people(org_a):
    from tests.coaching import helpers as coaching_helpers

    people = [coaching_helpers.person(org_a, Role.MEMBER, f"P{n}") for n in range(3)]
    team = factories.make_team(org_a, "Alpha", members=people)
    model_id = coaching_helpers.model(org_a)

    def ratings(flow: int) -> dict[str, int]:
        return {"F1": flow, "F2": flow + 1, "Q1": 3, "T1": 4}

    answers = {p.user_id: ratings(n + 1) for n, p in enumerate(people)}
    coaching_helpers.answered_round(
        org_a, model_id, team, answers, people=people[:2], title="Too small"
    )
    assert _dashboard(org_a).maturity.points == []
    coaching_helpers.answered_round(org_a, model_id, team, answers, people=people, title="Spring")
    maturity = _dashboard(org_a).maturity
    [point] = maturity.points
    # Flow: the mean of every answer (1,2 / 2,3 / 3,4), not a mean of per-person means.
    assert point.label == "Spring" and point.values == {
        "Flow": 2.5,
        "Quality": 3.0,
        "Teamwork": 4.0,
    }
    assert maturity.dimensions == ["Flow", "Quality", "Teamwork"]
    assert _dashboard(org_a).teams_assessed.assessed == 1
