"""The background jobs: each a plain function `run_<job>()` (recorded, under its lease) and a
huey periodic task on the schedule in schedule.py, which the worker's scheduler enqueues.

Every job is safe to run twice and safe after a crash mid-way: the lease stops two runs at
once, and the work itself is idempotent (digests are recorded per coach and ISO week by the
coaching domain's `DigestSent`; a survey reminder per person and day offset by the surveys
domain's `SurveyInvitation.reminded_day`, in the transaction that mails it; seats reconcile
to the member count; purges and pruning delete by expiry; a retried mail is marked sent in
the same transaction as its attempt).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime
from typing import Any

from huey import crontab
from sqlmodel import Session, col, select

from pmo_saas.billing.entitlements import billing_enabled
from pmo_saas.billing.services import reconcile_seats
from pmo_saas.coaching.digest import iso_week, send_org_digests
from pmo_saas.coaching.services.actions import notify_overdue_actions
from pmo_saas.collaboration.services.mailing import send_notification_mail
from pmo_saas.db import system_session, tenant_session
from pmo_saas.delivery.sync.jobs import sync_all_connections
from pmo_saas.identity.mail import MailNotSent, keep_failed_mail
from pmo_saas.identity.models import Organization
from pmo_saas.jobs.mail_retry import retry_failed_mail
from pmo_saas.jobs.purge import purge_expired
from pmo_saas.jobs.runner import huey
from pmo_saas.jobs.schedule import JOBS_BY_NAME, JobSpec
from pmo_saas.jobs.services import FinishedRun, Progress, run_job
from pmo_saas.kernel.clock import utcnow
from pmo_saas.kernel.context import TenantContext
from pmo_saas.kernel.errors import ReadOnly
from pmo_saas.kernel.roles import Role
from pmo_saas.rest.keys import prune_rate_counters
from pmo_saas.surveys import services as surveys

log = logging.getLogger("pmo_saas.jobs")


def _run(name: str, work: Callable[[Progress], None]) -> FinishedRun | None:
    spec: JobSpec = JOBS_BY_NAME[name]
    return run_job(spec.name, work, lease=spec.lease)


def _org_ids() -> list[int]:
    with system_session() as session:
        ids = session.exec(select(Organization.id).order_by(col(Organization.id))).all()
    return [i for i in ids if i is not None]


def _system_ctx(org_id: int) -> TenantContext:
    return TenantContext(org_id=org_id, user_id=None, role=Role.OWNER)


def _mail_each_org(
    progress: Progress,
    send: Callable[[Session, TenantContext], int],
    *,
    what: str,
    after_org: Callable[[int], None] | None = None,
) -> list[int]:
    """`send` in one tenant transaction per organisation, mail SMTP refuses kept for
    `retry_mail`; returns the organisations where it failed (the others still ran)."""
    failed: list[int] = []
    with keep_failed_mail():
        for org_id in _org_ids():
            ctx = _system_ctx(org_id)
            try:
                with tenant_session(ctx) as session:
                    sent = send(session, ctx)
            except Exception:  # one organisation's failure must not stop the others
                log.exception("%s failed for organisation %s", what, org_id)
                failed.append(org_id)
            else:
                progress.done(sent)
            if after_org is not None:
                after_org(org_id)
    return failed


def run_coaching_digest(
    *, now: datetime | None = None, after_org: Callable[[int], None] | None = None
) -> FinishedRun | None:
    """This week's coaching digests, one tenant transaction per organisation.

    Mail SMTP refuses is kept for `retry_mail` (the digest still counts as sent this week).
    `after_org(org_id)` runs after each organisation's transaction committed.
    """

    def work(progress: Progress) -> None:
        at = now or utcnow()
        failed = _mail_each_org(
            progress,
            lambda session, ctx: send_org_digests(session=session, ctx=ctx, now=at),
            what="coaching digest",
            after_org=after_org,
        )
        progress.note(f"week {iso_week(at)}: {progress.items} digests sent")
        if failed:
            raise RuntimeError(f"the digest failed for organisations {failed}")

    return _run("coaching_digest", work)


def run_survey_reminders(*, after_each: Callable[[int], None] | None = None) -> FinishedRun | None:
    """Reminders due by each survey's launch schedule, one tenant transaction per person (its
    mark, new link and mail together). A mail SMTP refuses rolls its transaction back, so the
    next run sends it. The run's record holds a count only: no person, no survey.
    `after_each(invitation_id)` runs after each person's transaction."""

    def work(progress: Progress) -> None:
        at = utcnow()
        unsent = 0
        for org_id in _org_ids():
            ctx = _system_ctx(org_id)
            with tenant_session(ctx) as session:
                due = surveys.due_reminders(session=session, now=at)
            for batch in due:
                sent = 0
                for invitation_id in batch.invitation_ids:
                    try:
                        with tenant_session(ctx) as session:
                            done = surveys.send_scheduled_reminder(
                                session=session,
                                ctx=ctx,
                                survey_id=batch.survey_id,
                                invitation_id=invitation_id,
                                day=batch.day,
                            )
                    except MailNotSent:
                        unsent += 1
                    except ReadOnly:  # billing lapsed: the workspace sends nothing new
                        break
                    else:
                        sent += done
                        progress.done(int(done))
                    if after_each is not None:
                        after_each(invitation_id)
                if sent:
                    with tenant_session(ctx) as session:
                        surveys.record_scheduled_reminders(
                            session=session, ctx=ctx, survey_id=batch.survey_id
                        )
        progress.note(f"{progress.items} reminders sent")
        if unsent:
            raise RuntimeError(f"{unsent} reminders not sent (mail server): the next run retries")

    return _run("survey_reminders", work)


def run_notification_mail(*, digest: bool = False) -> FinishedRun | None:
    """Pending notification mail (at once, or the daily digest), one tenant transaction per
    organisation: its mails and their "mailed" marks together, so a crash sends nothing twice."""

    def work(progress: Progress) -> None:
        at = utcnow()
        failed = _mail_each_org(
            progress,
            lambda session, ctx: send_notification_mail(
                session=session, ctx=ctx, now=at, digest=digest
            ),
            what="notification mail",
        )
        progress.note(f"{progress.items} mails sent")
        if failed:
            raise RuntimeError(f"notification mail failed for organisations {failed}")

    return _run("notification_digest" if digest else "notification_mail", work)


def run_notification_digest() -> FinishedRun | None:
    return run_notification_mail(digest=True)


def run_due_events(*, now: datetime | None = None) -> FinishedRun | None:
    """Surveys past their end date closed, and newly overdue coaching actions announced, one
    tenant transaction per organisation (a failure in one leaves the others done)."""

    def work(progress: Progress) -> None:
        at = now or utcnow()
        failed: list[int] = []
        for org_id in _org_ids():
            ctx = _system_ctx(org_id)
            try:
                with tenant_session(ctx) as session:
                    closed = surveys.close_due_surveys(session=session, ctx=ctx, now=at)
                    told = notify_overdue_actions(session=session, ctx=ctx, today=at.date())
            except ReadOnly:  # billing lapsed: the workspace changes nothing
                continue
            except Exception:  # one organisation's failure must not stop the others
                log.exception("due events failed for organisation %s", org_id)
                failed.append(org_id)
            else:
                progress.done(closed + told)
        progress.note(f"{progress.items} surveys closed or actions announced")
        if failed:
            raise RuntimeError(f"due events failed for organisations {failed}")

    return _run("due_events", work)


def run_reconcile_seats() -> FinishedRun | None:
    def work(progress: Progress) -> None:
        if not billing_enabled():
            progress.note("billing is off (no Stripe key): nothing to reconcile")
            return
        pushed = reconcile_seats()
        progress.done(len(pushed))
        progress.note(", ".join(f"org {org}: {seats} seats" for org, seats in pushed))

    return _run("reconcile_seats", work)


def run_prune_rate_counters() -> FinishedRun | None:
    def work(progress: Progress) -> None:
        progress.done(prune_rate_counters())

    return _run("prune_rate_counters", work)


def run_purge_expired(
    *, batch_size: int = 500, after_batch: Callable[[int], None] | None = None
) -> FinishedRun | None:
    def work(progress: Progress) -> None:
        def committed(count: int) -> None:
            progress.done(count)
            if after_batch is not None:
                after_batch(count)

        purged = purge_expired(batch_size=batch_size, after_batch=committed)
        progress.note(
            f"{purged.sessions} sessions, {purged.sign_in_tickets} sign-in tickets, "
            f"{purged.password_resets} password resets, {purged.share_links} share links"
        )

    return _run("purge_expired", work)


def run_retry_mail(*, after_each: Callable[[str], None] | None = None) -> FinishedRun | None:
    def work(progress: Progress) -> None:
        def committed(status: str) -> None:
            if status == "sent":
                progress.done()
            if after_each is not None:
                after_each(status)

        retried = retry_failed_mail(after_each=committed)
        progress.note(
            f"{retried.delivered} delivered, {retried.failed} to try again, "
            f"{retried.gave_up} given up"
        )

    return _run("retry_mail", work)


def run_delivery_sync() -> FinishedRun | None:
    def work(progress: Progress) -> None:
        done = sync_all_connections(_org_ids(), _system_ctx)
        progress.done(done.ok)
        progress.note(f"{done.ok} connections synced, {done.failed} failed")

    return _run("delivery_sync", work)


RUNNERS: dict[str, Callable[[], FinishedRun | None]] = {
    "coaching_digest": run_coaching_digest,
    "survey_reminders": run_survey_reminders,
    "reconcile_seats": run_reconcile_seats,
    "prune_rate_counters": run_prune_rate_counters,
    "purge_expired": run_purge_expired,
    "retry_mail": run_retry_mail,
    "delivery_sync": run_delivery_sync,
    "notification_mail": run_notification_mail,
    "notification_digest": run_notification_digest,
    "due_events": run_due_events,
}


def _summary(run: FinishedRun | None) -> dict[str, Any] | None:
    """A task's result (kept by huey): plain values only."""
    if run is None:
        return None
    return {"job": run.job, "outcome": run.outcome, "items": run.items, "detail": run.detail}


def _schedule(name: str) -> Any:
    return crontab(strict=True, **JOBS_BY_NAME[name].cron)


@huey.periodic_task(_schedule("coaching_digest"), name="coaching_digest")
def coaching_digest_task() -> dict[str, Any] | None:
    return _summary(run_coaching_digest())


@huey.periodic_task(_schedule("survey_reminders"), name="survey_reminders")
def survey_reminders_task() -> dict[str, Any] | None:
    return _summary(run_survey_reminders())


@huey.periodic_task(_schedule("reconcile_seats"), name="reconcile_seats")
def reconcile_seats_task() -> dict[str, Any] | None:
    return _summary(run_reconcile_seats())


@huey.periodic_task(_schedule("prune_rate_counters"), name="prune_rate_counters")
def prune_rate_counters_task() -> dict[str, Any] | None:
    return _summary(run_prune_rate_counters())


@huey.periodic_task(_schedule("purge_expired"), name="purge_expired")
def purge_expired_task() -> dict[str, Any] | None:
    return _summary(run_purge_expired())


@huey.periodic_task(_schedule("retry_mail"), name="retry_mail")
def retry_mail_task() -> dict[str, Any] | None:
    return _summary(run_retry_mail())


@huey.periodic_task(_schedule("delivery_sync"), name="delivery_sync")
def delivery_sync_task() -> dict[str, Any] | None:
    return _summary(run_delivery_sync())


@huey.periodic_task(_schedule("notification_mail"), name="notification_mail")
def notification_mail_task() -> dict[str, Any] | None:
    return _summary(run_notification_mail())


@huey.periodic_task(_schedule("notification_digest"), name="notification_digest")
def notification_digest_task() -> dict[str, Any] | None:
    return _summary(run_notification_digest())


@huey.periodic_task(_schedule("due_events"), name="due_events")
def due_events_task() -> dict[str, Any] | None:
    return _summary(run_due_events())


@huey.task(name="run_job_now")
def run_job_now(name: str) -> dict[str, Any] | None:
    """Any job on demand (operators, tests): `run_job_now("purge_expired")` enqueues it."""
    return _summary(RUNNERS[name]())
