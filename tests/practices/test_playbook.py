"""The playbook: publishing, versions, starter practices, dimensions, adoption and its matrix,
and the other organisation kept out of all of it."""

from __future__ import annotations

import pytest

from pmo_saas.db import tenant_session
from pmo_saas.kernel.errors import Forbidden, NotFound, ValidationFailed
from pmo_saas.kernel.roles import Role
from pmo_saas.practices.services import adoption, playbook
from tests import factories
from tests.assessments.helpers import person


def _publish(ctx, title="Definition of Ready", **kw):
    with tenant_session(ctx) as session:
        return playbook.publish_practice(
            session=session,
            ctx=ctx,
            title=title,
            purpose=kw.pop("purpose", "Start only ready work."),
            how_to=kw.pop("how_to", "- agree it\n- check it"),
            dimension_keys=kw.pop("dimension_keys", ["flow"]),
            **kw,
        )


def _detail(ctx, practice_id):
    with tenant_session(ctx) as session:
        return playbook.practice_detail(session=session, ctx=ctx, practice_id=practice_id)


def test_an_edit_keeps_the_previous_version_readable(org_a):
    pid = _publish(org_a)
    with tenant_session(org_a) as session:
        number = playbook.update_practice(
            session=session,
            ctx=org_a,
            practice_id=pid,
            title="Definition of Ready",
            purpose="Start only work the team understands.",
            how_to="1. write it down",
            framework="scrum",
            owner_user_id=org_a.user_id,
            dimension_keys=["flow", "product_ownership"],
        )
    assert number == 2
    detail = _detail(org_a, pid)
    assert detail.practice.version == 2
    assert detail.practice.purpose == "Start only work the team understands."
    assert detail.practice.dimension_names == ["Flow & delivery", "Product ownership & value"]
    assert detail.versions[1].dimension_names == ["Flow & delivery"]
    assert [v.number for v in detail.versions] == [2, 1]
    assert detail.versions[1].purpose == "Start only ready work."
    assert detail.versions[1].how_to == "- agree it\n- check it"
    assert detail.versions[0].edited_by == "Org A Owner"


def test_only_coaches_publish_and_dimensions_must_exist(org_a):
    member = person(org_a, Role.MEMBER)
    with pytest.raises(Forbidden):
        _publish(member)
    with pytest.raises(ValidationFailed, match="Unknown assessment dimension"):
        _publish(org_a, dimension_keys=["no_such_dimension"])
    coach = person(org_a, Role.COACH)
    assert _publish(coach, title="Pairing") > 0


def test_starter_practices_are_added_once_and_editable(org_a):
    with tenant_session(org_a) as session:
        added = playbook.add_starter_practices(session=session, ctx=org_a)
        again = playbook.add_starter_practices(session=session, ctx=org_a)
        titles = [p.title for p in playbook.list_practices(session=session, ctx=org_a)]
    assert added == 6 and again == 0
    for title in ("Definition of Done", "MoSCoW per timebox", "Daily stand-up", "Timeboxing"):
        assert title in titles
    with tenant_session(org_a) as session:
        dod = next(p for p in playbook.list_practices(session=session, ctx=org_a) if p.builtin)
        playbook.update_practice(
            session=session,
            ctx=org_a,
            practice_id=dod.id,
            title=dod.title,
            purpose="Our own words.",
            how_to="ours",
            framework=dod.framework,
            owner_user_id=None,
            dimension_keys=dod.dimension_keys,
        )
    assert _detail(org_a, dod.id).practice.purpose == "Our own words."


def test_practices_that_help_a_dimension(org_a, org_b):
    _publish(org_a, title="WIP limits", dimension_keys=["flow"])
    _publish(org_a, title="Pairing", dimension_keys=["technical_excellence"])
    _publish(org_b, title="Their flow practice", dimension_keys=["flow"])
    with tenant_session(org_a) as session:
        rows = playbook.practices_for_dimension(session=session, ctx=org_a, dimension_key="flow")
    assert [r.title for r in rows] == ["WIP limits"]


def _record(ctx, pid, team, status, note=""):
    with tenant_session(ctx) as session:
        return adoption.record_adoption(
            session=session, ctx=ctx, practice_id=pid, team_id=team, status=status, note=note
        )


def test_team_members_and_coaches_record_adoption(org_a):
    pid = _publish(org_a)
    member = person(org_a, Role.MEMBER)
    outsider = person(org_a, Role.MEMBER)
    viewer = person(org_a, Role.VIEWER)
    mine = factories.make_team(org_a, "Mine", [member])
    other = factories.make_team(org_a, "Other")
    row = _record(member, pid, mine, "adapted", "We hold it at the board, twice a week.")
    assert row.status_label == "Adapted"
    with pytest.raises(Forbidden):
        _record(outsider, pid, mine, "trying")
    with pytest.raises(Forbidden):
        _record(viewer, pid, mine, "trying")
    with pytest.raises(Forbidden):
        _record(member, pid, other, "trying")
    with pytest.raises(ValidationFailed, match="how the team adapted"):
        _record(org_a, pid, other, "adapted", "")
    with pytest.raises(ValidationFailed):
        _record(org_a, pid, other, "done")
    _record(person(org_a, Role.COACH), pid, other, "trying")
    detail = _detail(org_a, pid)
    assert [(a.team_name, a.status, a.note) for a in detail.adoption] == [
        ("Mine", "adapted", "We hold it at the board, twice a week."),
        ("Other", "trying", ""),
    ]
    assert detail.practice.adopted_teams == 1
    with tenant_session(org_a) as session:
        matrix = adoption.adoption_matrix(session=session, ctx=org_a)
        text = adoption.export_adoption_csv(session=session, ctx=org_a)
    assert [[c.status for c in r.cells] for r in matrix.rows] == [["adapted"], ["trying"]]
    assert text.splitlines() == ["team,Definition of Ready", "Mine,Adapted", "Other,Trying"]


def test_csv_cells_that_look_like_formulas_are_neutralised(org_a):
    _publish(org_a, title="=HYPERLINK(1)")
    factories.make_team(org_a, "@team")
    with tenant_session(org_a) as session:
        text = adoption.export_adoption_csv(session=session, ctx=org_a)
    assert text.splitlines() == ["team,'=HYPERLINK(1)", "'@team,Not started"]


def test_another_organisation_cannot_read_or_change_practices(org_a, org_b):
    pid = _publish(org_a)
    team_a = factories.make_team(org_a, "A team")
    team_b = factories.make_team(org_b, "B team")
    with pytest.raises(NotFound):
        _detail(org_b, pid)
    with pytest.raises(NotFound), tenant_session(org_b) as session:
        playbook.update_practice(
            session=session,
            ctx=org_b,
            practice_id=pid,
            title="Hijacked",
            purpose="",
            how_to="",
            framework="general",
            owner_user_id=None,
            dimension_keys=[],
        )
    with pytest.raises(NotFound):
        _record(org_b, pid, team_b, "adopted")
    their = _publish(org_b, title="Theirs")
    with pytest.raises(NotFound):
        _record(org_a, their, team_b, "adopted")
    with pytest.raises(NotFound):
        _record(org_a, their, team_a, "adopted")
    with tenant_session(org_b) as session:
        assert [p.title for p in playbook.list_practices(session=session, ctx=org_b)] == ["Theirs"]
        matrix = adoption.adoption_matrix(session=session, ctx=org_b)
    assert [r.team_name for r in matrix.rows] == ["B team"]
    assert _detail(org_a, pid).practice.title == "Definition of Ready"
