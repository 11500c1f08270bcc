"""Owner/admin pages: the audit log, the local outbox, organisation settings."""

from __future__ import annotations

import reflex as rx

from pmo_saas.db import in_tenant
from pmo_saas.identity import services as identity
from pmo_saas.identity.auth_state import AuthState
from pmo_saas.identity.page_state import WorkspacePage
from pmo_saas.identity.schemas import AuditRow, OutboxRow
from pmo_saas.identity.shell import workspace
from pmo_saas.kernel.context import TenantContext
from pmo_saas.kernel.roles import Role
from pmo_saas.settings import get_settings
from pmo_saas.ui.components import (
    card,
    data_table,
    error_callout,
    field,
    info_callout,
    page_heading,
)

PAGE_SIZE = 50


class AuditState(WorkspacePage, rx.State):
    rows: list[AuditRow] = []
    offset: int = 0

    async def _refresh(self, ctx: TenantContext) -> None:
        self.rows = await in_tenant(ctx, identity.list_audit, limit=PAGE_SIZE, offset=self.offset)

    def _on_failed_load(self) -> None:
        self.rows = []

    @rx.event
    async def load(self) -> None:
        self.offset = 0
        await self._load(Role.ADMIN)

    @rx.event
    async def next_page(self) -> None:
        self.offset += PAGE_SIZE
        await self._load(Role.ADMIN)

    @rx.event
    async def previous_page(self) -> None:
        self.offset = max(0, self.offset - PAGE_SIZE)
        await self._load(Role.ADMIN)


@rx.page(
    route="/o/[slug]/audit", title="Audit log", on_load=[AuthState.load_workspace, AuditState.load]
)
@workspace
def audit_page() -> rx.Component:
    return rx.vstack(
        page_heading("Audit log", "Who did what, and when."),
        error_callout(AuditState.error),
        data_table(
            "Audit events",
            ["When (UTC)", "Who", "What", "Target", "Detail"],
            AuditState.rows,
            lambda r: rx.table.row(
                rx.table.cell(r.at),
                rx.table.cell(r.actor),
                rx.table.cell(r.action),
                rx.table.cell(r.target),
                rx.table.cell(r.detail),
            ),
        ),
        rx.hstack(
            rx.button(
                "Newer",
                variant="soft",
                on_click=AuditState.previous_page,
                disabled=AuditState.offset == 0,
            ),
            rx.button(
                "Older",
                variant="soft",
                on_click=AuditState.next_page,
                disabled=AuditState.rows.length() < PAGE_SIZE,
            ),
        ),
        width="100%",
        align="start",
    )


class OutboxState(WorkspacePage, rx.State):
    rows: list[OutboxRow] = []
    smtp: bool = False

    async def _refresh(self, ctx: TenantContext) -> None:
        self.rows = await in_tenant(ctx, identity.list_outbox)

    def _on_failed_load(self) -> None:
        self.rows = []

    @rx.event
    async def load(self) -> None:
        self.smtp = get_settings().smtp_enabled
        await self._load(Role.ADMIN)


@rx.page(
    route="/o/[slug]/outbox", title="Outbox", on_load=[AuthState.load_workspace, OutboxState.load]
)
@workspace
def outbox_page() -> rx.Component:
    return rx.vstack(
        page_heading("Outbox", "Every mail this organisation sent."),
        rx.cond(
            OutboxState.smtp,
            info_callout("Mail is delivered through SMTP; copies are kept here."),
            info_callout("No SMTP server is configured: mail is kept here and in the log."),
        ),
        error_callout(OutboxState.error),
        rx.foreach(
            OutboxState.rows,
            lambda r: card(
                rx.hstack(
                    rx.text(r.subject, weight="bold"),
                    rx.spacer(),
                    rx.text(r.at, size="1", color_scheme="gray"),
                    width="100%",
                ),
                rx.text("To: ", r.to_email, size="2"),
                rx.el.pre(r.body, style={"white_space": "pre-wrap", "font_size": "0.85em"}),
                width="100%",
            ),
        ),
        width="100%",
        align="start",
    )


class OrgSettingsState(WorkspacePage, rx.State):
    @rx.event
    async def rename(self, form: dict):
        await self._act(
            identity.rename_organization,
            notice="Organisation renamed.",
            minimum=Role.ADMIN,
            refresh=False,
            name=form.get("name", ""),
        )
        return None if self.error else AuthState.load_workspace


@rx.page(route="/o/[slug]/settings", title="Settings", on_load=AuthState.load_workspace)
@workspace
def settings_page() -> rx.Component:
    return rx.vstack(
        page_heading("Settings", "Your organisation's name and sign-in."),
        error_callout(OrgSettingsState.error),
        info_callout(OrgSettingsState.notice),
        rx.cond(
            AuthState.is_admin,
            card(
                rx.heading("Organisation", size="4", as_="h2"),
                rx.form(
                    rx.hstack(
                        field("Organisation name", "name"),
                        rx.button("Rename", type="submit"),
                        align="end",
                    ),
                    on_submit=OrgSettingsState.rename,
                ),
                width="100%",
            ),
            info_callout("Only owners and admins can change the organisation's settings."),
        ),
        rx.cond(
            AuthState.is_admin,
            card(
                rx.heading("Sign-in", size="4", as_="h2"),
                rx.text(
                    "Let your people sign in through your identity provider "
                    "(Okta, Entra ID, Google Workspace, Keycloak, any OpenID Connect provider).",
                    size="2",
                ),
                rx.link(
                    "Single sign-on settings",
                    href="/o/" + AuthState.org_slug + "/settings/sso",
                ),
                width="100%",
            ),
        ),
        width="100%",
        align="start",
    )
