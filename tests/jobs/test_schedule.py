"""The jobs run on their crontab schedules: huey's own scheduler is called with fixed times
(the controllable clock moved along with it), the tasks run in immediate mode, and the digest
reaches the loopback SMTP peer on Monday morning and only then."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from huey import Huey

from pmo_saas.jobs.schedule import JOBS, JOBS_BY_NAME
from pmo_saas.kernel.context import TenantContext
from tests import factories
from tests.jobs.helpers import MONDAY, email_of, runs, tick, use_smtp
from tests.peers import smtp


def test_the_digest_reaches_the_smtp_peer_on_monday_morning_once(
    org_a: TenantContext, immediate_huey: Huey, monkeypatch: pytest.MonkeyPatch
) -> None:
    use_smtp(monkeypatch, smtp.port())
    factories.make_coaching_plan(org_a, "Flow plan")
    coach = email_of(org_a)

    tick(immediate_huey, MONDAY - timedelta(hours=1))  # Monday 05:00: not yet
    assert smtp.messages(to=coach) == [] and runs("coaching_digest") == []

    tick(immediate_huey, MONDAY)  # Monday 06:00
    mails = smtp.messages(to=coach)
    assert len(mails) == 1
    assert mails[0]["Subject"].startswith("Coaching week 2026-W48: 1 active plan")
    assert "Flow plan" in smtp.body(mails[0])

    for later in (timedelta(hours=1), timedelta(hours=17), timedelta(days=1)):
        tick(immediate_huey, MONDAY + later)  # Monday 07:00 and 23:00 run, Tuesday does not
    assert len(smtp.messages(to=coach)) == 1
    assert [(r.outcome, r.items) for r in runs("coaching_digest")] == [
        ("ok", 1),
        ("ok", 0),
        ("ok", 0),
    ]

    tick(immediate_huey, MONDAY + timedelta(days=7))  # the next Monday: the next week's
    week49 = smtp.messages(to=coach)
    assert len(week49) == 2 and "2026-W49" in week49[1]["Subject"]


def test_each_tick_enqueues_exactly_the_jobs_due_then(immediate_huey: Huey) -> None:
    at_quarter_past = datetime(2026, 11, 24, 10, 15)  # a Tuesday
    due = {t.name for t in immediate_huey.read_periodic(at_quarter_past)}
    assert due == {"reconcile_seats", "retry_mail", "notification_mail", "delivery_sync"}
    at_ten_to = datetime(2026, 11, 24, 10, 50)
    assert {t.name for t in immediate_huey.read_periodic(at_ten_to)} == {
        "prune_rate_counters",
        "retry_mail",
        "notification_mail",
    }
    assert {t.name for t in immediate_huey.read_periodic(datetime(2026, 11, 23, 6, 0))} == {
        "coaching_digest",
        "prune_rate_counters",
        "retry_mail",
        "notification_mail",
        "delivery_sync",
    }
    registered = {t.name for t in immediate_huey._registry.periodic_tasks}
    assert registered == {job.name for job in JOBS}


def test_next_run_is_the_next_matching_minute() -> None:
    digest = JOBS_BY_NAME["coaching_digest"]
    tuesday = datetime(2026, 11, 24, 9, 30, tzinfo=UTC)
    assert digest.next_run(tuesday) == datetime(2026, 11, 30, 6, 0, tzinfo=UTC)
    assert digest.next_run(MONDAY) == MONDAY + timedelta(hours=1)
    assert JOBS_BY_NAME["purge_expired"].next_run(tuesday) == tuesday.replace(minute=45)
    assert JOBS_BY_NAME["retry_mail"].next_run(tuesday) == tuesday + timedelta(minutes=1)
