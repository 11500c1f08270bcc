"""Row makers for the tenancy isolation test (tests/test_tenancy.py): one per billing table.

Register them in tests/factories.py TENANT_ROW_MAKERS:
    "billingcustomer": rows.make_billing_customer, ...
"""

from __future__ import annotations

import secrets

from pmo_saas.billing.models import BillingCustomer, BillingInvoice, BillingSubscription
from pmo_saas.db import tenant_session
from pmo_saas.kernel.context import TenantContext


def make_billing_customer(ctx: TenantContext) -> None:
    with tenant_session(ctx) as session:
        session.add(
            BillingCustomer(org_id=ctx.org_id, stripe_customer_id="cus_" + secrets.token_hex(6))
        )


def make_billing_subscription(ctx: TenantContext) -> None:
    with tenant_session(ctx) as session:
        session.add(
            BillingSubscription(
                org_id=ctx.org_id,
                stripe_subscription_id="sub_" + secrets.token_hex(6),
                status="canceled",
            )
        )


def make_billing_invoice(ctx: TenantContext) -> None:
    with tenant_session(ctx) as session:
        session.add(
            BillingInvoice(
                org_id=ctx.org_id, stripe_invoice_id="in_" + secrets.token_hex(6), status="paid"
            )
        )


BILLING_ROW_MAKERS = {
    "billingcustomer": make_billing_customer,
    "billingsubscription": make_billing_subscription,
    "billinginvoice": make_billing_invoice,
}
