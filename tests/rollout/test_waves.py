"""The roadmap: waves in order, their teams (one wave each) and criteria; who may change it;
another organisation's waves and teams are never reachable."""

from __future__ import annotations

import pytest

from pmo_saas.db import tenant_session
from pmo_saas.kernel.errors import Conflict, Forbidden, NotFound, ValidationFailed
from pmo_saas.kernel.roles import Role
from pmo_saas.rollout.services import progress, waves
from tests import factories
from tests.assessments import helpers as assessment_helpers
from tests.rollout.helpers import criterion, wave


def _list(ctx):
    with tenant_session(ctx) as session:
        return waves.list_waves(session=session, ctx=ctx)


def test_waves_keep_roadmap_order_with_teams_and_worded_criteria(org_a):
    alpha, beta = factories.make_team(org_a, "Alpha"), factories.make_team(org_a, "Beta")
    pilot = wave(org_a, "Pilot", [beta, alpha], pilot=True)
    first = wave(org_a, "Wave 1", [])
    criterion(org_a, pilot, kind="exit", metric="maturity", key="flow", threshold=3)
    criterion(org_a, pilot, kind="entry", metric="survey", instrument="westrum", threshold="4.5")
    rows = _list(org_a)
    assert [(r.id, r.title, r.position, r.is_pilot) for r in rows] == [
        (pilot, "Pilot", 1, True),
        (first, "Wave 1", 2, False),
    ]
    assert rows[0].team_names == ["Alpha", "Beta"] and rows[0].starts_on == "2027-01-04"
    assert [c.text for c in rows[0].criteria] == [
        "Entry: Westrum organisational culture score >= 4.50",
        "Exit: maturity >= 3.00 in Flow & delivery",
    ]


def test_a_team_is_in_one_wave_and_input_is_checked(org_a):
    team = factories.make_team(org_a, "Alpha")
    pilot = wave(org_a, "Pilot", [team])
    other = wave(org_a, "Wave 1", [])
    with tenant_session(org_a) as session, pytest.raises(Conflict, match="already in"):
        waves.add_wave_team(session=session, ctx=org_a, wave_id=other, team_id=team)
    with pytest.raises(Conflict):
        wave(org_a, "pilot", [])  # the same title, whatever the case
    bad = [
        {"kind": "midway", "metric": "maturity"},
        {"kind": "exit", "metric": "velocity"},
        {"kind": "exit", "metric": "maturity", "operator": "=="},
        {"kind": "exit", "metric": "maturity", "threshold": "nan"},
        {"kind": "exit", "metric": "maturity", "threshold": "three"},
        {"kind": "exit", "metric": "maturity", "key": "no-such-dimension"},
        {"kind": "exit", "metric": "survey", "instrument": "custom"},
        {"kind": "exit", "metric": "survey", "instrument": "westrum", "key": "nope"},
    ]
    for kw in bad:
        with pytest.raises(ValidationFailed):
            criterion(org_a, pilot, **kw)
    with tenant_session(org_a) as session, pytest.raises(ValidationFailed):
        waves.create_wave(
            session=session, ctx=org_a, title="Late", starts_on="2027-02-01", ends_on="2027-01-01"
        )


def test_members_read_the_roadmap_but_only_coaches_plan_it_or_see_progress(org_a):
    team = factories.make_team(org_a, "Alpha")
    pilot = wave(org_a, "Pilot", [team])
    member = assessment_helpers.person(org_a)
    viewer = assessment_helpers.person(org_a, Role.VIEWER)
    assert [r.title for r in _list(viewer)] == ["Pilot"]
    with tenant_session(member) as session:
        with pytest.raises(Forbidden):
            waves.create_wave(session=session, ctx=member, title="Mine")
        with pytest.raises(Forbidden):
            waves.add_criterion(
                session=session, ctx=member, wave_id=pilot, kind="exit", metric="maturity"
            )
        with pytest.raises(Forbidden):
            progress.wave_progress(session=session, ctx=member, wave_id=pilot)
    coach = assessment_helpers.person(org_a, Role.COACH)
    with tenant_session(coach) as session:
        assert progress.wave_progress(session=session, ctx=coach, wave_id=pilot).teams


def test_another_organisation_cannot_reach_waves_or_bring_its_teams(org_a, org_b):
    mine = wave(org_a, "Pilot", [factories.make_team(org_a, "Alpha")])
    cid = criterion(org_a, mine, kind="exit", metric="maturity", threshold=2)
    theirs = factories.make_team(org_b, "Theirs")
    b_wave = wave(org_b, "B pilot", [])
    assert [r.title for r in _list(org_b)] == ["B pilot"]
    with tenant_session(org_b) as session:
        for call in (
            lambda: waves.wave_detail(session=session, ctx=org_b, wave_id=mine),
            lambda: progress.wave_progress(session=session, ctx=org_b, wave_id=mine),
            lambda: waves.add_wave_team(session=session, ctx=org_b, wave_id=mine, team_id=theirs),
            lambda: waves.delete_wave(session=session, ctx=org_b, wave_id=mine),
            lambda: waves.remove_criterion(session=session, ctx=org_b, criterion_id=cid),
        ):
            with pytest.raises(NotFound):
                call()
    with tenant_session(org_a) as session, pytest.raises(NotFound):  # B's team in A's wave
        waves.add_wave_team(session=session, ctx=org_a, wave_id=mine, team_id=theirs)
    with tenant_session(org_a) as session, pytest.raises(NotFound):
        waves.add_wave_team(session=session, ctx=org_a, wave_id=b_wave, team_id=theirs)
    assert [c.id for c in _list(org_a)[0].criteria] == [cid]


def test_deleting_a_wave_frees_its_teams(org_a):
    team = factories.make_team(org_a, "Alpha")
    pilot = wave(org_a, "Pilot", [team])
    criterion(org_a, pilot, kind="exit", metric="maturity", threshold=2)
    with tenant_session(org_a) as session:
        waves.delete_wave(session=session, ctx=org_a, wave_id=pilot)
    assert _list(org_a) == []
    wave(org_a, "Wave 1", [team])  # free again
