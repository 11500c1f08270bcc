"""The billing page's states: roles enforced on the server, and no Stripe secret in any state.

Handlers are called as the websocket would call them (tests/state_harness.py): a state tree
whose router carries the HttpOnly session cookie and the page URL.
"""

from __future__ import annotations

import json
import re

import httpx
import pytest
from sqlalchemy import func
from sqlmodel import select

from pmo_saas.billing import services
from pmo_saas.billing.banner import BillingBannerState
from pmo_saas.billing.models import BillingCustomer
from pmo_saas.billing.pages import BillingState
from pmo_saas.db import system_session, tenant_session
from pmo_saas.identity import services as identity
from pmo_saas.identity.models import AuditEvent
from pmo_saas.kernel.context import TenantContext
from pmo_saas.kernel.roles import Role
from tests import factories
from tests.billing.conftest import wait_for
from tests.peers import stripe
from tests.state_harness import run, state_for


def _count(model: type) -> int:
    with system_session() as session:
        return int(session.exec(select(func.count()).select_from(model)).one())


def _billing_path(ctx: TenantContext, query: str = "") -> str:
    return f"/o/{ctx.org_slug}/billing" + query


def _whole_state(state: BillingState) -> str:
    """Every var of the state tree, as the browser would receive it."""
    return json.dumps(state._get_root_state().dict(), default=str)


@pytest.mark.usefixtures("billing_on")
@pytest.mark.parametrize("role", [Role.MEMBER, Role.COACH, Role.VIEWER])
def test_non_admins_are_refused_the_page_upgrade_and_portal(org_a, role):
    person = factories.make_member(org_a, role)
    token = identity.start_session(user_id=person.user_id)
    audit_before = _count(AuditEvent)

    async def scenario():
        state = await state_for(BillingState, token=token, path=_billing_path(org_a))
        await state.load()
        assert state.error == services.ADMIN_ONLY
        assert not state.loaded and state.overview.limits == []
        assert await state.upgrade("team") is None
        assert state.error == services.ADMIN_ONLY
        assert await state.manage_billing() is None
        assert state.error == services.ADMIN_ONLY

    run(scenario())
    assert _count(BillingCustomer) == 0 and _count(AuditEvent) == audit_before


@pytest.mark.usefixtures("billing_on")
def test_another_organisations_owner_is_refused(org_a, org_b):
    token = identity.start_session(user_id=org_b.user_id)

    async def scenario():
        state = await state_for(BillingState, token=token, path=_billing_path(org_a))
        await state.load()
        assert "not found" in state.error.lower() and not state.loaded
        assert await state.upgrade("team") is None
        assert "not found" in state.error.lower()

    run(scenario())
    assert _count(BillingCustomer) == 0


def test_billing_off_says_so_and_offers_nothing(org_a):
    token = identity.start_session(user_id=org_a.user_id)

    async def scenario():
        state = await state_for(BillingState, token=token, path=_billing_path(org_a))
        await state.load()
        assert state.loaded and state.error == ""
        assert not state.overview.billing_enabled
        assert state.overview.message == services.BILLING_OFF_MESSAGE
        assert state.overview.offers == [] and not state.overview.can_manage_billing
        await state.upgrade("team")
        assert state.error == services.BILLING_OFF_MESSAGE
        banner = await state_for(BillingBannerState, token=token, path=f"/o/{org_a.org_slug}")
        await banner.load()
        assert banner.message == ""

    run(scenario())


def test_owner_upgrades_and_no_secret_reaches_any_state(org_a, peer_billing):
    token = identity.start_session(user_id=org_a.user_id)
    member = factories.make_member(org_a, Role.MEMBER)
    member_token = identity.start_session(user_id=member.user_id)

    async def upgrade():
        state = await state_for(BillingState, token=token, path=_billing_path(org_a))
        await state.load()
        assert state.overview.plan == "free"
        assert [o.plan for o in state.overview.offers] == ["team", "enterprise"]
        navigation = await state.upgrade("team")
        assert state.error == ""
        script = str(navigation)
        found = re.search(re.escape(peer_billing) + r"/checkout/cs_test_[0-9a-f]+", script)
        assert found and "location.assign" in script
        return found.group(0), state

    checkout_url, state = run(upgrade())
    serialised = [_whole_state(state)]
    paid = httpx.post(checkout_url + "/pay", data={"card": "4242424242424242"})
    assert paid.headers["location"].endswith(_billing_path(org_a, "?checkout=success"))

    async def back_from_checkout(overview_plan: str):
        state = await state_for(
            BillingState, token=token, path=_billing_path(org_a, "?checkout=success")
        )
        follow = await state.load()
        assert state.overview.plan == overview_plan
        return state, follow

    def plan_now() -> str:
        with tenant_session(org_a) as session:
            return services.billing_overview(session=session, ctx=org_a).plan

    wait_for(lambda: plan_now() == "team")
    state, follow = run(back_from_checkout("team"))
    assert follow is None and state.notice == "Your Team subscription is set up."
    assert state.overview.status == "trialing" and state.overview.trial_ends_on
    serialised.append(_whole_state(state))

    async def portal_and_banner():
        state = await state_for(BillingState, token=token, path=_billing_path(org_a))
        await state.load()
        navigation = str(await state.manage_billing())
        assert f"{peer_billing}/billing_portal/" in navigation
        banner = await state_for(
            BillingBannerState, token=member_token, path=f"/o/{org_a.org_slug}/members"
        )
        await banner.load()
        return [_whole_state(state), _whole_state(banner), navigation]

    serialised += run(portal_and_banner())
    everything = "\n".join(serialised)
    assert "trialing" in everything  # the serialisation holds the real data...
    for secret in (stripe.SECRET_KEY, stripe.WEBHOOK_SECRET):
        assert secret not in everything  # ...and no secret


@pytest.mark.usefixtures("billing_on")
def test_checkout_success_before_the_webhook_starts_following(org_a):
    token = identity.start_session(user_id=org_a.user_id)

    async def scenario():
        path = _billing_path(org_a, "?checkout=success")
        state = await state_for(BillingState, token=token, path=path)
        follow = await state.load()
        assert state.waiting and "Waiting for Stripe" in state.notice
        assert "follow_checkout" in str(follow)
        canceled = await state_for(
            BillingState, token=token, path=_billing_path(org_a, "?checkout=canceled")
        )
        await canceled.load()
        assert canceled.notice == "Checkout was cancelled: nothing was charged."

    run(scenario())
