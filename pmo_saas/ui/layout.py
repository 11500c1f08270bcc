"""Page frames: the public frame and the workspace shell (sidebar, org switcher, user menu)."""

from __future__ import annotations

from collections.abc import Callable

import reflex as rx

from pmo_saas.billing.banner import billing_banner
from pmo_saas.identity.auth_state import AuthState

NAV = [
    ("Dashboard", "/dashboard", "layout-dashboard"),
    ("Portfolio", "/portfolio", "briefcase"),
    ("Assessments", "/assessments", "radar"),
    ("Coaching", "/coaching", "sprout"),
    ("Practices", "/practices", "book-open-check"),
    ("Capacity", "/capacity", "gauge"),
    ("Surveys", "/surveys", "message-square-heart"),
    ("Members & Teams", "/members", "users"),
    ("Settings", "/settings", "settings"),
    ("Billing", "/billing", "credit-card"),
]
ADMIN_NAV = [("Audit log", "/audit", "scroll-text"), ("Outbox", "/outbox", "mail")]


def _nav_link(label: str, suffix: str, icon: str) -> rx.Component:
    return rx.link(
        rx.hstack(rx.icon(icon, size=16), rx.text(label), spacing="2", align="center"),
        href="/o/" + AuthState.org_slug + suffix,
        underline="none",
        color_scheme="gray",
        high_contrast=True,
        padding="0.35em 0.5em",
        border_radius="6px",
        width="100%",
        _hover={"background": "var(--gray-a3)"},
    )


def _org_switcher() -> rx.Component:
    return rx.menu.root(
        rx.menu.trigger(
            rx.button(
                rx.text(AuthState.org_name, trim="both"),
                rx.icon("chevrons-up-down", size=14),
                variant="soft",
                width="100%",
                justify="between",
                aria_label="Switch organisation",
            )
        ),
        rx.menu.content(
            rx.foreach(
                AuthState.orgs,
                lambda o: rx.menu.item(o.name, on_click=rx.redirect("/o/" + o.slug)),
            ),
            rx.menu.separator(),
            rx.menu.item("New organisation", on_click=rx.redirect("/orgs")),
        ),
    )


def _sidebar() -> rx.Component:
    return rx.vstack(
        rx.link(rx.heading("pmo_saas", size="5"), href="/", underline="none"),
        _org_switcher(),
        rx.el.nav(
            rx.vstack(
                *[_nav_link(*item) for item in NAV],
                rx.cond(
                    AuthState.is_admin,
                    rx.vstack(*[_nav_link(*item) for item in ADMIN_NAV], spacing="1", width="100%"),
                ),
                spacing="1",
                width="100%",
            ),
            aria_label="Sections",
            style={"width": "100%"},
        ),
        rx.spacer(),
        _user_menu(),
        width="240px",
        min_width="240px",
        height="100vh",
        padding="1em",
        border_right="1px solid var(--gray-a5)",
        position="sticky",
        top="0",
        spacing="4",
    )


def _user_menu() -> rx.Component:
    return rx.menu.root(
        rx.menu.trigger(
            rx.button(
                rx.icon("circle-user", size=16),
                rx.text(AuthState.user_name),
                variant="ghost",
                aria_label="User menu",
            )
        ),
        rx.menu.content(
            rx.menu.item(rx.text(AuthState.user_email, size="1"), disabled=True),
            rx.menu.item(rx.text("Role: ", AuthState.role, size="1"), disabled=True),
            rx.menu.separator(),
            rx.menu.item("Sign out", on_click=AuthState.sign_out),
        ),
    )


def workspace(content: Callable[[], rx.Component]) -> Callable[[], rx.Component]:
    """Wrap a workspace page body in the shell; shows a refusal when not a member."""

    def page() -> rx.Component:
        return rx.cond(
            AuthState.org_slug != "",
            rx.hstack(
                _sidebar(),
                rx.box(
                    billing_banner(), content(), padding="2em", width="100%", max_width="1200px"
                ),
                align="start",
                spacing="0",
                width="100%",
            ),
            rx.center(
                rx.vstack(
                    rx.cond(
                        AuthState.workspace_error != "",
                        rx.callout(
                            AuthState.workspace_error,
                            icon="triangle_alert",
                            color_scheme="red",
                            role="alert",
                        ),
                        rx.spinner(),
                    ),
                    rx.link("Back to the start page", href="/"),
                    align="center",
                ),
                height="60vh",
            ),
        )

    page.__name__ = content.__name__
    return page


def public(content: Callable[[], rx.Component]) -> Callable[[], rx.Component]:
    def page() -> rx.Component:
        return rx.vstack(
            rx.hstack(
                rx.link(rx.heading("pmo_saas", size="5"), href="/", underline="none"),
                rx.spacer(),
                rx.cond(
                    AuthState.signed_in,
                    rx.hstack(
                        rx.link("Your organisations", href="/orgs"),
                        rx.button("Sign out", variant="soft", on_click=AuthState.sign_out),
                        align="center",
                    ),
                    rx.hstack(
                        rx.link("Sign in", href="/signin"),
                        rx.link(rx.button("Create your organisation"), href="/signup"),
                        align="center",
                    ),
                ),
                width="100%",
                padding="1em 2em",
                border_bottom="1px solid var(--gray-a5)",
            ),
            rx.box(content(), width="100%", max_width="960px", padding="2em", margin="0 auto"),
            width="100%",
            spacing="0",
        )

    page.__name__ = content.__name__
    return page
