"""Local mirror of an organisation's Stripe objects, and the log of webhook events applied.

Stripe is the source of truth; these rows are what the app reads (entitlements, the billing
page) so that no page load and no limit check waits on Stripe.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, Column, UniqueConstraint
from sqlmodel import Field, SQLModel

from pmo_saas.db import TenantOwned
from pmo_saas.kernel.clock import utcnow


class BillingCustomer(TenantOwned, table=True):
    """The Stripe customer that pays for one organisation."""

    __table_args__ = (
        UniqueConstraint("org_id"),
        UniqueConstraint("org_id", "stripe_customer_id"),
    )

    id: int | None = Field(default=None, primary_key=True)
    stripe_customer_id: str = Field(max_length=255, index=True)
    email: str = Field(default="", max_length=254)
    created_at: datetime = Field(default_factory=utcnow)


class BillingSubscription(TenantOwned, table=True):
    """One Stripe subscription as last reported by a webhook (never moved backwards)."""

    __table_args__ = (UniqueConstraint("org_id", "stripe_subscription_id"),)

    id: int | None = Field(default=None, primary_key=True)
    stripe_subscription_id: str = Field(max_length=255, index=True)
    stripe_customer_id: str = Field(default="", max_length=255)
    plan: str = Field(default="team", max_length=32)
    price_id: str = Field(default="", max_length=255)
    status: str = Field(default="incomplete", max_length=32)
    seats: int = 1
    unit_amount: int = 0  # in the currency's smallest unit, per seat and interval
    currency: str = Field(default="usd", max_length=8)
    trial_end: datetime | None = None
    current_period_end: datetime | None = None
    cancel_at_period_end: bool = False
    past_due_since: datetime | None = None
    # Ordering of the last applied Stripe event: (created, rank of its type).
    last_event_created: int = Field(default=0, sa_column=Column(BigInteger, nullable=False))
    last_event_rank: int = 0
    updated_at: datetime = Field(default_factory=utcnow)


class BillingInvoice(TenantOwned, table=True):
    __table_args__ = (UniqueConstraint("org_id", "stripe_invoice_id"),)

    id: int | None = Field(default=None, primary_key=True)
    stripe_invoice_id: str = Field(max_length=255, index=True)
    stripe_subscription_id: str = Field(default="", max_length=255)
    number: str = Field(default="", max_length=64)
    status: str = Field(default="", max_length=32)
    amount_due: int = 0
    amount_paid: int = 0
    currency: str = Field(default="usd", max_length=8)
    hosted_invoice_url: str = Field(default="", max_length=1000)
    issued_at: datetime = Field(default_factory=utcnow)


class StripeEvent(SQLModel, table=True):
    """Every webhook event id applied, once: a redelivery finds its id here and does nothing.

    Not tenant-owned: an event arrives before the organisation it concerns is known.
    """

    id: int | None = Field(default=None, primary_key=True)
    event_id: str = Field(max_length=255, unique=True, index=True)
    type: str = Field(max_length=64)
    created: int = Field(default=0, sa_column=Column(BigInteger, nullable=False))
    org_id: int | None = Field(
        default=None, foreign_key="organization.id", index=True, ondelete="SET NULL"
    )
    outcome: str = Field(default="", max_length=255)
    received_at: datetime = Field(default_factory=utcnow)
