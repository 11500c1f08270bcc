"""The workspace home: members and teams at a glance, the way to the executive dashboard."""

from __future__ import annotations

import reflex as rx

from pmo_saas.db import in_tenant, run_sync
from pmo_saas.identity import services as identity
from pmo_saas.identity.auth_state import AuthState
from pmo_saas.identity.page_state import WorkspacePage
from pmo_saas.identity.shell import workspace
from pmo_saas.kernel.context import TenantContext
from pmo_saas.ui.components import card, error_callout, info_callout, page_heading


def _signed_in_user(ctx: TenantContext) -> int:
    assert ctx.user_id is not None  # a workspace context always names who is signed in
    return ctx.user_id


def _resend_verification(*, ctx: TenantContext) -> None:
    identity.resend_verification(user_id=_signed_in_user(ctx))


class HomeState(WorkspacePage, rx.State):
    members: int = 0
    teams: int = 0
    email_verified: bool = True

    async def _refresh(self, ctx: TenantContext) -> None:
        counts = await in_tenant(ctx, identity.workspace_overview)
        self.email_verified = await run_sync(identity.email_verified, user_id=_signed_in_user(ctx))
        self.members, self.teams = counts["members"], counts["teams"]

    @rx.event
    async def load(self) -> None:
        await self._load()

    @rx.event
    async def resend_verification(self) -> None:
        await self._act_outside(
            _resend_verification,
            notice="A new verification link is on its way to your inbox.",
            refresh=False,
        )


def _verify_banner() -> rx.Component:
    return rx.cond(
        HomeState.email_verified,
        rx.fragment(),
        rx.callout(
            rx.hstack(
                rx.text(
                    "Verify your email to invite people: open the link we mailed you.",
                    weight="medium",
                ),
                rx.button(
                    "Send the link again",
                    size="1",
                    variant="soft",
                    on_click=HomeState.resend_verification,
                ),
                align="center",
                spacing="3",
            ),
            icon="mail-warning",
            color_scheme="amber",
            width="100%",
        ),
    )


def _stat(label: str, value: rx.Var, href: rx.Var) -> rx.Component:
    return rx.link(
        card(rx.text(label, color_scheme="gray"), rx.heading(value.to_string(), size="8")),
        href=href,
        underline="none",
    )


@rx.page(route="/o/[slug]", title="Dashboard", on_load=[AuthState.load_workspace, HomeState.load])
@workspace
def home_page() -> rx.Component:
    members_href = "/o/" + AuthState.org_slug + "/members"
    return rx.vstack(
        page_heading("Dashboard"),
        rx.heading(AuthState.org_name, size="5", as_="h2"),
        _verify_banner(),
        error_callout(HomeState.error),
        info_callout(HomeState.notice),
        rx.link(
            rx.button("Open the executive dashboard", rx.icon("arrow-right", size=16)),
            href="/o/" + AuthState.org_slug + "/dashboard",
        ),
        rx.hstack(
            _stat("Members", HomeState.members, members_href),
            _stat("Teams", HomeState.teams, "/o/" + AuthState.org_slug + "/teams"),
            spacing="4",
        ),
        width="100%",
        align="start",
    )
