"""Page frames: the public frame and the workspace shell (sidebar, org switcher, user menu).

Stateful (it reads AuthState), so it lives in identity rather than ui/. Banners above every
workspace page (billing's past-due notice) are registered by their domain with
`add_shell_banner` at import, and tools beside the user menu (collaboration's notification
bell) with `add_shell_tool`, so identity never imports them (no cycle).

Below a tablet width (48em, ~768 px) the sidebar folds into a drawer opened by the
"Open menu" button and the content takes the full width.
"""

from __future__ import annotations

from collections.abc import Callable

import reflex as rx

from pmo_saas.identity.auth_state import AuthState

# Components shown above every workspace page, added by the domains that own them.
_BANNERS: list[Callable[[], rx.Component]] = []
# Small controls beside the user menu (and in the phone's top bar), added the same way.
_TOOLS: list[Callable[[], rx.Component]] = []


def add_shell_banner(banner: Callable[[], rx.Component]) -> None:
    """Show `banner()` above every workspace page (once, whatever the import order)."""
    if banner not in _BANNERS:
        _BANNERS.append(banner)


def add_shell_tool(tool: Callable[[], rx.Component]) -> None:
    """Show `tool()` beside the user menu of every workspace page (once)."""
    if tool not in _TOOLS:
        _TOOLS.append(tool)


NAV = [
    ("Home", "", "house"),
    ("Dashboard", "/dashboard", "layout-dashboard"),
    ("Portfolio", "/portfolio", "briefcase"),
    ("Assessments", "/assessments", "radar"),
    ("Coaching", "/coaching", "sprout"),
    ("Practices", "/practices", "book-open-check"),
    ("Capacity", "/capacity", "gauge"),
    ("Roll-out", "/rollout", "milestone"),
    ("Programmes", "/programmes", "layers"),
    ("Surveys", "/surveys", "message-square-heart"),
    ("PMO improvement", "/improvement", "refresh-ccw"),
    ("Members & Teams", "/members", "users"),
    ("Settings", "/settings", "settings"),
    ("Billing", "/billing", "credit-card"),
]
ADMIN_NAV = [("Audit log", "/audit", "scroll-text"), ("Outbox", "/outbox", "mail")]
# Radix breakpoints: "md" starts at 48em (768 px).
WIDE_ONLY = rx.breakpoints(initial="none", md="flex")
NARROW_ONLY = rx.breakpoints(initial="flex", md="none")


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


def _color_mode_toggle() -> rx.Component:
    """Light and dark follow the system until toggled here."""
    return rx.icon_button(
        rx.color_mode_cond(rx.icon("moon", size=16), rx.icon("sun", size=16)),
        on_click=rx.toggle_color_mode,
        variant="ghost",
        color_scheme="gray",
        aria_label="Switch light or dark mode",
    )


def _nav() -> rx.Component:
    return rx.el.nav(
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
    )


def _sidebar_body() -> list[rx.Component]:
    return [
        rx.link(rx.heading("pmo_saas", size="5", as_="p"), href="/", underline="none"),
        _org_switcher(),
        _nav(),
        rx.spacer(),
        rx.hstack(
            _user_menu(),
            rx.spacer(),
            *[tool() for tool in _TOOLS],
            _color_mode_toggle(),
            align="center",
            width="100%",
        ),
    ]


def _sidebar() -> rx.Component:
    return rx.vstack(
        *_sidebar_body(),
        width="240px",
        min_width="240px",
        height="100vh",
        overflow_y="auto",  # a short laptop screen scrolls the links; the user menu stays reachable
        padding="1em",
        border_right="1px solid var(--gray-a5)",
        position="sticky",
        top="0",
        spacing="4",
        display=WIDE_ONLY,
    )


def _menu_drawer() -> rx.Component:
    """The sidebar on a phone: a drawer from the left behind the "Open menu" button."""
    return rx.drawer.root(
        rx.drawer.trigger(
            rx.icon_button(rx.icon("menu", size=18), variant="soft", aria_label="Open menu")
        ),
        rx.drawer.overlay(z_index="5"),
        rx.drawer.portal(
            rx.drawer.content(
                rx.vstack(
                    rx.hstack(
                        rx.drawer.title("Menu", size="3"),
                        rx.spacer(),
                        rx.drawer.close(
                            rx.icon_button(
                                rx.icon("x", size=16), variant="ghost", aria_label="Close menu"
                            )
                        ),
                        width="100%",
                        align="center",
                    ),
                    rx.drawer.description("Sections of the workspace.", class_name="pmo-sr"),
                    *_sidebar_body(),
                    spacing="4",
                    height="100%",
                    overflow_y="auto",
                    padding="1em",
                ),
                top="0",
                left="0",
                height="100%",
                width="min(85vw, 280px)",
                background_color="var(--color-panel-solid)",
                z_index="6",
                position="fixed",
            ),
        ),
        direction="left",
    )


def _top_bar() -> rx.Component:
    return rx.hstack(
        _menu_drawer(),
        rx.text(AuthState.org_name, weight="bold", trim="both"),
        rx.spacer(),
        *[tool() for tool in _TOOLS],
        _color_mode_toggle(),
        align="center",
        width="100%",
        padding="0.5em 1em",
        border_bottom="1px solid var(--gray-a5)",
        display=NARROW_ONLY,
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
            rx.flex(
                _sidebar(),
                _top_bar(),
                rx.el.main(
                    *[banner() for banner in _BANNERS],
                    content(),
                    class_name="pmo-content",
                ),
                direction=rx.breakpoints(initial="column", md="row"),
                align="start",
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
                rx.link(rx.heading("pmo_saas", size="5", as_="p"), href="/", underline="none"),
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
                        wrap="wrap",
                    ),
                ),
                width="100%",
                padding="1em",
                border_bottom="1px solid var(--gray-a5)",
                align="center",
            ),
            rx.el.main(content(), class_name="pmo-public"),
            width="100%",
            spacing="0",
        )

    page.__name__ = content.__name__
    return page
