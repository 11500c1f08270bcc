"""Adopted vs the rest: mean maturity from the raw answers of the latest closed round, with the
team count of each figure, and nothing shown for a group below the threshold."""

from __future__ import annotations

import pytest

from pmo_saas.db import tenant_session
from pmo_saas.kernel.errors import Forbidden
from pmo_saas.kernel.roles import Role
from pmo_saas.practices.services import adoption, comparison, playbook
from tests import factories
from tests.assessments import helpers


def _practice(ctx, title):
    with tenant_session(ctx) as session:
        return playbook.publish_practice(session=session, ctx=ctx, title=title)


def _adopt(ctx, pid, team, status="adopted"):
    with tenant_session(ctx) as session:
        adoption.record_adoption(
            session=session, ctx=ctx, practice_id=pid, team_id=team, status=status, note="ours"
        )


def _compare(ctx):
    with tenant_session(ctx) as session:
        return comparison.compare_practices(session=session, ctx=ctx)


def test_means_from_raw_answers_with_team_counts(org_a):
    teams = [factories.make_team(org_a, f"T{i}") for i in range(6)]
    pid = _practice(org_a, "Daily stand-up")
    none_yet = _practice(org_a, "Nobody uses this")
    for t in teams[:3]:
        _adopt(org_a, pid, t, "adopted" if t != teams[2] else "adapted")
    _adopt(org_a, none_yet, teams[0], "trying")  # trying is not "adopted"
    # Adopted teams T0..T2; T0 has two people.
    #   T0: (5,5,4) (4,4,4) -> 26 over 6 answers; T1: (4,4,3) -> 11; T2: (3,4,5) -> 12
    #   adopted: 49 / 12 answers = 4.0833...
    #   rest T3: (2,2,2) -> 6; T4: (3,2,1) -> 6; T5: (1,2,3) -> 6: 18 / 9 = 2.0
    rid = helpers.answered_round(
        org_a,
        {
            teams[0]: [(5, 5, 4), (4, 4, 4)],
            teams[1]: [(4, 4, 3)],
            teams[2]: [(3, 4, 5)],
            teams[3]: [(2, 2, 2)],
            teams[4]: [(3, 2, 1)],
            teams[5]: [(1, 2, 3)],
        },
    )
    result = _compare(org_a)
    assert result.round_id == rid and result.threshold == 3
    by_title = {p.title: p for p in result.practices}
    stand_up = by_title["Daily stand-up"]
    assert stand_up.shown
    assert stand_up.adopted.teams == 3 and stand_up.adopted.answers == 12
    assert stand_up.adopted.mean == pytest.approx(49 / 12)
    assert stand_up.rest.teams == 3 and stand_up.rest.answers == 9
    assert stand_up.rest.mean == pytest.approx(2.0)
    # Nobody adopted it: a group of 0 teams next to 6 hides both figures.
    nobody = by_title["Nobody uses this"]
    assert not nobody.shown and nobody.adopted.mean is None and nobody.rest.mean is None
    assert (nobody.adopted.teams, nobody.rest.teams) == (0, 6)
    # Playbook order (by title), never ranked by the figures.
    assert [p.title for p in result.practices] == ["Daily stand-up", "Nobody uses this"]


def test_a_group_below_the_threshold_hides_both_figures(org_a):
    teams = [factories.make_team(org_a, f"T{i}") for i in range(5)]
    pid = _practice(org_a, "Retrospective")
    for t in teams[:2]:
        _adopt(org_a, pid, t)
    helpers.answered_round(org_a, {t: [(3, 3, 3)] for t in teams})
    row = _compare(org_a).practices[0]
    assert not row.shown
    assert (row.adopted.teams, row.rest.teams) == (2, 3)
    assert row.adopted.mean is None and row.rest.mean is None
    assert "at least 3 teams" in row.reason


def test_only_the_latest_closed_round_counts_and_only_coaches_see_it(org_a):
    teams = [factories.make_team(org_a, f"T{i}") for i in range(6)]
    pid = _practice(org_a, "Timeboxing")
    for t in teams[:3]:
        _adopt(org_a, pid, t)
    assert _compare(org_a).round_id is None
    helpers.answered_round(org_a, {t: [(1, 1, 1)] for t in teams}, title="Old")
    latest = helpers.answered_round(
        org_a, {t: [(5, 5, 5) if t in teams[:3] else (2, 2, 2)] for t in teams}, title="New"
    )
    row = _compare(org_a)
    assert row.round_id == latest and row.round_title == "New"
    assert row.practices[0].adopted.mean == pytest.approx(5.0)
    assert row.practices[0].rest.mean == pytest.approx(2.0)
    with pytest.raises(Forbidden):
        _compare(helpers.person(org_a, Role.MEMBER))


def test_another_organisations_adoption_and_answers_never_count(org_a, org_b):
    teams = [factories.make_team(org_a, f"T{i}") for i in range(6)]
    pid = _practice(org_a, "Pairing")
    for t in teams[:3]:
        _adopt(org_a, pid, t)
    helpers.answered_round(org_a, {t: [(4, 4, 4)] for t in teams})
    b_teams = [factories.make_team(org_b, f"B{i}") for i in range(6)]
    helpers.answered_round(org_b, {t: [(1, 1, 1)] for t in b_teams})
    row = _compare(org_a).practices[0]
    assert row.adopted.mean == pytest.approx(4.0) and row.rest.mean == pytest.approx(4.0)
    assert _compare(org_b).practices == []
