"""Survey reminders on the schedule set at launch: through huey's scheduler with the clock
moved (no sleeps), to the loopback SMTP peer, only to those who have not answered, once per
person and day even when the job runs twice or is cut off, none once the survey closed, and
nothing in what the job keeps pairs a person with an answer."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from datetime import timedelta

import pytest
from huey import Huey
from sqlmodel import col, select

from pmo_saas.db import system_session, tenant_session
from pmo_saas.identity.models import AuditEvent, OutboxMessage
from pmo_saas.jobs import tasks
from pmo_saas.kernel import clock
from pmo_saas.kernel.context import TenantContext
from pmo_saas.kernel.errors import Conflict, ValidationFailed
from pmo_saas.surveys import services
from pmo_saas.surveys.models import Survey, SurveyInvitation, SurveySealedResponse
from tests.jobs.helpers import (
    LAUNCH,
    LINK,
    REMINDER,
    crash_on_call,
    launched_survey,
    reminders_to,
    runs,
    tick,
)
from tests.peers import smtp
from tests.surveys.helpers import close, launch, team_with, westrum_answers


@pytest.fixture(autouse=True)
def _smtp() -> Iterator[None]:
    with smtp.smtp_delivery():
        yield


def _answer(to: str) -> None:
    """`to` answers through the newest link they were mailed."""
    services.submit_response(token=smtp.last_link(to, LINK), answers=westrum_answers(4))


def test_reminders_reach_only_non_responders_on_day_3_and_day_7(
    org_a: TenantContext, immediate_huey: Huey
) -> None:
    survey_id, (early, mid, late, never) = launched_survey(org_a)
    clock.freeze(LAUNCH + timedelta(days=1))
    _answer(early)

    tick(immediate_huey, LAUNCH + timedelta(days=2, minutes=30))  # day 2: nothing due
    tick(immediate_huey, LAUNCH + timedelta(days=3) - timedelta(minutes=30))  # not 3 days yet
    assert [reminders_to(p) for p in (early, mid, late, never)] == [[], [], [], []]

    tick(immediate_huey, LAUNCH + timedelta(days=3, minutes=30))  # day 3
    assert [len(reminders_to(p)) for p in (early, mid, late, never)] == [0, 1, 1, 1]
    # the reminder's personal link works
    services.submit_response(token=reminders_to(mid)[0], answers=westrum_answers(3))

    for hours in (1, 24, 72):  # later the same day, day 4, day 6: nothing new
        tick(immediate_huey, LAUNCH + timedelta(days=3, hours=hours, minutes=30))
    assert [len(reminders_to(p)) for p in (early, mid, late, never)] == [0, 1, 1, 1]

    tick(immediate_huey, LAUNCH + timedelta(days=7, minutes=30))  # day 7
    tick(immediate_huey, LAUNCH + timedelta(days=8, minutes=30))
    assert [len(reminders_to(p)) for p in (early, mid, late, never)] == [0, 1, 2, 2]

    # an earlier link still works (a reminder invalidates nothing); then every link is used
    first_reminder, second_reminder = reminders_to(late)
    services.submit_response(token=first_reminder, answers=westrum_answers(5))
    with pytest.raises(Conflict, match="already"):
        services.submit_response(token=second_reminder, answers=westrum_answers(5))

    reminder_runs = [(r.outcome, r.items) for r in runs("survey_reminders")]
    assert ("ok", 3) in reminder_runs and ("ok", 2) in reminder_runs
    assert sum(items for _, items in reminder_runs) == 5
    with tenant_session(org_a) as session:
        invitations = session.exec(
            select(SurveyInvitation).where(SurveyInvitation.survey_id == survey_id)
        ).all()
    assert sorted(i.reminded_day for i in invitations) == [0, 3, 7, 7]


def test_the_job_run_twice_sends_each_reminder_once(org_a: TenantContext) -> None:
    _survey_id, people = launched_survey(org_a, size=3)
    clock.freeze(LAUNCH + timedelta(days=3, hours=1))
    first = tasks.run_survey_reminders()
    second = tasks.run_survey_reminders()
    assert first is not None and (first.outcome, first.items) == ("ok", 3)
    assert second is not None and (second.outcome, second.items) == ("ok", 0)
    assert [len(reminders_to(p)) for p in people] == [1, 1, 1]


def test_an_interrupted_run_sends_the_rest_next_time_and_nothing_twice(
    org_a: TenantContext,
) -> None:
    _survey_id, people = launched_survey(org_a, size=4)
    clock.freeze(LAUNCH + timedelta(days=3, hours=1))
    crashed = tasks.run_survey_reminders(after_each=crash_on_call(2))
    assert crashed is not None and (crashed.outcome, crashed.items) == ("failed", 2)
    assert "interrupted after step 2" in crashed.detail
    assert [len(reminders_to(p)) for p in people] == [1, 1, 0, 0]

    finished = tasks.run_survey_reminders()
    assert finished is not None and (finished.outcome, finished.items) == ("ok", 2)
    assert [len(reminders_to(p)) for p in people] == [1, 1, 1, 1]


def test_a_mail_server_down_leaves_the_reminder_for_the_next_run(
    org_a: TenantContext, monkeypatch: pytest.MonkeyPatch
) -> None:
    from pmo_saas.settings import get_settings
    from tests.jobs.helpers import free_port

    _survey_id, people = launched_survey(org_a, size=2)
    clock.freeze(LAUNCH + timedelta(days=3, hours=1))
    monkeypatch.setattr(get_settings(), "smtp_port", free_port())  # nobody listens
    down = tasks.run_survey_reminders()
    assert down is not None and (down.outcome, down.items) == ("failed", 0)
    assert "2 reminders not sent" in down.detail
    monkeypatch.setattr(get_settings(), "smtp_port", smtp.port())  # back
    again = tasks.run_survey_reminders()
    assert again is not None and (again.outcome, again.items) == ("ok", 2)
    assert [len(reminders_to(p)) for p in people] == [1, 1]


def test_a_closed_survey_sends_no_reminders(org_a: TenantContext) -> None:
    survey_id, people = launched_survey(org_a, size=3)
    clock.freeze(LAUNCH + timedelta(days=2))
    close(org_a, survey_id)
    clock.freeze(LAUNCH + timedelta(days=3, hours=1))
    run = tasks.run_survey_reminders()
    assert run is not None and (run.outcome, run.items) == ("ok", 0)
    assert [reminders_to(p) for p in people] == [[], [], []]


def test_the_schedule_is_the_coachs_choice_or_none(
    org_a: TenantContext, org_b: TenantContext
) -> None:
    _custom, custom_people = launched_survey(org_a, size=2, reminder_days=[1, 5])
    _none, quiet_people = launched_survey(org_b, size=2, reminder_days=[])
    clock.freeze(LAUNCH + timedelta(days=1, hours=1))
    run = tasks.run_survey_reminders()
    assert run is not None and run.items == 2
    clock.freeze(LAUNCH + timedelta(days=3, hours=1))  # 3 is not on this schedule
    tasks.run_survey_reminders()
    clock.freeze(LAUNCH + timedelta(days=5, hours=1))
    tasks.run_survey_reminders()
    assert [len(reminders_to(p)) for p in custom_people] == [2, 2]
    assert [reminders_to(p) for p in quiet_people] == [[], []]


def test_a_run_that_missed_a_day_sends_one_reminder_not_two(org_a: TenantContext) -> None:
    _survey_id, people = launched_survey(org_a, size=2)
    clock.freeze(LAUNCH + timedelta(days=7, hours=1))  # the worker was down on day 3
    run = tasks.run_survey_reminders()
    assert run is not None and run.items == 2
    assert [len(reminders_to(p)) for p in people] == [1, 1]


def test_someone_who_answers_after_the_job_listed_them_is_not_reminded(
    org_a: TenantContext,
) -> None:
    survey_id, (person, _other) = launched_survey(org_a, size=2)
    at = LAUNCH + timedelta(days=3, hours=1)
    clock.freeze(at)
    with tenant_session(org_a) as session:
        (due,) = services.due_reminders(session=session, now=at)
    _answer(person)  # between the listing and the reminder
    with tenant_session(org_a) as session:
        sent = [
            services.send_scheduled_reminder(
                session=session,
                ctx=org_a,
                survey_id=survey_id,
                invitation_id=i,
                day=due.day,
            )
            for i in due.invitation_ids
        ]
    assert sorted(sent) == [False, True]
    assert reminders_to(person) == []


def test_the_schedule_is_checked_at_launch_and_kept_by_a_rerun(org_a: TenantContext) -> None:
    assert services.parse_reminder_days("3, 7") == [3, 7]
    assert services.parse_reminder_days("") == [] == services.parse_reminder_days("none")
    with pytest.raises(ValidationFailed, match="whole numbers"):
        services.parse_reminder_days("3, soon")
    team, _members = team_with(org_a, "Beta", 2)
    with pytest.raises(ValidationFailed, match="from 1 to 6"):
        launch(org_a, [team], days_open=7, reminder_days=[3, 7])
    short = launch(org_a, [team], title="Short", days_open=5)  # the default, as far as it fits
    with tenant_session(org_a) as session:
        rerun = services.rerun_survey(session=session, ctx=org_a, survey_id=short, notify=False)
        stored = {
            s.id: s.reminder_days for s in session.exec(select(Survey)).all() if s.id is not None
        }
    assert stored == {short: "3", rerun: "3"}


def test_nothing_the_reminder_job_keeps_pairs_a_person_with_an_answer(
    org_a: TenantContext, caplog: pytest.LogCaptureFixture
) -> None:
    _survey_id, people = launched_survey(org_a, size=5)
    clock.freeze(LAUNCH + timedelta(days=1, hours=3))
    _answer(people[0])
    _answer(people[1])
    with system_session() as session:
        sealed_before = sorted(
            (r.id, r.sealed) for r in session.exec(select(SurveySealedResponse)).all()
        )
    clock.freeze(LAUNCH + timedelta(days=3, hours=5, minutes=17))
    with caplog.at_level(logging.DEBUG):
        run = tasks.run_survey_reminders()
    assert run is not None and (run.outcome, run.items) == ("ok", 3)

    # The answers were not touched (the job reads no response).
    with system_session() as session:
        sealed_after = sorted(
            (r.id, r.sealed) for r in session.exec(select(SurveySealedResponse)).all()
        )
        outbox = session.exec(
            select(OutboxMessage).where(col(OutboxMessage.subject).startswith(REMINDER))
        ).all()
        audits = session.exec(
            select(AuditEvent).where(AuditEvent.action == "survey.reminders_sent")
        ).all()
    assert sealed_after == sealed_before and len(sealed_after) == 2
    # The run's record: a count, no person and no survey.
    (job_run,) = runs("survey_reminders")
    assert job_run.detail == "3 reminders sent"
    # Outbox and audit: the day only (no time that would be a timeline), links masked, no count.
    tokens = [link for p in people for link in reminders_to(p)]
    assert len(outbox) == 3 and len(tokens) == 3
    for message in outbox:
        assert (message.created_at.hour, message.created_at.minute) == (0, 0)
        assert not any(token in message.body for token in tokens)
    (audit,) = audits
    assert (audit.created_at.hour, audit.created_at.minute) == (0, 0)
    assert not any(ch.isdigit() for ch in audit.detail)
    # The app's log (not the SMTP peer's, which prints what it received): no address, no link.
    logged = "\n".join(r.getMessage() for r in caplog.records if r.name.startswith("pmo_saas"))
    assert not any(p in logged for p in people)
    assert not any(token in logged for token in tokens)
    # Participation rows: whether someone answered and their last reminder day; no time.
    assert set(SurveyInvitation.model_fields) == {
        "id",
        "org_id",
        "survey_id",
        "survey_team_id",
        "user_id",
        "answered",
        "reminders_sent",
        "reminded_day",
    }
