"""Billing actions for the billing page: the overview, Upgrade (Checkout) and Manage billing.

The plan itself changes only through verified Stripe webhooks (see webhooks.py); these
functions read the local mirror and ask Stripe for hosted pages.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import func
from sqlmodel import Session, col, select

from pmo_saas.billing import gateway
from pmo_saas.billing.entitlements import (
    PAID_STATUSES,
    PLAN_LABELS,
    PLAN_RULES,
    Plan,
    billing_enabled,
    count_members,
    count_pending_invitations,
    count_usage,
    current_subscription,
    plan_of,
    read_only_since,
)
from pmo_saas.billing.models import BillingCustomer, BillingInvoice, BillingSubscription
from pmo_saas.billing.schemas import BillingOverview, InvoiceRow, LimitRow, PlanOffer
from pmo_saas.db import system_session
from pmo_saas.identity import audit
from pmo_saas.identity.models import Organization, User
from pmo_saas.kernel.clock import as_utc, utcnow
from pmo_saas.kernel.context import TenantContext
from pmo_saas.kernel.errors import Conflict, ValidationFailed
from pmo_saas.kernel.roles import Role
from pmo_saas.settings import get_settings

STATUS_LABELS = {
    "trialing": "Trial",
    "active": "Active",
    "past_due": "Payment overdue",
    "unpaid": "Unpaid",
    "canceled": "Canceled",
    "incomplete": "Awaiting payment",
    "incomplete_expired": "Payment not completed",
}
BILLING_OFF_MESSAGE = "Billing is off on this server: every feature is available, without limits."
ADMIN_ONLY = "Only owners and admins can manage billing."


def _day(value: datetime | None) -> str:
    return f"{as_utc(value):%Y-%m-%d}" if value else ""


def format_amount(cents: int, currency: str) -> str:
    return f"{cents / 100:,.2f} {currency.upper()}"


def price_id_for(plan: Plan) -> str:
    settings = get_settings()
    return {
        Plan.TEAM: settings.stripe_price_team,
        Plan.ENTERPRISE: settings.stripe_price_enterprise,
    }.get(plan, "")


def _limit_rows(session: Session, ctx: TenantContext, plan: Plan) -> list[LimitRow]:
    rules = PLAN_RULES[plan]

    def allowed(value: int | None) -> str:
        return "Unlimited" if value is None else str(value)

    return [
        LimitRow(
            name="Members (with pending invitations)",
            used=count_members(session, ctx.org_id)
            + count_pending_invitations(session, ctx.org_id),
            allowed=allowed(rules.max_members),
        ),
        LimitRow(
            name="Open surveys",
            used=count_usage("open_surveys", session),
            allowed=allowed(rules.max_open_surveys),
        ),
        LimitRow(
            name="Open assessment rounds",
            used=count_usage("open_assessment_rounds", session),
            allowed=allowed(rules.max_open_assessment_rounds),
        ),
    ]


def billing_overview(*, session: Session, ctx: TenantContext) -> BillingOverview:
    """The billing page's data (owners and admins)."""
    ctx.require(Role.ADMIN, ADMIN_ONLY)
    seats_used = count_members(session, ctx.org_id)
    if not billing_enabled():
        return BillingOverview(
            billing_enabled=False,
            message=BILLING_OFF_MESSAGE,
            plan="unlimited",
            plan_label="Self-hosted (no billing)",
            seats_used=seats_used,
        )
    subscription = current_subscription(session, ctx.org_id)
    plan = plan_of(subscription)
    has_customer = session.exec(select(BillingCustomer.id)).first() is not None
    invoices = session.exec(
        select(BillingInvoice)
        .order_by(col(BillingInvoice.issued_at).desc(), col(BillingInvoice.id).desc())
        .limit(24)
    ).all()
    overview = BillingOverview(
        billing_enabled=True,
        plan=plan.value,
        plan_label=PLAN_LABELS[plan],
        seats_used=seats_used,
        limits=_limit_rows(session, ctx, plan),
        invoices=[
            InvoiceRow(
                number=inv.number or inv.stripe_invoice_id,
                issued_on=_day(inv.issued_at),
                amount=format_amount(inv.amount_paid or inv.amount_due, inv.currency),
                status=inv.status,
                url=inv.hosted_invoice_url,
            )
            for inv in invoices
        ],
        can_upgrade=plan == Plan.FREE,
        offers=[
            PlanOffer(plan=offer.value, label=PLAN_LABELS[offer])
            for offer in (Plan.TEAM, Plan.ENTERPRISE)
            if plan == Plan.FREE and price_id_for(offer)
        ],
        can_manage_billing=has_customer,
    )
    if subscription is None:
        return overview
    live = subscription.status in PAID_STATUSES
    overview.status = subscription.status
    overview.status_label = STATUS_LABELS.get(subscription.status, subscription.status)
    overview.seats_billed = subscription.seats if live else 0
    overview.cancel_at_period_end = subscription.cancel_at_period_end
    if subscription.status == "trialing":
        overview.trial_ends_on = _day(subscription.trial_end)
    if live and not subscription.cancel_at_period_end:
        overview.next_invoice_on = _day(subscription.current_period_end or subscription.trial_end)
        overview.next_invoice_amount = format_amount(
            subscription.unit_amount * subscription.seats, subscription.currency
        )
    read_only_from = read_only_since(subscription)
    if read_only_from is not None:
        overview.past_due = True
        overview.read_only = utcnow() >= read_only_from
        overview.read_only_from = _day(read_only_from)
    if subscription.status == "canceled":
        overview.message = (
            "The subscription has ended: the Free plan's limits apply. All data is kept."
        )
    return overview


def billing_banner(*, session: Session, ctx: TenantContext) -> str:
    """A line for every member's layout while an invoice is overdue; empty otherwise."""
    if not billing_enabled():
        return ""
    read_only_from = read_only_since(current_subscription(session, ctx.org_id))
    if read_only_from is None:
        return ""
    if utcnow() >= read_only_from:
        return (
            "This workspace is read-only because an invoice is overdue. Nothing has been "
            "deleted; an owner or admin can pay it under Billing."
        )
    return (
        f"Payment failed. Unless the invoice is paid, this workspace becomes read-only on "
        f"{_day(read_only_from)}. An owner or admin can update the card under Billing."
    )


def _billing_page_url(session: Session, ctx: TenantContext) -> str:
    """Where Stripe's hosted pages send people back: this organisation's billing page."""
    slug = ctx.org_slug
    if not slug:
        org = session.get(Organization, ctx.org_id)
        slug = org.slug if org else ""
    return f"{get_settings().public_url.rstrip('/')}/o/{slug}/billing"


def _ensure_customer(session: Session, ctx: TenantContext) -> str:
    existing = session.exec(select(BillingCustomer)).first()
    if existing is not None:
        return existing.stripe_customer_id
    org = session.get(Organization, ctx.org_id)
    user = session.get(User, ctx.user_id) if ctx.user_id is not None else None
    email = user.email if user else ""
    customer_id = gateway.create_customer(
        org_id=ctx.org_id, name=org.name if org else "", email=email
    )
    session.add(BillingCustomer(stripe_customer_id=customer_id, email=email))
    session.flush()
    return customer_id


def start_checkout(*, session: Session, ctx: TenantContext, plan: str = Plan.TEAM.value) -> str:
    """Upgrade: a Stripe Checkout Session for the plan, one seat per member; returns its URL."""
    ctx.require(Role.ADMIN, ADMIN_ONLY)
    if not billing_enabled():
        raise Conflict(BILLING_OFF_MESSAGE)
    try:
        chosen = Plan(plan)
    except ValueError:
        raise ValidationFailed(f"Unknown plan: {plan!r}.", field="plan") from None
    price_id = price_id_for(chosen)
    if chosen == Plan.FREE or not price_id:
        raise ValidationFailed(
            f"The {PLAN_LABELS[chosen]} plan cannot be bought here.", field="plan"
        )
    subscription = current_subscription(session, ctx.org_id)
    if plan_of(subscription) != Plan.FREE:
        raise Conflict(
            f"This organisation already has the {PLAN_LABELS[plan_of(subscription)]} plan. "
            "Use Manage billing to change it."
        )
    had_trial = session.exec(select(func.count()).select_from(BillingSubscription)).one() > 0
    customer_id = _ensure_customer(session, ctx)
    page = _billing_page_url(session, ctx)
    url = gateway.create_checkout_session(
        org_id=ctx.org_id,
        customer_id=customer_id,
        price_id=price_id,
        plan=chosen.value,
        quantity=max(count_members(session, ctx.org_id), 1),
        trial_days=0 if had_trial else get_settings().billing_trial_days,
        success_url=f"{page}?checkout=success",
        cancel_url=f"{page}?checkout=canceled",
    )
    audit.record(
        session=session, ctx=ctx, action="billing.checkout_started", target=PLAN_LABELS[chosen]
    )
    return url


def open_billing_portal(*, session: Session, ctx: TenantContext) -> str:
    """Manage billing: a Stripe Customer Portal session; returns its URL."""
    ctx.require(Role.ADMIN, ADMIN_ONLY)
    if not billing_enabled():
        raise Conflict(BILLING_OFF_MESSAGE)
    customer = session.exec(select(BillingCustomer)).first()
    if customer is None:
        raise Conflict("There is no billing account yet: choose Upgrade to start one.")
    return gateway.create_portal_session(
        customer_id=customer.stripe_customer_id, return_url=_billing_page_url(session, ctx)
    )


def configuration_problems() -> list[str]:
    """What an operator must fix before billing works (for `manage check-settings`)."""
    settings = get_settings()
    if not billing_enabled():
        return []
    problems = []
    if not settings.stripe_webhook_secret.get_secret_value():
        problems.append("PMO_STRIPE_WEBHOOK_SECRET is empty: every Stripe webhook will be refused.")
    if not settings.stripe_price_team:
        problems.append("PMO_STRIPE_PRICE_TEAM is empty: nobody can upgrade to Team.")
    if (
        settings.environment == "production"
        and settings.stripe_secret_key.get_secret_value().startswith("sk_test_")
    ):
        problems.append("PMO_STRIPE_SECRET_KEY is a test-mode key in production.")
    return problems


def reconcile_seats() -> list[tuple[int, int]]:
    """Pushes to Stripe every live subscription whose seats differ from its member count.

    For a periodic job: catches up after Stripe was unreachable when membership changed.
    Returns (org_id, seats) for each subscription updated; failures are logged and skipped.
    """
    if not billing_enabled():
        return []
    with system_session() as session:
        rows = session.exec(
            select(BillingSubscription).where(col(BillingSubscription.status).in_(PAID_STATUSES))
        ).all()
        wanted: list[tuple[int, str, int]] = []
        for row in rows:
            org_id = row.org_id
            assert org_id is not None
            seats = max(count_members(session, org_id), 1)
            if row.seats != seats:
                wanted.append((org_id, row.stripe_subscription_id, seats))
    pushed = []
    for org_id, subscription_id, seats in wanted:
        try:
            gateway.set_subscription_quantity(subscription_id=subscription_id, quantity=seats)
        except gateway.GatewayError:
            continue
        pushed.append((org_id, seats))
    return pushed
