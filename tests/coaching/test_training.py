"""Agile training: catalogue, enrolments, completions and coverage per team."""

from __future__ import annotations

from datetime import timedelta

import pytest

from pmo_saas.coaching import services
from pmo_saas.db import tenant_session
from pmo_saas.kernel.context import TenantContext
from pmo_saas.kernel.errors import Conflict, Forbidden, ValidationFailed
from tests.coaching import helpers


def test_catalogue_enrolment_completion_and_coverage(org_a: TenantContext) -> None:
    w = helpers.world(org_a)
    with tenant_session(w.coach) as session:
        scrum = services.create_course(
            session=session,
            ctx=w.coach,
            name="Scrum basics",
            level="beginner",
            duration_hours=14,
            provider="Scrum.org",
        )
        kanban = services.create_course(
            session=session, ctx=w.coach, name="Kanban", level="intermediate", duration_hours=8
        )
        with pytest.raises(Conflict, match="already has a course"):
            services.create_course(session=session, ctx=w.coach, name="scrum BASICS")
        with pytest.raises(ValidationFailed, match="level"):
            services.create_course(session=session, ctx=w.coach, name="X", level="expert")
        with pytest.raises(ValidationFailed, match="duration"):
            services.create_course(session=session, ctx=w.coach, name="X", duration_hours=0)
        alice_scrum = services.enrol(
            session=session, ctx=w.coach, course_id=scrum.id, user_id=w.alice.user_id or 0
        )
        services.enrol(
            session=session, ctx=w.coach, course_id=scrum.id, user_id=w.carol.user_id or 0
        )
        with pytest.raises(Conflict, match="already enrolled"):
            services.enrol(
                session=session, ctx=w.coach, course_id=scrum.id, user_id=w.alice.user_id or 0
            )
        done = services.complete_enrolment(
            session=session,
            ctx=w.coach,
            enrolment_id=alice_scrum.id,
            completed_on=services.today() - timedelta(days=3),
        )
        assert done.completed_on == (services.today() - timedelta(days=3)).isoformat()
        with pytest.raises(ValidationFailed, match="future"):
            services.complete_enrolment(
                session=session,
                ctx=w.coach,
                enrolment_id=alice_scrum.id,
                completed_on=services.today() + timedelta(days=1),
            )
    # a member enrols themselves and records their own completion, not others'
    with tenant_session(w.bob) as session:
        mine = services.enrol(
            session=session, ctx=w.bob, course_id=kanban.id, user_id=w.bob.user_id or 0
        )
        services.complete_enrolment(session=session, ctx=w.bob, enrolment_id=mine.id)
        with pytest.raises(Forbidden, match="yourself"):
            services.enrol(
                session=session, ctx=w.bob, course_id=kanban.id, user_id=w.alice.user_id or 0
            )
        with pytest.raises(Forbidden):
            services.complete_enrolment(session=session, ctx=w.bob, enrolment_id=alice_scrum.id)
        assert [e.course_name for e in services.list_enrolments(session=session, ctx=w.bob)] == [
            "Kanban"
        ]
        with pytest.raises(Forbidden):
            services.create_course(session=session, ctx=w.bob, name="Mine")
    with tenant_session(w.viewer) as session:
        with pytest.raises(Forbidden):
            services.enrol(
                session=session, ctx=w.viewer, course_id=kanban.id, user_id=w.viewer.user_id or 0
            )
        courses = {c.name: c for c in services.list_courses(session=session, ctx=w.viewer)}
        assert (courses["Scrum basics"].enrolled, courses["Scrum basics"].completed) == (2, 1)
        assert courses["Scrum basics"].provider == "Scrum.org"
        coverage = {
            c.team_name: c for c in services.training_coverage(session=session, ctx=w.viewer)
        }
        assert len(services.list_enrolments(session=session, ctx=w.viewer)) == 3
    # Alpha: Alice and Bob both completed one course; Beta: Carol is only enrolled
    assert (coverage["Alpha"].members, coverage["Alpha"].trained) == (2, 2)
    assert coverage["Alpha"].coverage_percent == 100
    assert coverage["Alpha"].completed_by_course == {scrum.id: 1, kanban.id: 1}
    assert (coverage["Beta"].trained, coverage["Beta"].coverage_percent) == (0, 0)


def test_archived_courses_take_no_enrolments(org_a: TenantContext) -> None:
    w = helpers.world(org_a)
    with tenant_session(w.coach) as session:
        course = services.create_course(session=session, ctx=w.coach, name="Old")
        services.update_course(
            session=session,
            ctx=w.coach,
            course_id=course.id,
            name="Old",
            level="beginner",
            duration_hours=1,
            provider="",
            archived=True,
        )
        assert services.list_courses(session=session, ctx=w.coach) == []
        with pytest.raises(ValidationFailed, match="archived"):
            services.enrol(
                session=session, ctx=w.coach, course_id=course.id, user_id=w.alice.user_id or 0
            )
