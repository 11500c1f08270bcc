"""The Dashboard section's sub-navigation. It lives here, not in a domain, because the section's
pages come from two domains: the dashboard, report and sharing (dashboard) and governance
(portfolio), and portfolio may not import dashboard."""

from __future__ import annotations

import reflex as rx

from pmo_saas.identity.auth_state import AuthState


def dashboard_nav() -> rx.Component:
    base = "/o/" + AuthState.org_slug + "/dashboard"
    return rx.el.nav(
        rx.hstack(
            rx.link("Dashboard", href=base),
            rx.link("Monthly report", href=base + "/report"),
            rx.link("Governance", href=base + "/governance"),
            rx.cond(
                AuthState.is_admin,
                rx.hstack(
                    rx.link("Share links", href=base + "/sharing"),
                    rx.link("API keys", href=base + "/api-keys"),
                    spacing="4",
                ),
            ),
            spacing="4",
        ),
        aria_label="Dashboard pages",
    )
