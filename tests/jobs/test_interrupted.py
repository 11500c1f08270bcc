"""A job interrupted mid-way (an exception after part of its work) is recorded as failed with
what it finished, and the next run finishes the rest without redoing any of it."""

from __future__ import annotations

import pytest

from pmo_saas.db import tenant_session
from pmo_saas.identity.mail import keep_failed_mail, send_mail
from pmo_saas.jobs import tasks
from pmo_saas.kernel import clock
from pmo_saas.kernel.context import TenantContext
from tests import factories
from tests.jobs.helpers import (
    MONDAY,
    add_sessions,
    count_sessions,
    crash_on_call,
    email_of,
    free_port,
    outbox,
    runs,
    use_smtp,
)
from tests.peers import smtp


def test_an_interrupted_purge_finishes_on_the_next_run(org_a: TenantContext) -> None:
    add_sessions(org_a, expired=5, live=1)
    crashed = tasks.run_purge_expired(batch_size=2, after_batch=crash_on_call(1))
    assert crashed is not None and crashed.outcome == "failed"
    assert crashed.items == 2 and "interrupted after step 1" in crashed.detail
    assert count_sessions() == 4  # the first batch is committed, the rest still there

    finished = tasks.run_purge_expired(batch_size=2)
    assert finished is not None and (finished.outcome, finished.items) == ("ok", 3)
    assert count_sessions() == 1
    assert [r.outcome for r in runs("purge_expired")] == ["failed", "ok"]


def test_an_interrupted_digest_sends_the_rest_on_the_next_run_and_nothing_twice(
    org_a: TenantContext, org_b: TenantContext, monkeypatch: pytest.MonkeyPatch
) -> None:
    use_smtp(monkeypatch, smtp.port())
    factories.make_coaching_plan(org_a)
    factories.make_coaching_plan(org_b)
    clock.freeze(MONDAY)

    crashed = tasks.run_coaching_digest(after_org=crash_on_call(1))
    assert crashed is not None and (crashed.outcome, crashed.items) == ("failed", 1)
    assert len(smtp.messages(to=email_of(org_a))) == 1
    assert smtp.messages(to=email_of(org_b)) == []

    finished = tasks.run_coaching_digest()
    assert finished is not None and (finished.outcome, finished.items) == ("ok", 1)
    assert len(smtp.messages(to=email_of(org_a))) == 1
    assert len(smtp.messages(to=email_of(org_b))) == 1


def test_an_interrupted_mail_retry_delivers_the_rest_once(
    org_a: TenantContext, monkeypatch: pytest.MonkeyPatch
) -> None:
    use_smtp(monkeypatch, free_port())  # nobody listens: every send fails
    addresses = [factories.unique_email("retry") for _ in range(3)]
    with keep_failed_mail(), tenant_session(org_a) as session:
        for to in addresses:
            send_mail(session=session, to=to, subject="Report", body="Hello", org_id=org_a.org_id)
    assert [m.status for m in outbox()] == ["failed"] * 3

    use_smtp(monkeypatch, smtp.port())  # the mail server is back
    crashed = tasks.run_retry_mail(after_each=crash_on_call(1))
    assert crashed is not None and (crashed.outcome, crashed.items) == ("failed", 1)
    finished = tasks.run_retry_mail()
    assert finished is not None and (finished.outcome, finished.items) == ("ok", 2)
    assert [len(smtp.messages(to=to)) for to in addresses] == [1, 1, 1]
    assert [m.status for m in outbox()] == ["sent"] * 3
    again = tasks.run_retry_mail()
    assert again is not None and again.items == 0
