"""Agile training: catalogue, enrolments, completions and coverage per team."""

from __future__ import annotations

from datetime import timedelta

import pytest

from pmo_saas.coaching.services.common import today
from pmo_saas.coaching.services.training import (
    complete_enrolment,
    create_course,
    enrol,
    list_courses,
    list_enrolments,
    training_coverage,
    update_course,
)
from pmo_saas.db import tenant_session
from pmo_saas.kernel.context import TenantContext
from pmo_saas.kernel.errors import Conflict, Forbidden, ValidationFailed
from tests.coaching import helpers


def test_catalogue_enrolment_completion_and_coverage(org_a: TenantContext) -> None:
    w = helpers.world(org_a)
    with tenant_session(w.coach) as session:
        scrum = create_course(
            session=session,
            ctx=w.coach,
            name="Scrum basics",
            level="beginner",
            duration_hours=14,
            provider="Scrum.org",
        )
        kanban = create_course(
            session=session, ctx=w.coach, name="Kanban", level="intermediate", duration_hours=8
        )
        with pytest.raises(Conflict, match="already has a course"):
            create_course(session=session, ctx=w.coach, name="scrum BASICS")
        with pytest.raises(ValidationFailed, match="level"):
            create_course(session=session, ctx=w.coach, name="X", level="expert")
        with pytest.raises(ValidationFailed, match="duration"):
            create_course(session=session, ctx=w.coach, name="X", duration_hours=0)
        alice_scrum = enrol(
            session=session, ctx=w.coach, course_id=scrum.id, user_id=w.alice.user_id or 0
        )
        enrol(session=session, ctx=w.coach, course_id=scrum.id, user_id=w.carol.user_id or 0)
        with pytest.raises(Conflict, match="already enrolled"):
            enrol(session=session, ctx=w.coach, course_id=scrum.id, user_id=w.alice.user_id or 0)
        done = complete_enrolment(
            session=session,
            ctx=w.coach,
            enrolment_id=alice_scrum.id,
            completed_on=today() - timedelta(days=3),
        )
        assert done.completed_on == (today() - timedelta(days=3)).isoformat()
        with pytest.raises(ValidationFailed, match="future"):
            complete_enrolment(
                session=session,
                ctx=w.coach,
                enrolment_id=alice_scrum.id,
                completed_on=today() + timedelta(days=1),
            )
    # a member enrols themselves and records their own completion, not others'
    with tenant_session(w.bob) as session:
        mine = enrol(session=session, ctx=w.bob, course_id=kanban.id, user_id=w.bob.user_id or 0)
        complete_enrolment(session=session, ctx=w.bob, enrolment_id=mine.id)
        with pytest.raises(Forbidden, match="yourself"):
            enrol(session=session, ctx=w.bob, course_id=kanban.id, user_id=w.alice.user_id or 0)
        with pytest.raises(Forbidden):
            complete_enrolment(session=session, ctx=w.bob, enrolment_id=alice_scrum.id)
        assert [e.course_name for e in list_enrolments(session=session, ctx=w.bob)] == ["Kanban"]
        with pytest.raises(Forbidden):
            create_course(session=session, ctx=w.bob, name="Mine")
    with tenant_session(w.viewer) as session:
        with pytest.raises(Forbidden):
            enrol(session=session, ctx=w.viewer, course_id=kanban.id, user_id=w.viewer.user_id or 0)
        courses = {c.name: c for c in list_courses(session=session, ctx=w.viewer)}
        assert (courses["Scrum basics"].enrolled, courses["Scrum basics"].completed) == (2, 1)
        assert courses["Scrum basics"].provider == "Scrum.org"
        coverage = {c.team_name: c for c in training_coverage(session=session, ctx=w.viewer)}
        assert len(list_enrolments(session=session, ctx=w.viewer)) == 3
    # Alpha: Alice and Bob both completed one course; Beta: Carol is only enrolled
    assert (coverage["Alpha"].members, coverage["Alpha"].trained) == (2, 2)
    assert coverage["Alpha"].coverage_percent == 100
    assert coverage["Alpha"].completed_by_course == {scrum.id: 1, kanban.id: 1}
    assert (coverage["Beta"].trained, coverage["Beta"].coverage_percent) == (0, 0)


def test_archived_courses_take_no_enrolments(org_a: TenantContext) -> None:
    w = helpers.world(org_a)
    with tenant_session(w.coach) as session:
        course = create_course(session=session, ctx=w.coach, name="Old")
        update_course(
            session=session,
            ctx=w.coach,
            course_id=course.id,
            name="Old",
            level="beginner",
            duration_hours=1,
            provider="",
            archived=True,
        )
        assert list_courses(session=session, ctx=w.coach) == []
        with pytest.raises(ValidationFailed, match="archived"):
            enrol(session=session, ctx=w.coach, course_id=course.id, user_id=w.alice.user_id or 0)
