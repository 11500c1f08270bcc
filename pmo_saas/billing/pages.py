"""Billing (owners and admins): plan, status, seats, trial, next invoice, invoices, limits;
Upgrade (Stripe Checkout) and Manage billing (Stripe Customer Portal).

The plan changes only through verified webhooks; after Checkout the page re-reads the local
mirror for a few seconds until the webhook has landed.
"""

from __future__ import annotations

import asyncio
import json

import reflex as rx
from reflex.event import EventSpec

from pmo_saas.billing import services
from pmo_saas.billing.banner import BillingBannerState, billing_banner  # noqa: F401
from pmo_saas.billing.schemas import BillingOverview, InvoiceRow, LimitRow, PlanOffer
from pmo_saas.db import in_tenant
from pmo_saas.identity.auth_state import AuthState
from pmo_saas.identity.page_state import WorkspacePage
from pmo_saas.identity.shell import workspace
from pmo_saas.kernel.context import TenantContext
from pmo_saas.ui.components import card, error_callout, info_callout, page_heading, plain_table

CHECKOUT_POLLS = 15  # seconds the page waits for the webhook after Checkout
WAITING = "Thank you. Waiting for Stripe to confirm the subscription…"


def _full_page_navigation(url: str) -> EventSpec:
    """Stripe's hosted pages live on another host: leave the app with a real page load."""
    return rx.call_script(f"window.location.assign({json.dumps(url)})")


class BillingState(WorkspacePage, rx.State):
    overview: BillingOverview = BillingOverview(billing_enabled=False)
    loaded: bool = False
    waiting: bool = False

    async def _refresh(self, ctx: TenantContext) -> None:
        self.overview = await in_tenant(ctx, services.billing_overview)

    def _on_failed_load(self) -> None:
        self.overview = BillingOverview(billing_enabled=False)
        self.loaded = False

    @rx.event
    async def load(self):
        self.waiting = False
        self.loaded = await self._load()
        if not self.loaded:
            return None
        checkout = self.router.url.query_parameters.get("checkout", "")
        if checkout == "canceled":
            self.notice = "Checkout was cancelled: nothing was charged."
        elif checkout == "success" and self.overview.plan == "free":
            self.notice, self.waiting = WAITING, True
            return BillingState.follow_checkout
        elif checkout == "success":
            self.notice = f"Your {self.overview.plan_label} subscription is set up."
        return None

    @rx.event(background=True)
    async def follow_checkout(self):
        """Re-read the mirror once a second until the Checkout webhook has been applied."""
        for _ in range(CHECKOUT_POLLS):
            await asyncio.sleep(1)
            async with self:
                if not self.waiting:
                    return
                if not await self._reload():
                    self.waiting = False
                    return
                if self.overview.plan != "free":
                    self.waiting = False
                    self.notice = f"Your {self.overview.plan_label} subscription is set up."
                    return
        async with self:
            self.waiting = False
            self.notice = (
                "Stripe has not confirmed the subscription yet. Reload this page in a minute."
            )

    @rx.event
    async def upgrade(self, plan: str):
        url = await self._act(services.start_checkout, refresh=False, plan=str(plan))
        return None if url is None else self._leave_for(url)

    @rx.event
    async def manage_billing(self):
        url = await self._act(services.open_billing_portal, refresh=False)
        return None if url is None else self._leave_for(url)

    def _leave_for(self, url: str):
        if not url.startswith(("https://", "http://")):
            self.error = "The payment provider returned an unusable address. Try again later."
            return None
        return _full_page_navigation(url)


def _fact(label: str, value: rx.Var) -> rx.Component:
    return rx.data_list.item(rx.data_list.label(label), rx.data_list.value(value))


def _plan_summary() -> rx.Component:
    o = BillingState.overview
    return rx.el.section(
        card(
            rx.heading("Plan", size="4", as_="h2"),
            rx.data_list.root(
                _fact("Plan", o.plan_label),
                rx.cond(o.status_label != "", _fact("Status", o.status_label)),
                _fact("Seats used", o.seats_used),
                rx.cond(o.seats_billed > 0, _fact("Seats billed", o.seats_billed)),
                rx.cond(o.trial_ends_on != "", _fact("Trial ends", o.trial_ends_on)),
                rx.cond(
                    o.next_invoice_on != "",
                    _fact("Next invoice", o.next_invoice_on + " · " + o.next_invoice_amount),
                ),
                rx.cond(
                    o.cancel_at_period_end,
                    _fact("Renewal", "Ends at the end of the current period"),
                ),
            ),
            rx.cond(
                o.past_due,
                rx.callout(
                    rx.cond(
                        o.read_only,
                        "An invoice is overdue: the workspace is read-only until it is paid. "
                        "Nothing has been deleted.",
                        "A payment failed. Update the card under Manage billing before "
                        + o.read_only_from
                        + ", when the workspace would become read-only.",
                    ),
                    icon="triangle_alert",
                    color_scheme="orange",
                    width="100%",
                ),
            ),
            rx.cond(o.message != "", rx.text(o.message)),
            rx.hstack(
                rx.foreach(o.offers, _upgrade_button),
                rx.cond(
                    o.can_manage_billing,
                    rx.button(
                        "Manage billing",
                        variant="soft",
                        on_click=BillingState.manage_billing,
                    ),
                ),
                spacing="3",
                wrap="wrap",
            ),
            width="100%",
        ),
        aria_label="Plan",
        style={"width": "100%"},
    )


def _upgrade_button(offer: PlanOffer) -> rx.Component:
    return rx.button(
        "Upgrade to " + offer.label,
        on_click=BillingState.upgrade(offer.plan),
    )


def _limit_row(row: LimitRow) -> rx.Component:
    return rx.table.row(
        rx.table.row_header_cell(row.name),
        rx.table.cell(row.used),
        rx.table.cell(row.allowed),
    )


def _limits() -> rx.Component:
    return rx.el.section(
        rx.heading("Limits", size="4", as_="h2", margin_bottom="0.5em"),
        plain_table(["Limit", "In use", "Allowed"], BillingState.overview.limits, _limit_row),
        aria_label="Limits",
        style={"width": "100%"},
    )


def _invoice_row(row: InvoiceRow) -> rx.Component:
    return rx.table.row(
        rx.table.row_header_cell(
            rx.cond(
                row.url != "",
                rx.link(row.number, href=row.url, is_external=True),
                rx.text(row.number),
            )
        ),
        rx.table.cell(row.issued_on),
        rx.table.cell(row.amount),
        rx.table.cell(rx.badge(row.status)),
    )


def _invoices() -> rx.Component:
    return rx.el.section(
        rx.heading("Invoices", size="4", as_="h2", margin_bottom="0.5em"),
        rx.cond(
            BillingState.overview.invoices.length() > 0,
            plain_table(
                ["Invoice", "Issued", "Amount", "Status"],
                BillingState.overview.invoices,
                _invoice_row,
            ),
            rx.text("No invoices yet.", color_scheme="gray"),
        ),
        aria_label="Invoices",
        style={"width": "100%"},
    )


def _billing_off() -> rx.Component:
    return rx.el.section(
        card(
            rx.heading("Billing is off", size="4", as_="h2"),
            rx.text(BillingState.overview.message),
            rx.text("Seats used: ", BillingState.overview.seats_used, color_scheme="gray"),
            width="100%",
        ),
        aria_label="Plan",
        style={"width": "100%"},
    )


def _billing_body() -> rx.Component:
    return rx.vstack(
        page_heading("Billing", "Your plan, seats and invoices."),
        error_callout(BillingState.error),
        rx.cond(
            BillingState.waiting,
            rx.callout(
                rx.hstack(rx.spinner(size="1"), rx.text(BillingState.notice), align="center"),
                color_scheme="blue",
                role="status",
                width="100%",
            ),
            info_callout(BillingState.notice),
        ),
        rx.cond(
            BillingState.loaded,
            rx.cond(
                BillingState.overview.billing_enabled,
                rx.vstack(_plan_summary(), _limits(), _invoices(), spacing="5", width="100%"),
                _billing_off(),
            ),
        ),
        width="100%",
        align="start",
        spacing="4",
    )


@rx.page(
    route="/o/[slug]/billing",
    title="Billing",
    on_load=[AuthState.load_workspace, BillingState.load],
)
@workspace
def billing_page() -> rx.Component:
    return _billing_body()
