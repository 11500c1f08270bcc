"""Seats reconciled with Stripe (the local peer): the job pushes the member count once; run
again once Stripe confirmed it, there is nothing left to push (it reconciles to the truth, so
a run before the confirmation only sets the same quantity again)."""

from __future__ import annotations

import pytest

from pmo_saas.jobs import tasks
from pmo_saas.kernel.context import TenantContext
from tests.billing.conftest import wait_for
from tests.billing.people import add_people
from tests.billing.test_checkout_flow import overview, upgrade
from tests.jobs.helpers import runs


@pytest.mark.usefixtures("peer_billing")
def test_reconcile_job_pushes_missed_seats_once(org_a: TenantContext) -> None:
    upgrade(org_a)
    wait_for(lambda: overview(org_a).status == "trialing")
    add_people(org_a, 2)  # joined while Stripe was unreachable, say

    first = tasks.run_reconcile_seats()
    assert first is not None and (first.outcome, first.items) == ("ok", 1)
    assert first.detail == f"org {org_a.org_id}: 3 seats"
    wait_for(lambda: overview(org_a).seats_billed == 3)

    second = tasks.run_reconcile_seats()
    assert second is not None and (second.outcome, second.items) == ("ok", 0)
    assert overview(org_a).seats_billed == 3
    assert [r.items for r in runs("reconcile_seats")] == [1, 0]
