"""A worker killed mid-job (SIGKILL, in a process of its own: no exception handler, no lease
released, its run left "running") is finished by the next run once the lease has expired:
nothing done twice, nothing left undone, the cut-off run marked failed. And a job whose work
is one transaction (rate-counter pruning) cut off before its commit leaves everything as it
was for the next run."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from datetime import timedelta

import pytest
from sqlalchemy import event
from sqlmodel import select

from pmo_saas.db import get_engine, system_session, tenant_session
from pmo_saas.jobs import services, tasks
from pmo_saas.jobs.schedule import JOBS_BY_NAME
from pmo_saas.kernel import clock
from pmo_saas.kernel.clock import utcnow
from pmo_saas.kernel.context import TenantContext
from pmo_saas.rest.models import ApiKey, ApiRateCounter
from pmo_saas.settings import PROJECT_ROOT
from tests import factories
from tests.jobs.helpers import (
    LAUNCH,
    MONDAY,
    add_sessions,
    count_sessions,
    email_of,
    launched_survey,
    reminders_to,
    runs,
)
from tests.peers import smtp


def _killed_mid_run(job: str, hook: str, *, at: str, **kwargs: object) -> int:
    """Run `tasks.run_<job>(<hook>=...)` in a fresh process that SIGKILLs itself in the hook's
    second call (after the first step committed). Returns the exit code."""
    extra = "".join(f", {k}={v!r}" for k, v in kwargs.items())
    script = (
        "import os, signal\n"
        "from datetime import datetime\n"
        "from pmo_saas.jobs import tasks\n"
        "from pmo_saas.kernel import clock\n"
        f"clock.freeze(datetime.fromisoformat({at!r}))\n"
        "calls = []\n"
        "def hook(*_args):\n"
        "    calls.append(1)\n"
        "    if len(calls) == 2:\n"
        "        os.kill(os.getpid(), signal.SIGKILL)\n"
        f"tasks.run_{job}({hook}=hook{extra})\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", script], cwd=PROJECT_ROOT, env=dict(os.environ), timeout=120
    )
    return done.returncode


def _after_the_lease(job: str) -> None:
    clock.freeze(utcnow() + JOBS_BY_NAME[job].lease + timedelta(minutes=1))


def _cut_off_then_finished(job: str) -> None:
    cut_off, finished = runs(job)
    assert (cut_off.outcome, cut_off.detail) == ("failed", services.INTERRUPTED)
    assert finished.outcome == "ok"


def test_reminders_cut_off_by_a_killed_worker_are_finished_once(org_a: TenantContext) -> None:
    with smtp.smtp_delivery():
        _survey_id, people = launched_survey(org_a, size=4)
        day3 = LAUNCH + timedelta(days=3, hours=1)
        code = _killed_mid_run("survey_reminders", "after_each", at=day3.isoformat())
        assert code == -signal.SIGKILL
        assert [len(reminders_to(p)) for p in people] == [1, 1, 0, 0]
        clock.freeze(day3)
        assert tasks.run_survey_reminders() is None  # the dead worker's lease still holds
        _after_the_lease("survey_reminders")
        run = tasks.run_survey_reminders()
        assert run is not None and (run.outcome, run.items) == ("ok", 2)
        assert [len(reminders_to(p)) for p in people] == [1, 1, 1, 1]
    _cut_off_then_finished("survey_reminders")


def test_a_digest_cut_off_by_a_killed_worker_sends_the_rest_once(
    org_a: TenantContext, org_b: TenantContext
) -> None:
    with smtp.smtp_delivery():
        orgs = [org_a, org_b, factories.make_org("Org C")]
        for ctx in orgs:
            factories.make_coaching_plan(ctx)
        code = _killed_mid_run("coaching_digest", "after_org", at=MONDAY.isoformat())
        assert code == -signal.SIGKILL
        assert [len(smtp.messages(to=email_of(c))) for c in orgs] == [1, 1, 0]
        clock.freeze(MONDAY)
        _after_the_lease("coaching_digest")
        run = tasks.run_coaching_digest(now=MONDAY + timedelta(hours=2))
        assert run is not None and (run.outcome, run.items) == ("ok", 1)
        assert [len(smtp.messages(to=email_of(c))) for c in orgs] == [1, 1, 1]
    _cut_off_then_finished("coaching_digest")


def test_a_purge_cut_off_by_a_killed_worker_purges_the_rest(org_a: TenantContext) -> None:
    add_sessions(org_a, expired=5, live=1)
    code = _killed_mid_run("purge_expired", "after_batch", at=utcnow().isoformat(), batch_size=2)
    assert code == -signal.SIGKILL
    assert count_sessions() == 2  # two batches of two committed, one expired session left
    _after_the_lease("purge_expired")
    run = tasks.run_purge_expired()
    assert run is not None and (run.outcome, run.items) == ("ok", 1)
    assert count_sessions() == 1
    _cut_off_then_finished("purge_expired")


class _Cut(RuntimeError):
    pass


def test_pruning_cut_off_before_its_commit_prunes_everything_next_time(
    org_a: TenantContext, monkeypatch: pytest.MonkeyPatch
) -> None:
    minute = int(utcnow().timestamp() // 60)
    with tenant_session(org_a) as session:
        key = ApiKey(name="ci", prefix="pk_y", key_hash="k" * 64, scope="read")
        session.add(key)
        session.flush()
        key_id = key.id
    with system_session() as session:
        for m in (minute - 900, minute - 600, minute - 120, minute):
            session.add(ApiRateCounter(key_id=key_id, minute=m, count=1))

    def cut_after_delete(_conn, clause, _multi, _params, _options, result) -> None:  # type: ignore[no-untyped-def]
        if result.rowcount and "DELETE FROM apiratecounter" in str(clause):
            raise _Cut("the worker stopped between the delete and its commit")

    engine = get_engine()
    event.listen(engine, "after_execute", cut_after_delete)
    try:
        cut = tasks.run_prune_rate_counters()
    finally:
        event.remove(engine, "after_execute", cut_after_delete)
    assert cut is not None and cut.outcome == "failed" and "stopped between" in cut.detail
    with system_session() as session:
        assert len(session.exec(select(ApiRateCounter.minute)).all()) == 4  # rolled back

    again = tasks.run_prune_rate_counters()
    assert again is not None and (again.outcome, again.items) == ("ok", 3)
    with system_session() as session:
        assert session.exec(select(ApiRateCounter.minute)).all() == [minute]
