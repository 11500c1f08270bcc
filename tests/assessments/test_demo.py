"""The demo organisation's two past rounds."""

from __future__ import annotations

from sqlalchemy import delete, func
from sqlmodel import col, select

from pmo_saas.assessments.demo import seed_demo_assessments
from pmo_saas.assessments.models import AssessmentAnswer
from pmo_saas.assessments.services import results
from pmo_saas.assessments.services import rounds as round_services
from pmo_saas.db import system_session, tenant_session
from pmo_saas.identity.models import Organization
from pmo_saas.kernel.context import TenantContext
from pmo_saas.kernel.roles import Role
from tests import factories
from tests.assessments import helpers


def test_demo_rounds(org_a: TenantContext) -> None:
    people = {name: [helpers.person(org_a, Role.MEMBER) for _ in range(3)] for name in "AB"}
    teams = {
        name: factories.make_team(org_a, f"Team {name}", members=p) for name, p in people.items()
    }
    respondents = {teams[n]: [p.user_id or 0 for p in people[n]] for n in teams}
    for _ in range(2):  # idempotent
        with tenant_session(org_a) as session:
            seed_demo_assessments(
                session=session,
                ctx=org_a,
                team_ids=list(teams.values()),
                respondent_user_ids=respondents,
            )
    with tenant_session(org_a) as session:
        rounds = round_services.list_rounds(session=session, ctx=org_a)
        assert [r.status for r in rounds] == ["closed", "closed"]
        latest, first = rounds
        team = teams["A"]
        result = results.team_result(session=session, ctx=org_a, round_id=latest.id, team_id=team)
        focus = results.focus_dimensions(
            session=session, ctx=org_a, round_id=latest.id, team_id=team
        )
        previous = results.latest_closed_round_for_team(
            session=session, ctx=org_a, team_id=team, before_round_id=latest.id
        )
    assert previous is not None and previous.id == first.id
    assert result.previous_round_id == first.id and result.respondents == 3
    assert all(d.mean is not None and d.change is not None for d in result.dimensions)
    assert len(focus) == 1


def test_deleting_an_organisation_removes_its_assessments(org_a: TenantContext) -> None:
    people = [helpers.person(org_a, Role.MEMBER) for _ in range(2)]
    team = factories.make_team(org_a, "Team A", members=people)
    with tenant_session(org_a) as session:
        seed_demo_assessments(
            session=session,
            ctx=org_a,
            team_ids=[team],
            respondent_user_ids={team: [p.user_id or 0 for p in people]},
        )
    with system_session() as session:
        session.execute(delete(Organization).where(col(Organization.id) == org_a.org_id))
    with system_session() as session:
        assert session.exec(select(func.count()).select_from(AssessmentAnswer)).one() == 0
