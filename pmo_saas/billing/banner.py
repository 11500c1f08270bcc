"""The past-due banner every member sees in the workspace shell while an invoice is overdue.

Kept apart from pages.py, which imports the shell; registered with the shell
(`identity.shell.add_shell_banner`) below, so identity needs no import of billing.
"""

from __future__ import annotations

import reflex as rx

from pmo_saas.billing import services
from pmo_saas.db import in_tenant
from pmo_saas.identity.page_state import WorkspacePage
from pmo_saas.identity.shell import add_shell_banner
from pmo_saas.kernel.context import TenantContext


class BillingBannerState(WorkspacePage, rx.State):
    message: str = ""

    async def _refresh(self, ctx: TenantContext) -> None:
        self.message = await in_tenant(ctx, services.billing_banner)

    def _on_failed_load(self) -> None:
        self.message = ""

    @rx.event
    async def load(self) -> None:
        """Any member of the organisation in the URL; nothing shown outside a workspace."""
        await self._reload(quiet=True)


def billing_banner() -> rx.Component:
    return rx.box(
        rx.cond(
            BillingBannerState.message != "",
            rx.el.section(
                rx.callout(
                    BillingBannerState.message,
                    icon="credit-card",
                    color_scheme="orange",
                    width="100%",
                ),
                aria_label="Billing notice",
                style={"width": "100%", "marginBottom": "1em"},
            ),
        ),
        on_mount=BillingBannerState.load,
        width="100%",
    )


add_shell_banner(billing_banner)
