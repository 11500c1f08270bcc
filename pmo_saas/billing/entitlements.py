"""What an organisation's plan allows: the one place every plan-limited service consults.

With no Stripe keys configured (self-hosting, the embedded default) billing is off and every
feature is available without limits.

Plan-limited domains count their own open items: at import, a domain registers a counter,
    entitlements.register_usage_counter("open_surveys", count_open_surveys)
where `count_open_surveys(session) -> int` counts inside the caller's tenant session. Its
create/open service then calls `check_can_open_survey(session=session, ctx=ctx)` before writing.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from sqlalchemy import event, func
from sqlmodel import Session, col, select

from pmo_saas import db
from pmo_saas.billing.models import BillingSubscription
from pmo_saas.identity import plan_rules
from pmo_saas.identity.models import Invitation, Membership
from pmo_saas.kernel.clock import as_utc, utcnow
from pmo_saas.kernel.context import TenantContext
from pmo_saas.kernel.errors import LimitReached, ReadOnly
from pmo_saas.settings import get_settings

log = logging.getLogger("pmo_saas.billing")


class Plan(StrEnum):
    FREE = "free"
    TEAM = "team"
    ENTERPRISE = "enterprise"


class Feature(StrEnum):
    SSO = "sso"
    AUDIT_EXPORT = "audit_export"
    API = "api"


PLAN_LABELS = {Plan.FREE: "Free", Plan.TEAM: "Team", Plan.ENTERPRISE: "Enterprise"}
FEATURE_LABELS = {
    Feature.SSO: "Single sign-on",
    Feature.AUDIT_EXPORT: "Audit-log export",
    Feature.API: "API access",
}
# Statuses in which a paid subscription grants its plan (past_due: until the grace period ends,
# after which the workspace is read-only but keeps its plan's limits).
PAID_STATUSES = {"trialing", "active", "past_due", "unpaid"}
UPGRADE_HINT = "An owner or admin can upgrade to the Team plan on the Billing page."


@dataclass(frozen=True, slots=True)
class Entitlements:
    plan: Plan
    max_members: int | None
    max_open_surveys: int | None
    max_open_assessment_rounds: int | None
    features: frozenset[Feature]


UNLIMITED = Entitlements(Plan.ENTERPRISE, None, None, None, frozenset(Feature))
PLAN_RULES = {
    Plan.FREE: Entitlements(Plan.FREE, 10, 1, 1, frozenset()),
    Plan.TEAM: Entitlements(Plan.TEAM, None, None, None, frozenset()),
    Plan.ENTERPRISE: UNLIMITED,
}

# ------------------------------------------------------------------ usage counters

UsageCounter = Callable[[Session], int]
_counters: dict[str, UsageCounter] = {}


def register_usage_counter(limit: str, counter: UsageCounter) -> None:
    """A domain tells billing how to count its open items ("open_surveys", ...)."""
    _counters[limit] = counter


def count_usage(limit: str, session: Session) -> int:
    counter = _counters.get(limit)
    return counter(session) if counter else 0


def count_members(session: Session, org_id: int) -> int:
    return session.exec(
        select(func.count()).select_from(Membership).where(Membership.org_id == org_id)
    ).one()


def count_pending_invitations(session: Session, org_id: int) -> int:
    return session.exec(
        select(func.count())
        .select_from(Invitation)
        .where(
            Invitation.org_id == org_id,
            col(Invitation.accepted_at).is_(None),
            col(Invitation.revoked_at).is_(None),
            col(Invitation.expires_at) > utcnow(),
        )
    ).one()


# ------------------------------------------------------------------ the plan


def billing_enabled() -> bool:
    return bool(get_settings().stripe_secret_key.get_secret_value())


def current_subscription(session: Session, org_id: int) -> BillingSubscription | None:
    """The subscription that decides the plan: a live one first, else the latest."""
    rows = session.exec(
        select(BillingSubscription)
        .where(BillingSubscription.org_id == org_id)
        .order_by(col(BillingSubscription.updated_at).desc(), col(BillingSubscription.id).desc())
    ).all()
    for row in rows:
        if row.status in PAID_STATUSES:
            return row
    return rows[0] if rows else None


def plan_of(subscription: BillingSubscription | None) -> Plan:
    if subscription is None or subscription.status not in PAID_STATUSES:
        return Plan.FREE
    try:
        return Plan(subscription.plan)
    except ValueError:
        return Plan.TEAM


def entitlements(*, session: Session, org_id: int) -> Entitlements:
    """The one function that says what an organisation may do."""
    if not billing_enabled():
        return UNLIMITED
    return PLAN_RULES[plan_of(current_subscription(session, org_id))]


def read_only_since(subscription: BillingSubscription | None) -> datetime | None:
    """When an overdue workspace turns (or turned) read-only; None when it is not overdue."""
    if subscription is None or subscription.status not in ("past_due", "unpaid"):
        return None
    since = as_utc(subscription.past_due_since or subscription.updated_at)
    return since + timedelta(days=get_settings().billing_past_due_grace_days)


def _refuse(limit: str, allowed: int, what: str) -> LimitReached:
    return LimitReached(
        f"The Free plan allows {allowed} {what}. {UPGRADE_HINT}",
        limit=limit,
    )


def check_can_add_member(*, session: Session, ctx: TenantContext) -> None:
    """Raises LimitReached when the plan has no room for another member."""
    if not billing_enabled():
        return
    rules = entitlements(session=session, org_id=ctx.org_id)
    if rules.max_members is None:
        return
    used = count_members(session, ctx.org_id) + count_pending_invitations(session, ctx.org_id)
    if used >= rules.max_members:
        raise LimitReached(
            f"The Free plan allows up to {rules.max_members} members, counting pending "
            f"invitations, and this organisation has {used}. Revoke an invitation or remove "
            f"a member, or upgrade: {UPGRADE_HINT}",
            limit="members",
        )


def check_can_open_survey(*, session: Session, ctx: TenantContext) -> None:
    """Raises LimitReached when the plan allows no further open survey."""
    if not billing_enabled():
        return
    allowed = entitlements(session=session, org_id=ctx.org_id).max_open_surveys
    if allowed is not None and count_usage("open_surveys", session) >= allowed:
        raise _refuse(
            "open_surveys", allowed, "open survey at a time: close the open one first, or upgrade"
        )


def check_can_open_assessment_round(*, session: Session, ctx: TenantContext) -> None:
    """Raises LimitReached when the plan allows no further open assessment round."""
    if not billing_enabled():
        return
    allowed = entitlements(session=session, org_id=ctx.org_id).max_open_assessment_rounds
    if allowed is not None and count_usage("open_assessment_rounds", session) >= allowed:
        raise _refuse(
            "open_assessment_rounds",
            allowed,
            "open assessment round at a time: close the open one first, or upgrade",
        )


def has_feature(*, session: Session, ctx: TenantContext, feature: Feature) -> bool:
    return feature in entitlements(session=session, org_id=ctx.org_id).features


def check_feature(*, session: Session, ctx: TenantContext, feature: Feature) -> None:
    """Raises LimitReached unless the plan includes `feature` (SSO, audit export, API)."""
    if not has_feature(session=session, ctx=ctx, feature=feature):
        raise LimitReached(
            f"{FEATURE_LABELS[feature]} is part of the Enterprise plan. An owner or admin can "
            "change the plan on the Billing page.",
            limit=feature.value,
        )


READ_ONLY_MESSAGE = (
    "This workspace is read-only because an invoice is overdue. Nothing has been "
    "deleted: once an owner or admin pays it under Billing > Manage billing, "
    "editing is back."
)


def read_only_message(session: Session, ctx: TenantContext) -> str | None:
    """Why the workspace is read-only (past due beyond the grace period), or None."""
    if not billing_enabled():
        return None
    since = read_only_since(current_subscription(session, ctx.org_id))
    return READ_ONLY_MESSAGE if since is not None and utcnow() >= since else None


# Every tenant session refuses writes to the domains' guarded tables while this says so.
db.guard_tenant_writes(read_only_message)


def check_writable(*, session: Session, ctx: TenantContext) -> None:
    """Raises ReadOnly when the workspace is read-only, for writes the tenant-session hook cannot
    refuse: the organisation row (not a tenant table), and team members and invitations, whose
    tables stay writable so that removing a member or revoking an invitation works while
    read-only."""
    message = read_only_message(session, ctx)
    if message:
        raise ReadOnly(message)


def seats_changed(*, session: Session, org_id: int) -> None:
    """Membership changed: the subscription's quantity follows (when billing is on).

    Stripe is told after this transaction commits, so a rolled-back change bills nothing and
    an unreachable Stripe never blocks a member from joining; the subscription.updated
    webhook then brings the mirror's seat count in line.
    """
    if not billing_enabled():
        return
    subscription = current_subscription(session, org_id)
    if subscription is None or subscription.status not in PAID_STATUSES:
        return
    session.flush()
    seats = max(count_members(session, org_id), 1)
    if seats == subscription.seats:
        return
    subscription_id = subscription.stripe_subscription_id

    def push_after_commit(_session: Session) -> None:
        from pmo_saas.billing import gateway

        try:
            gateway.set_subscription_quantity(subscription_id=subscription_id, quantity=seats)
        except gateway.GatewayError:
            log.warning("seat count of %s not sent to Stripe (org %s)", subscription_id, org_id)

    event.listen(session, "after_commit", push_after_commit, once=True)


def _check_sso_allowed(*, session: Session, ctx: TenantContext) -> None:
    check_feature(session=session, ctx=ctx, feature=Feature.SSO)


plan_rules.register(
    plan_rules.PlanRules(
        check_writable=check_writable,
        check_can_add_member=check_can_add_member,
        check_sso_allowed=_check_sso_allowed,
        seats_changed=seats_changed,
    )
)
