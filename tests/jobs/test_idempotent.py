"""Every job run twice does its work once; a job already running elsewhere is not run again."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlmodel import select

from pmo_saas.db import system_session, tenant_session
from pmo_saas.jobs import services, tasks
from pmo_saas.kernel import clock
from pmo_saas.kernel.clock import utcnow
from pmo_saas.kernel.context import TenantContext
from pmo_saas.rest.models import ApiKey, ApiRateCounter
from tests import factories
from tests.jobs.helpers import (
    MONDAY,
    add_sessions,
    count_sessions,
    email_of,
    outbox,
    runs,
    use_smtp,
)
from tests.peers import smtp


def test_the_digest_run_twice_in_a_week_sends_each_coach_one_mail(
    org_a: TenantContext, org_b: TenantContext, monkeypatch: pytest.MonkeyPatch
) -> None:
    use_smtp(monkeypatch, smtp.port())
    factories.make_coaching_plan(org_a)
    factories.make_coaching_plan(org_b)
    clock.freeze(MONDAY)

    first = tasks.run_coaching_digest()
    assert first is not None and (first.outcome, first.items) == ("ok", 2)
    second = tasks.run_coaching_digest(now=utcnow() + timedelta(hours=5))
    assert second is not None and (second.outcome, second.items) == ("ok", 0)

    for ctx in (org_a, org_b):
        assert len(smtp.messages(to=email_of(ctx))) == 1
    assert [m.status for m in outbox()] == ["sent", "sent"]
    assert [r.items for r in runs("coaching_digest")] == [2, 0]


def test_purging_twice_deletes_once_and_keeps_live_sessions(org_a: TenantContext) -> None:
    add_sessions(org_a, expired=3, live=2)
    first = tasks.run_purge_expired()
    assert first is not None and (first.outcome, first.items) == ("ok", 3)
    assert "3 sessions" in first.detail
    second = tasks.run_purge_expired()
    assert second is not None and (second.outcome, second.items) == ("ok", 0)
    assert count_sessions() == 2


def test_pruning_rate_counters_twice_prunes_once(org_a: TenantContext) -> None:
    minute = int(utcnow().timestamp() // 60)
    with tenant_session(org_a) as session:
        key = ApiKey(name="ci", prefix="pk_x", key_hash="h" * 64, scope="read")
        session.add(key)
        session.flush()
        key_id = key.id
    with system_session() as session:
        for m in (minute - 600, minute - 120, minute):
            session.add(ApiRateCounter(key_id=key_id, minute=m, count=3))
    first = tasks.run_prune_rate_counters()
    assert first is not None and (first.outcome, first.items) == ("ok", 2)
    second = tasks.run_prune_rate_counters()
    assert second is not None and (second.outcome, second.items) == ("ok", 0)
    with system_session() as session:
        assert session.exec(select(ApiRateCounter.minute)).all() == [minute]


def test_reconcile_with_billing_off_is_an_ok_run_that_changes_nothing() -> None:
    for _ in range(2):
        run = tasks.run_reconcile_seats()
        assert run is not None and (run.outcome, run.items) == ("ok", 0)
        assert "billing is off" in run.detail
    assert len(runs("reconcile_seats")) == 2


def test_a_job_whose_lease_is_held_is_skipped_until_the_lease_expires(
    org_a: TenantContext,
) -> None:
    add_sessions(org_a, expired=1)
    assert services.acquire_lease("purge_expired", ttl=timedelta(minutes=30), holder="crashed")
    assert tasks.run_purge_expired() is None  # "running" elsewhere: not run, not recorded
    assert runs("purge_expired") == [] and count_sessions() == 1
    # the holder crashed and never released it: after the lease ends the job runs again
    clock.freeze(utcnow() + timedelta(minutes=31))
    run = tasks.run_purge_expired()
    assert run is not None and (run.outcome, run.items) == ("ok", 1)
    assert count_sessions() == 0
    # and it released its own lease
    assert services.acquire_lease("purge_expired", ttl=timedelta(minutes=1), holder="next")


def test_two_workers_racing_for_a_lease_get_it_once() -> None:
    from concurrent.futures import ThreadPoolExecutor

    def take(n: int) -> bool:
        return services.acquire_lease("race", ttl=timedelta(minutes=5), holder=f"w{n}")

    with ThreadPoolExecutor(max_workers=4) as pool:
        won = list(pool.map(take, range(8)))
    assert won.count(True) == 1


def test_every_finished_run_reaches_the_hooks_and_a_failing_hook_harms_nothing(
    org_a: TenantContext, monkeypatch: pytest.MonkeyPatch
) -> None:
    seen: list[services.FinishedRun] = []

    def broken(_run: services.FinishedRun) -> None:
        raise RuntimeError("metrics backend down")

    monkeypatch.setattr(services, "RUN_FINISHED_HOOKS", [broken, seen.append])
    add_sessions(org_a, expired=1)
    run = tasks.run_purge_expired()
    assert run is not None and run.outcome == "ok"
    assert [(r.job, r.outcome, r.items) for r in seen] == [("purge_expired", "ok", 1)]


def test_a_run_cut_off_by_a_killed_worker_is_marked_failed_by_the_next_run(
    org_a: TenantContext,
) -> None:
    from pmo_saas.jobs.models import JobRun

    add_sessions(org_a, expired=2)
    # what a worker killed mid-run leaves: its run "running", its lease held
    with system_session() as session:
        session.add(JobRun(job="purge_expired", started_at=utcnow()))
    assert services.acquire_lease("purge_expired", ttl=timedelta(minutes=30), holder="killed")
    clock.freeze(utcnow() + timedelta(minutes=31))
    run = tasks.run_purge_expired()
    assert run is not None and (run.outcome, run.items) == ("ok", 2)
    cut_off, finished = runs("purge_expired")
    assert (cut_off.outcome, cut_off.detail) == ("failed", services.INTERRUPTED)
    assert finished.outcome == "ok"
