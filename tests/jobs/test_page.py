"""Admin > Background jobs: owners and admins see every job's schedule, last run, outcome and
next run; nobody else does; and what a run knows about organisations never reaches the page."""

from __future__ import annotations

from datetime import timedelta

import pytest

from pmo_saas.db import tenant_session
from pmo_saas.identity import services as identity
from pmo_saas.jobs import services, tasks
from pmo_saas.jobs.pages import JobsState
from pmo_saas.jobs.schedule import JOBS
from pmo_saas.kernel import clock
from pmo_saas.kernel.context import TenantContext
from pmo_saas.kernel.errors import Forbidden
from pmo_saas.kernel.roles import Role
from tests import factories
from tests.jobs.helpers import MONDAY, add_sessions, runs
from tests.state_harness import run, state_for


def _overview(ctx: TenantContext) -> list[services.JobStatusRow]:
    with tenant_session(ctx) as session:
        return services.job_overview(session=session, ctx=ctx)


def test_admins_see_each_jobs_last_run_outcome_and_next_run(
    org_a: TenantContext, org_b: TenantContext
) -> None:
    clock.freeze(MONDAY + timedelta(minutes=50))  # Monday 06:50
    add_sessions(org_b, expired=1)  # another organisation's data, purged by the run
    tasks.run_purge_expired()
    tasks.run_coaching_digest(after_org=lambda org_id: 1 / 0 if org_id == org_b.org_id else None)

    rows = {r.name: r for r in _overview(org_a)}
    assert list(rows) == [job.name for job in JOBS]
    purge = rows["purge_expired"]
    assert (purge.outcome, purge.last_run, purge.next_run) == (
        "ok",
        "2026-11-23 06:50 UTC",
        "2026-11-23 07:45 UTC",
    )
    digest = rows["coaching_digest"]
    assert (digest.outcome, digest.next_run) == ("failed", "2026-11-23 07:00 UTC")
    never = rows["reconcile_seats"]
    assert (never.outcome, never.last_run, never.next_run) == (
        "never run",
        "",
        "2026-11-23 07:15 UTC",
    )
    # the runs' detail (other organisations' counts, errors): none of it is shown
    assert set(services.JobStatusRow.model_fields) == {
        "name",
        "title",
        "schedule",
        "last_run",
        "outcome",
        "next_run",
    }
    shown = " ".join(r.model_dump_json() for r in rows.values())
    details = [r.detail for job in ("purge_expired", "coaching_digest") for r in runs(job)]
    assert "1 sessions" in details[0] and "ZeroDivisionError" in details[1]
    assert not any(detail in shown for detail in details)
    assert "ZeroDivision" not in shown and "organisations" not in shown


@pytest.mark.parametrize("role", [Role.COACH, Role.MEMBER, Role.VIEWER])
def test_only_owners_and_admins_see_the_jobs(org_a: TenantContext, role: Role) -> None:
    person = factories.make_member(org_a, role)
    with pytest.raises(Forbidden):
        _overview(person)


def test_the_page_state_loads_for_an_admin_and_refuses_a_member(org_a: TenantContext) -> None:
    admin = factories.make_member(org_a, Role.ADMIN)
    member = factories.make_member(org_a, Role.MEMBER)
    path = f"/o/{org_a.org_slug}/admin/jobs"

    async def scenario() -> tuple[JobsState, JobsState]:
        shown = await state_for(
            JobsState, token=identity.start_session(user_id=admin.user_id), path=path
        )
        await shown.load()
        refused = await state_for(
            JobsState, token=identity.start_session(user_id=member.user_id), path=path
        )
        await refused.load()
        return shown, refused

    shown, refused = run(scenario())
    assert shown.error == "" and [r.name for r in shown.jobs] == [j.name for j in JOBS]
    assert refused.jobs == [] and "admin" in refused.error
