"""The workspace home page (/o/<slug>): what to do now, from `services.workspace_home`."""

from __future__ import annotations

import reflex as rx

from pmo_saas.db import in_tenant, run_sync
from pmo_saas.home import services
from pmo_saas.home.schemas import ChecklistStep, Headline, HomeItem, HomeSection
from pmo_saas.identity import services as identity
from pmo_saas.identity.auth_state import AuthState
from pmo_saas.identity.page_state import WorkspacePage
from pmo_saas.identity.shell import workspace
from pmo_saas.kernel.context import TenantContext
from pmo_saas.ui.components import error_callout, info_callout, page_heading


def _signed_in_user(ctx: TenantContext) -> int:
    assert ctx.user_id is not None  # a workspace context always names who is signed in
    return ctx.user_id


def _resend_verification(*, ctx: TenantContext) -> None:
    identity.resend_verification(user_id=_signed_in_user(ctx))


class HomeState(WorkspacePage, rx.State):
    sections: list[HomeSection] = []
    headlines: list[Headline] = []
    checklist: list[ChecklistStep] = []
    changes_title: str = ""
    changes: list[HomeItem] = []
    email_verified: bool = True

    async def _refresh(self, ctx: TenantContext) -> None:
        home = await in_tenant(ctx, services.workspace_home)
        self.email_verified = await run_sync(identity.email_verified, user_id=_signed_in_user(ctx))
        self.sections, self.headlines = home.sections, home.headlines
        self.checklist, self.changes = home.checklist, home.changes
        self.changes_title = home.changes_title

    def _on_failed_load(self) -> None:
        self.sections, self.headlines, self.checklist, self.changes = [], [], [], []

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


def _org(suffix: rx.Var[str] | str) -> rx.Var[str]:
    return "/o/" + AuthState.org_slug + suffix


def _verify_banner() -> rx.Component:
    return rx.cond(
        HomeState.email_verified,
        rx.fragment(),
        rx.callout(
            rx.flex(
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
                gap="3",
                wrap="wrap",
            ),
            icon="mail-warning",
            color_scheme="amber",
            width="100%",
        ),
    )


def _step(step: rx.Var[ChecklistStep]) -> rx.Component:
    return rx.el.li(
        rx.link(
            rx.hstack(
                rx.cond(
                    step.done,
                    rx.icon("circle-check", color="var(--green-11)", size=18),
                    rx.icon("circle", color="var(--gray-10)", size=18),
                ),
                rx.text(step.label),
                rx.cond(step.done, rx.text("(done)", class_name="pmo-sr")),
                align="center",
                spacing="2",
            ),
            href=_org(step.href),
            underline="hover",
            color_scheme="gray",
            high_contrast=True,
        ),
        style={"listStyle": "none", "padding": "0.2em 0"},
    )


def _checklist() -> rx.Component:
    return rx.cond(
        HomeState.checklist.length() > 0,
        rx.el.section(
            rx.card(
                rx.heading("Get your organisation started", size="4", as_="h2"),
                rx.text("Five steps; each is ticked as soon as it is done.", color_scheme="gray"),
                rx.el.ul(rx.foreach(HomeState.checklist, _step), style={"padding": 0}),
                width="100%",
            ),
            aria_label="Get started",
            style={"width": "100%"},
        ),
    )


def _headline(h: rx.Var[Headline]) -> rx.Component:
    return rx.link(
        rx.card(
            rx.text(h.label, color_scheme="gray", size="2"),
            rx.heading(h.value.to_string(), size="7", as_="p"),
            width="100%",
        ),
        href=_org(h.href),
        underline="none",
    )


def _headlines() -> rx.Component:
    return rx.cond(
        HomeState.headlines.length() > 0,
        rx.el.section(
            rx.grid(
                rx.foreach(HomeState.headlines, _headline),
                columns=rx.breakpoints(initial="2", sm="3", lg="5"),
                gap="3",
                width="100%",
            ),
            aria_label="Headline figures",
            style={"width": "100%"},
        ),
    )


def _item(item: rx.Var[HomeItem]) -> rx.Component:
    label = rx.vstack(
        rx.text(item.title, weight="medium"),
        rx.text(
            item.detail, size="1", color=rx.cond(item.urgent, "var(--red-11)", "var(--gray-11)")
        ),
        spacing="0",
        align="start",
    )
    return rx.el.li(
        rx.cond(item.href != "", rx.link(label, href=_org(item.href), underline="hover"), label),
        style={"listStyle": "none", "padding": "0.3em 0"},
    )


def _section(section: rx.Var[HomeSection]) -> rx.Component:
    return rx.el.section(
        rx.card(
            rx.vstack(
                rx.heading(section.title, size="4", as_="h2"),
                rx.cond(
                    section.todo.length() > 0,
                    rx.el.ul(rx.foreach(section.todo, _item), style={"padding": 0, "margin": 0}),
                    rx.vstack(
                        rx.text(section.purpose, color_scheme="gray", size="2"),
                        rx.cond(
                            section.action_label != "",
                            rx.link(
                                rx.button(section.action_label, variant="soft", size="2"),
                                href=_org(section.action_href),
                            ),
                        ),
                        spacing="2",
                        align="start",
                    ),
                ),
                spacing="2",
                align="start",
                width="100%",
            ),
            width="100%",
            height="100%",
        ),
        aria_label=section.title,
        style={"width": "100%", "minWidth": 0},
    )


def _changes() -> rx.Component:
    return rx.el.section(
        rx.card(
            rx.heading(HomeState.changes_title, size="4", as_="h2"),
            rx.cond(
                HomeState.changes.length() > 0,
                rx.el.ul(rx.foreach(HomeState.changes, _item), style={"padding": 0}),
                rx.text(
                    "What others change in the workspace (new teams, surveys, rounds, "
                    "initiatives) appears here.",
                    color_scheme="gray",
                    size="2",
                ),
            ),
            width="100%",
        ),
        aria_label="Changes",
        style={"width": "100%"},
    )


@rx.page(route="/o/[slug]", title="Home", on_load=[AuthState.load_workspace, HomeState.load])
@workspace
def home_page() -> rx.Component:
    return rx.vstack(
        page_heading("Home", "What is waiting for you in this workspace."),
        rx.heading(AuthState.org_name, size="5", as_="p"),
        _verify_banner(),
        error_callout(HomeState.error),
        info_callout(HomeState.notice),
        _checklist(),
        _headlines(),
        rx.grid(
            rx.foreach(HomeState.sections, _section),
            columns=rx.breakpoints(initial="1", md="2"),
            gap="4",
            width="100%",
        ),
        _changes(),
        rx.link("Open the executive dashboard", href=_org("/dashboard")),
        width="100%",
        align="start",
        spacing="4",
    )
