"""Editing the roadmap: a wave's title, pilot flag, dates and notes, and its place in the
order. Attackers first: members, another organisation, a clashing title, bad dates."""

from __future__ import annotations

import pytest
from sqlmodel import select

from pmo_saas.db import system_session, tenant_session
from pmo_saas.identity import services as identity
from pmo_saas.identity.models import AuditEvent
from pmo_saas.kernel.errors import Conflict, Forbidden, NotFound, ValidationFailed
from pmo_saas.kernel.roles import Role
from pmo_saas.rollout.pages.wave import WaveState
from pmo_saas.rollout.services import waves
from tests import factories
from tests.assessments import helpers as assessment_helpers
from tests.rollout.helpers import wave
from tests.state_harness import run, state_for


def _titles(ctx) -> list[str]:
    with tenant_session(ctx) as session:
        return [r.title for r in waves.list_waves(session=session, ctx=ctx)]


def _edit(ctx, wave_id, **kw):
    fields = {"title": "Pilot", "is_pilot": True, "starts_on": "", "ends_on": "", "notes": ""}
    fields.update(kw)
    with tenant_session(ctx) as session:
        waves.update_wave(session=session, ctx=ctx, wave_id=wave_id, **fields)


def _move(ctx, wave_id, *, earlier):
    with tenant_session(ctx) as session:
        waves.move_wave(session=session, ctx=ctx, wave_id=wave_id, earlier=earlier)


def test_members_and_other_organisations_cannot_edit_or_reorder(org_a, org_b):
    pilot = wave(org_a, "Pilot", [], pilot=True)
    wave(org_a, "Wave 1", [])
    member = assessment_helpers.person(org_a)
    with pytest.raises(Forbidden):
        _edit(member, pilot, title="Mine")
    with pytest.raises(Forbidden):
        _move(member, pilot, earlier=False)
    for outsider in (org_b, factories.make_member(org_b, Role.COACH)):
        with pytest.raises(NotFound):
            _edit(outsider, pilot, title="Theirs")
        with pytest.raises(NotFound):
            _move(outsider, pilot, earlier=False)
    assert _titles(org_a) == ["Pilot", "Wave 1"]


def test_an_edit_is_checked_like_a_new_wave_and_audited(org_a):
    pilot = wave(org_a, "Pilot", [factories.make_team(org_a, "Alpha")], pilot=True)
    wave(org_a, "Wave 1", [])
    with pytest.raises(Conflict, match="already a wave"):
        _edit(org_a, pilot, title="wave 1")
    with pytest.raises(ValidationFailed, match="ends before it starts"):
        _edit(org_a, pilot, starts_on="2027-03-01", ends_on="2027-02-01")
    with pytest.raises(ValidationFailed, match="must be a date"):
        _edit(org_a, pilot, starts_on="next spring")
    _edit(org_a, pilot, title="Pilot")  # its own title is no clash
    _edit(
        org_a,
        pilot,
        title="Pilot (Alpha)",
        is_pilot=True,
        starts_on="2027-01-11",
        ends_on="2027-04-02",
        notes="Extended by a week for the holidays.",
    )
    with tenant_session(org_a) as session:
        row = waves.wave_detail(session=session, ctx=org_a, wave_id=pilot)
    assert (row.title, row.is_pilot, row.starts_on, row.ends_on, row.notes) == (
        "Pilot (Alpha)",
        True,
        "2027-01-11",
        "2027-04-02",
        "Extended by a week for the holidays.",
    )
    assert row.team_names == ["Alpha"]  # its teams stay
    with system_session() as session:
        details = session.exec(
            select(AuditEvent.detail).where(AuditEvent.action == "rollout.wave_updated")
        ).all()
    assert "renamed from Pilot" in details


def test_waves_move_earlier_and_later_but_not_past_either_end(org_a):
    first, second, third = (wave(org_a, t, []) for t in ("Pilot", "Wave 1", "Wave 2"))
    _move(org_a, third, earlier=True)
    assert _titles(org_a) == ["Pilot", "Wave 2", "Wave 1"]
    _move(org_a, first, earlier=False)
    assert _titles(org_a) == ["Wave 2", "Pilot", "Wave 1"]
    with pytest.raises(ValidationFailed, match="already the first"):
        _move(org_a, third, earlier=True)
    with pytest.raises(ValidationFailed, match="already the last"):
        _move(org_a, second, earlier=False)
    assert _titles(org_a) == ["Wave 2", "Pilot", "Wave 1"]
    with tenant_session(org_a) as session:
        assert [r.position for r in waves.list_waves(session=session, ctx=org_a)] == [1, 2, 3]


def test_the_wave_page_edits_and_moves_as_a_coach_only(org_a, org_b):
    coach = factories.make_member(org_a, Role.COACH)
    member = factories.make_member(org_a, Role.MEMBER)
    first = wave(org_a, "Pilot", [], pilot=True)
    second = wave(org_a, "Wave 1", [])
    path = f"/o/{org_a.org_slug}/rollout/{second}"
    form = {"wave_title": "Wave 1 (sales)", "wave_starts": "2027-04-05", "wave_ends": ""}

    async def scenario() -> None:
        theirs = factories.make_member(org_b, Role.OWNER)
        for person in (member, theirs):
            page = await state_for(
                WaveState, token=identity.start_session(user_id=person.user_id), path=path
            )
            await page.load()
            await page.save_wave(form)
            assert page.error
            await page.move(True)
            assert page.error
        page = await state_for(
            WaveState, token=identity.start_session(user_id=coach.user_id), path=path
        )
        await page.load()
        page.set_editing(True)
        await page.save_wave({**form, "wave_title": "pilot"})  # clashes: the dialog stays
        assert "already a wave" in page.error and page.editing
        await page.save_wave(form)
        assert page.error == "" and not page.editing and page.notice == "Wave saved."
        assert page.wave is not None and page.wave.title == "Wave 1 (sales)"
        assert page.wave.starts_on == "2027-04-05" and not page.wave.is_pilot
        await page.move(True)
        assert page.error == "" and page.wave.position == 1
        await page.move(True)
        assert "already the first" in page.error

    run(scenario())
    assert _titles(org_a) == ["Wave 1 (sales)", "Pilot"]
    assert first != second
