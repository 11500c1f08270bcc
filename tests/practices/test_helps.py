"""Practice links: the practices that help a dimension (for coaching goals and assessment
results), with one team's adoption state; another organisation's team is not found."""

from __future__ import annotations

import pytest

from pmo_saas.db import tenant_session
from pmo_saas.kernel.errors import NotFound
from pmo_saas.practices.services import adoption, playbook
from tests import factories


def _publish(ctx, title, keys):
    with tenant_session(ctx) as session:
        return playbook.publish_practice(
            session=session, ctx=ctx, title=title, purpose="p", dimension_keys=keys
        )


def test_practices_for_dimensions_carry_the_teams_adoption(org_a):
    team = factories.make_team(org_a, "Team One")
    wip = _publish(org_a, "WIP limits", ["flow"])
    _publish(org_a, "Daily stand-up", ["flow", "team_practices"])
    _publish(org_a, "Retrospective", ["team_practices"])
    with tenant_session(org_a) as session:
        adoption.record_adoption(
            session=session, ctx=org_a, practice_id=wip, team_id=team, status="adopted"
        )
        found = playbook.helping_practices(
            session=session, ctx=org_a, dimension_keys=["flow"], team_id=team
        )
        page = playbook.helps_page(session=session, ctx=org_a, dimension_key="flow", team_id=team)
        no_team = playbook.helping_practices(
            session=session, ctx=org_a, dimension_keys=["flow", "team_practices"], team_id=None
        )
    assert [(p.title, p.status_label) for p in found] == [
        ("Daily stand-up", "Not started"),
        ("WIP limits", "Adopted"),
    ]
    assert page.team_name == "Team One" and len(page.practices) == 2
    assert len(no_team) == 4 and {p.status_label for p in no_team} == {""}


def test_another_orgs_team_or_practices_are_not_reachable(org_a, org_b):
    team = factories.make_team(org_a, "Team One")
    _publish(org_a, "WIP limits", ["flow"])
    with tenant_session(org_b) as session:
        with pytest.raises(NotFound):
            playbook.helping_practices(
                session=session, ctx=org_b, dimension_keys=["flow"], team_id=team
            )
        assert (
            playbook.helping_practices(
                session=session, ctx=org_b, dimension_keys=["flow"], team_id=None
            )
            == []
        )
