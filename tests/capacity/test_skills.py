"""Skills per person and the skills initiatives need: where a skill is short, per team and
value stream and quarter, checked by hand; who may tag whom; the other organisation."""

from __future__ import annotations

import pytest

from pmo_saas.capacity.services import skills
from pmo_saas.db import tenant_session
from pmo_saas.kernel.errors import Forbidden, NotFound, ValidationFailed
from pmo_saas.kernel.roles import Role
from tests import factories
from tests.capacity.helpers import allocate, funded_initiatives, set_capacity


def _tag(ctx, person, text):
    with tenant_session(ctx) as session:
        return skills.set_member_skills(
            session=session, ctx=ctx, user_id=person.user_id, skills=text
        )


def _need(ctx, initiative, text):
    with tenant_session(ctx) as session:
        skills.set_initiative_skills(
            session=session, ctx=ctx, initiative_id=initiative, needs=skills.parse_needs(text)
        )


def _view(ctx):
    with tenant_session(ctx) as session:
        return skills.skills_view(session=session, ctx=ctx)


def test_short_skills_per_team_and_value_stream_by_hand(org_a):
    ana, bo, cy = (factories.make_member(org_a, name=n) for n in ("Ana", "Bo", "Cy"))
    one = factories.make_team(org_a, "One", members=[ana, bo])
    two = factories.make_team(org_a, "Two", members=[cy])
    ids = funded_initiatives(org_a, {"Checkout": "Shop", "Search": "Shop"})
    assert _tag(org_a, ana, "Python, UX, python") == ["python", "ux"]
    _tag(org_a, bo, "python")
    _tag(org_a, cy, "data")
    _need(org_a, ids["Checkout"], "Python x2, UX x2")
    _need(org_a, ids["Search"], "python, data")
    set_capacity(org_a, one, "2027-Q1", 2, 40, "Shop")
    set_capacity(org_a, two, "2027-Q1", 1, 40, "Shop")
    allocate(org_a, ids["Checkout"], one, "2027-Q1", 30)
    allocate(org_a, ids["Search"], one, "2027-Q1", 10)
    allocate(org_a, ids["Search"], two, "2027-Q1", 10)
    view = _view(org_a)
    teams = {(r.name, r.skill): (r.have, r.need, r.short) for r in view.teams}
    # Team One: python needed 2 (Checkout) + 1 (Search) = 3, Ana and Bo have it: 1 short;
    # ux needed 2, Ana has it: 1 short; data needed 1 (Search), nobody: 1 short.
    assert teams[("One", "python")] == (2, 3, 1)
    assert teams[("One", "ux")] == (1, 2, 1)
    assert teams[("One", "data")] == (0, 1, 1)
    # Team Two: Search needs python 1 (nobody) and data 1 (Cy).
    assert teams[("Two", "python")] == (0, 1, 1)
    assert teams[("Two", "data")] == (1, 1, 0)
    streams = {(r.name, r.skill): (r.have, r.need, r.short) for r in view.streams}
    assert streams[("Shop", "python")] == (2, 4, 2)
    assert streams[("Shop", "data")] == (1, 2, 1)
    assert {p.name: p.skills for p in view.people}["Ana"] == ["python", "ux"]
    with tenant_session(org_a) as session:
        text = skills.export_skills_csv(session=session, ctx=org_a)
    assert "team,One,2027-Q1,python,2,3,1" in text
    assert "value stream,Shop,2027-Q1,python,2,4,2" in text


def test_members_tag_themselves_only_and_bad_input_is_refused(org_a):
    me = factories.make_member(org_a, Role.MEMBER)
    other = factories.make_member(org_a, Role.MEMBER)
    viewer = factories.make_member(org_a, Role.VIEWER)
    assert _tag(me, me, "kanban") == ["kanban"]
    with pytest.raises(Forbidden):
        _tag(me, other, "kanban")
    with pytest.raises(Forbidden):
        _tag(viewer, viewer, "kanban")
    with pytest.raises(ValidationFailed):
        _tag(org_a, me, "x" * 61)
    ids = funded_initiatives(org_a, {"Checkout": "Shop"})
    with pytest.raises(ValidationFailed):
        _need(org_a, ids["Checkout"], "python x0")
    with pytest.raises(Forbidden):
        _need(me, ids["Checkout"], "python")


def test_another_org_cannot_tag_our_people_or_initiatives_nor_see_tags(org_a, org_b):
    person = factories.make_member(org_a, name="Ana")
    _tag(org_a, person, "python")
    ids = funded_initiatives(org_a, {"Checkout": "Shop"})
    _need(org_a, ids["Checkout"], "python")
    with pytest.raises(NotFound):
        _tag(org_b, person, "spy")
    with pytest.raises(NotFound):
        _need(org_b, ids["Checkout"], "spy")
    theirs = _view(org_b)
    assert theirs.needs == [] and all(p.skills == [] for p in theirs.people)
    assert "Ana" not in {p.name for p in theirs.people}
    assert _view(org_a).needs[0].skill == "python"


def test_an_id_beyond_any_integer_column_is_not_found(org_a):
    with pytest.raises(NotFound), tenant_session(org_a) as session:
        skills.set_member_skills(session=session, ctx=org_a, user_id=10**30, skills="x")
    with pytest.raises(NotFound), tenant_session(org_a) as session:
        skills.set_initiative_skills(session=session, ctx=org_a, initiative_id=10**30, needs={})
