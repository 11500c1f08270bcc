"""Plain data handed from billing services to states and pages (never ORM rows, never secrets)."""

from __future__ import annotations

from pydantic import BaseModel


class LimitRow(BaseModel):
    name: str
    used: int
    allowed: str  # "10" or "Unlimited"


class InvoiceRow(BaseModel):
    number: str
    issued_on: str
    amount: str
    status: str
    url: str = ""


class PlanOffer(BaseModel):
    """A plan the organisation can buy through Checkout (its Stripe price is configured)."""

    plan: str
    label: str


class BillingOverview(BaseModel):
    """Everything the billing page shows."""

    billing_enabled: bool
    message: str = ""
    plan: str = "free"
    plan_label: str = "Free"
    status: str = ""
    status_label: str = ""
    seats_used: int = 0
    seats_billed: int = 0
    trial_ends_on: str = ""
    next_invoice_on: str = ""
    next_invoice_amount: str = ""
    cancel_at_period_end: bool = False
    past_due: bool = False
    read_only: bool = False
    read_only_from: str = ""
    limits: list[LimitRow] = []
    invoices: list[InvoiceRow] = []
    can_upgrade: bool = False
    offers: list[PlanOffer] = []
    can_manage_billing: bool = False
