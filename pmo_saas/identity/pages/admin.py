"""Owner/admin pages: the audit log, the local outbox, organisation settings."""

from __future__ import annotations

import reflex as rx

from pmo_saas.db import in_tenant
from pmo_saas.identity import services as identity
from pmo_saas.identity.auth_state import AuthState, tenant_context
from pmo_saas.identity.schemas import AuditRow, OutboxRow
from pmo_saas.kernel.errors import DomainError
from pmo_saas.kernel.roles import Role
from pmo_saas.settings import get_settings
from pmo_saas.ui.components import card, error_callout, field, info_callout, page_heading
from pmo_saas.ui.layout import workspace

PAGE_SIZE = 50


class AuditState(rx.State):
    rows: list[AuditRow] = []
    error: str = ""
    offset: int = 0

    async def _fetch(self) -> None:
        self.error = ""
        try:
            ctx = await tenant_context(self, Role.ADMIN)
            self.rows = await in_tenant(
                ctx, identity.list_audit, limit=PAGE_SIZE, offset=self.offset
            )
        except DomainError as error:
            self.rows = []
            self.error = str(error)

    @rx.event
    async def load(self) -> None:
        self.offset = 0
        await self._fetch()

    @rx.event
    async def next_page(self) -> None:
        self.offset += PAGE_SIZE
        await self._fetch()

    @rx.event
    async def previous_page(self) -> None:
        self.offset = max(0, self.offset - PAGE_SIZE)
        await self._fetch()


@rx.page(
    route="/o/[slug]/audit", title="Audit log", on_load=[AuthState.load_workspace, AuditState.load]
)
@workspace
def audit_page() -> rx.Component:
    return rx.vstack(
        page_heading("Audit log", "Who did what, and when."),
        error_callout(AuditState.error),
        rx.el.section(
            rx.table.root(
                rx.table.header(
                    rx.table.row(
                        rx.table.column_header_cell("When (UTC)"),
                        rx.table.column_header_cell("Who"),
                        rx.table.column_header_cell("What"),
                        rx.table.column_header_cell("Target"),
                        rx.table.column_header_cell("Detail"),
                    )
                ),
                rx.table.body(
                    rx.foreach(
                        AuditState.rows,
                        lambda r: rx.table.row(
                            rx.table.cell(r.at),
                            rx.table.cell(r.actor),
                            rx.table.cell(r.action),
                            rx.table.cell(r.target),
                            rx.table.cell(r.detail),
                        ),
                    )
                ),
                width="100%",
            ),
            aria_label="Audit events",
            style={"width": "100%"},
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


class OutboxState(rx.State):
    rows: list[OutboxRow] = []
    error: str = ""
    smtp: bool = False

    @rx.event
    async def load(self) -> None:
        self.error = ""
        self.smtp = get_settings().smtp_enabled
        try:
            ctx = await tenant_context(self, Role.ADMIN)
            self.rows = await in_tenant(ctx, identity.list_outbox)
        except DomainError as error:
            self.rows = []
            self.error = str(error)


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


class OrgSettingsState(rx.State):
    error: str = ""
    notice: str = ""

    @rx.event
    async def rename(self, form: dict):
        self.error = self.notice = ""
        try:
            ctx = await tenant_context(self, Role.ADMIN)
            await in_tenant(ctx, identity.rename_organization, name=form.get("name", ""))
        except DomainError as error:
            self.error = str(error)
            return None
        self.notice = "Organisation renamed."
        return AuthState.load_workspace


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
