"""Share links: read-only links to the dashboard for people without an account (admins)."""

from __future__ import annotations

import reflex as rx

from pmo_saas.dashboard import share
from pmo_saas.dashboard.pages.common import reveal_once
from pmo_saas.dashboard.schemas import ShareLinkRow
from pmo_saas.db import in_tenant
from pmo_saas.identity.auth_state import AuthState, backend_url
from pmo_saas.identity.page_state import WorkspacePage
from pmo_saas.identity.shell import workspace
from pmo_saas.kernel.context import TenantContext
from pmo_saas.kernel.roles import Role
from pmo_saas.ui.components import (
    card,
    data_table,
    error_callout,
    field,
    info_callout,
    page_heading,
)
from pmo_saas.ui.section_nav import dashboard_nav

NEW_LINK_ID = "new-share-link"


class SharingState(WorkspacePage, rx.State):
    rows: list[ShareLinkRow] = []
    # The label of the link just created (its URL is revealed by an event, never kept).
    new_link_label: str = ""

    async def _refresh(self, ctx: TenantContext) -> None:
        self.rows = await in_tenant(ctx, share.list_share_links)

    def _on_failed_load(self) -> None:
        self.rows = []

    @rx.event
    async def load(self) -> None:
        self.new_link_label = ""
        await self._load(Role.ADMIN)

    @rx.event
    async def create(self, form: dict):  # type: ignore[no-untyped-def]
        self.new_link_label = ""
        created = await self._act(
            share.create_share_link,
            notice="Link created. Copy it now: it is shown only once.",
            minimum=Role.ADMIN,
            label=form.get("label", ""),
            days=form.get("days", "30") or "30",
        )
        if created is None:
            return None
        self.new_link_label = created.row.label
        return reveal_once(NEW_LINK_ID, backend_url(created.path))  # dashboard.http opens it

    @rx.event
    async def revoke(self, link_id: int) -> None:
        self.new_link_label = ""
        await self._act(
            share.revoke_share_link,
            notice="Link revoked: it no longer opens the dashboard.",
            minimum=Role.ADMIN,
            link_id=int(link_id),
        )


@rx.page(
    route="/o/[slug]/dashboard/sharing",
    title="Share links",
    on_load=[AuthState.load_workspace, SharingState.load],
)
@workspace
def sharing_page() -> rx.Component:
    return rx.vstack(
        page_heading(
            "Share links", "Read-only links to the dashboard for people without an account."
        ),
        dashboard_nav(),
        error_callout(SharingState.error),
        info_callout(SharingState.notice),
        rx.cond(
            SharingState.new_link_label != "",
            card(
                rx.text("The new link (shown once):", weight="bold"),
                rx.code(id=NEW_LINK_ID, aria_label="New share link"),
                width="100%",
            ),
        ),
        card(
            rx.form(
                rx.hstack(
                    field("Who is it for", "label", placeholder="Board, December"),
                    field("Days valid", "days", type="number", default_value="30"),
                    rx.button("Create link", type="submit"),
                    align="end",
                    width="100%",
                ),
                on_submit=SharingState.create,
                reset_on_submit=True,
                width="100%",
            ),
            width="100%",
        ),
        data_table(
            "Share links",
            ["For", "Link starts", "Created", "Expires", "Status", "Views", ""],
            SharingState.rows,
            lambda r: rx.table.row(
                rx.table.cell(r.label),
                rx.table.cell(r.prefix + "…"),
                rx.table.cell(r.created_at),
                rx.table.cell(r.expires_at),
                rx.table.cell(r.status),
                rx.table.cell(r.views),
                rx.table.cell(
                    rx.cond(
                        r.status == "active",
                        rx.button(
                            "Revoke",
                            size="1",
                            color_scheme="red",
                            variant="soft",
                            aria_label="Revoke link for " + r.label,
                            on_click=SharingState.revoke(r.id),
                        ),
                    )
                ),
            ),
            size="1",
        ),
        width="100%",
        align="start",
    )
