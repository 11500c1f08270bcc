"""Share links: read-only links to the dashboard for people without an account (admins)."""

from __future__ import annotations

import reflex as rx

from pmo_saas.dashboard import share
from pmo_saas.dashboard.schemas import CreatedShareLink, ShareLinkRow
from pmo_saas.db import in_tenant
from pmo_saas.identity.auth_state import AuthState, backend_url
from pmo_saas.identity.pages.shown_once import ShownOncePage, revoke_button, shown_once_page
from pmo_saas.identity.shell import workspace
from pmo_saas.kernel.context import TenantContext
from pmo_saas.ui.components import data_table, field

NEW_LINK_ID = "new-share-link"


def _shown(created: CreatedShareLink) -> tuple[str, str]:
    return created.row.label, backend_url(created.path)  # dashboard.http opens it


class SharingState(ShownOncePage, rx.State):
    rows: list[ShareLinkRow] = []

    async def _refresh(self, ctx: TenantContext) -> None:
        self.rows = await in_tenant(ctx, share.list_share_links)

    def _on_failed_load(self) -> None:
        self.rows = []

    @rx.event
    async def load(self) -> None:
        await self._open()

    @rx.event
    async def create(self, form: dict):  # type: ignore[no-untyped-def]
        return await self._create_shown_once(
            share.create_share_link,
            notice="Link created. Copy it now: it is shown only once.",
            element_id=NEW_LINK_ID,
            shown=_shown,
            label=form.get("label", ""),
            days=form.get("days", "30") or "30",
        )

    @rx.event
    async def revoke(self, link_id: int) -> None:
        await self._revoke(
            share.revoke_share_link,
            notice="Link revoked: it no longer opens the dashboard.",
            link_id=int(link_id),
        )


@rx.page(
    route="/o/[slug]/dashboard/sharing",
    title="Share links",
    on_load=[AuthState.load_workspace, SharingState.load],
)
@workspace
def sharing_page() -> rx.Component:
    return shown_once_page(
        SharingState,
        title="Share links",
        subtitle="Read-only links to the dashboard for people without an account.",
        element_id=NEW_LINK_ID,
        what="share link",
        fields=(
            field("Who is it for", "label", placeholder="Board, December"),
            field("Days valid", "days", type="number", default_value="30"),
        ),
        submit_label="Create link",
        on_submit=SharingState.create,
        table=data_table(
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
                        revoke_button("Revoke link for " + r.label, SharingState.revoke(r.id)),
                    )
                ),
            ),
            size="1",
        ),
    )
