"""The public `/shared` page a `/share/<token>` link opens: the dashboard alone, read-only, for
people without an account (no session, no workspace shell)."""

from __future__ import annotations

import reflex as rx

from pmo_saas.dashboard import share
from pmo_saas.dashboard.http import SHARE_COOKIE, SHARED_PAGE
from pmo_saas.dashboard.pages.dashboard import DashboardView, dashboard_body
from pmo_saas.identity.auth_state import state_cookie_header
from pmo_saas.identity.page_state import PublicPage
from pmo_saas.security_headers import cookie_value


class SharedDashboardState(PublicPage, DashboardView, rx.State):
    """The public view: nothing but the figures is loaded. The token comes from the
    HttpOnly cookie `/share/<token>` set (dashboard.http), read from the websocket handshake
    like the session: never from the URL, never in a var."""

    @rx.event
    async def load(self) -> None:
        token = cookie_value(state_cookie_header(self), SHARE_COOKIE)
        shown = await self._run(share.shared_dashboard, token=token)
        if shown is None:  # unknown, expired or revoked: the page does not say which
            self.loaded = False
            self.error = "This dashboard link is not valid: it may have expired or been revoked."
        else:
            self._apply(shown)


@rx.page(route=SHARED_PAGE, title="Dashboard", on_load=SharedDashboardState.load)
def shared_dashboard_page() -> rx.Component:
    s = SharedDashboardState
    return rx.box(
        rx.vstack(
            rx.heading(
                rx.cond(s.loaded, s.org_name + ": dashboard", "Shared dashboard"),
                size="7",
                as_="h1",
            ),
            rx.cond(s.loaded, rx.text("A read-only view shared with you.", color_scheme="gray")),
            dashboard_body(s, links=False),
            width="100%",
            align="start",
        ),
        padding="2em",
    )
