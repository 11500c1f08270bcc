"""Every background job: its name, what it does (as admins read it), and when it runs (UTC).

One table read by tasks.py (the huey periodic tasks) and by the admin page (next run).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from huey import crontab


@dataclass(frozen=True)
class JobSpec:
    name: str
    title: str
    when: str  # the schedule in words
    cron: dict[str, str]
    lease: timedelta = timedelta(minutes=30)
    matches: Callable[[datetime], bool] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "matches", crontab(strict=True, **self.cron))

    def next_run(self, after: datetime) -> datetime | None:
        """The first scheduled minute strictly after `after` (UTC), within 8 days."""
        moment = after.astimezone(UTC).replace(second=0, microsecond=0, tzinfo=None)
        for _ in range(8 * 24 * 60):
            moment += timedelta(minutes=1)
            if self.matches(moment):
                return moment.replace(tzinfo=UTC)
        return None


JOBS: tuple[JobSpec, ...] = (
    # Hourly through Monday: the first run of the week sends, the others catch up what failed.
    JobSpec(
        "coaching_digest",
        "Weekly coaching digest to coaches",
        "Mondays, hourly from 06:00",
        {"minute": "0", "hour": "6-23", "day_of_week": "1"},
        lease=timedelta(hours=1),
    ),
    # Hourly: a reminder due on day N (after the launch's time of day) goes at the next :30.
    JobSpec(
        "survey_reminders",
        "Survey reminders on the schedule set at launch, to those who have not answered",
        "hourly at :30",
        {"minute": "30"},
    ),
    JobSpec(
        "reconcile_seats",
        "Subscription seats reconciled with Stripe",
        "hourly at :15",
        {"minute": "15"},
    ),
    JobSpec(
        "prune_rate_counters",
        "API rate counters of past minutes removed",
        "every 10 minutes",
        {"minute": "*/10"},
    ),
    JobSpec(
        "purge_expired",
        "Expired sessions, sign-in tickets, password resets and share links purged",
        "hourly at :45",
        {"minute": "45"},
    ),
    JobSpec(
        "notification_mail",
        "Notification mail for those who asked to be told at once",
        "every minute",
        {"minute": "*"},
        lease=timedelta(minutes=10),
    ),
    JobSpec(
        "notification_digest",
        "Daily digest of notifications for those who chose it",
        "daily at 07:00",
        {"minute": "0", "hour": "7"},
        lease=timedelta(hours=1),
    ),
    # Half-hourly: a survey closes within half an hour of its end date; an action is overdue
    # the day after its due date (UTC). Both notify once per event (the event key).
    JobSpec(
        "due_events",
        "Surveys closed on their end date, and owners told of newly overdue coaching actions",
        "half-hourly at :05 and :35",
        {"minute": "5,35"},
        lease=timedelta(minutes=25),
    ),
    JobSpec(
        "retry_mail",
        "Mail the mail server refused, retried with back-off",
        "every minute",
        {"minute": "*"},
        lease=timedelta(minutes=10),
    ),
    JobSpec(
        "delivery_sync",
        "Work items synchronised from each organisation's Jira and GitHub connections",
        "every 15 minutes",
        {"minute": "*/15"},
        lease=timedelta(minutes=14),
    ),
)
JOBS_BY_NAME = {job.name: job for job in JOBS}
