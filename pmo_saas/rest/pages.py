"""The API keys page: admins create keys (access and the role a key acts with, never above
their own), see them and revoke them. The key is shown once, through an event, never a var."""

from __future__ import annotations

import reflex as rx

from pmo_saas.dashboard.pages.common import reveal_once
from pmo_saas.db import in_tenant
from pmo_saas.identity.auth_state import AuthState
from pmo_saas.identity.page_state import WorkspacePage
from pmo_saas.identity.shell import workspace
from pmo_saas.kernel.context import TenantContext
from pmo_saas.kernel.roles import ROLE_LABELS, Role
from pmo_saas.rest import keys
from pmo_saas.rest.models import KEY_ROLES
from pmo_saas.rest.schemas import ApiKeyRow
from pmo_saas.ui.components import (
    card,
    data_table,
    error_callout,
    field,
    info_callout,
    page_heading,
)
from pmo_saas.ui.section_nav import dashboard_nav

NEW_KEY_ID = "new-api-key"
ROLE_CHOICES = [(r.value, ROLE_LABELS[r]) for r in KEY_ROLES]


class ApiKeysState(WorkspacePage, rx.State):
    rows: list[ApiKeyRow] = []
    # The name of the key just created (the key itself is revealed by an event, never kept).
    new_key_name: str = ""

    async def _refresh(self, ctx: TenantContext) -> None:
        self.rows = await in_tenant(ctx, keys.list_api_keys)

    def _on_failed_load(self) -> None:
        self.rows = []

    @rx.event
    async def load(self) -> None:
        self.new_key_name = ""
        await self._load(Role.ADMIN)

    @rx.event
    async def create(self, form: dict):  # type: ignore[no-untyped-def]
        self.new_key_name = ""
        created = await self._act(
            keys.create_api_key,
            notice="Key created. Copy it now: it will not be shown again.",
            minimum=Role.ADMIN,
            name=form.get("name", ""),
            scope="read_write" if form.get("scope") == "Read and write" else "read",
            role=form.get("role") or Role.COACH.value,
        )
        if created is None:
            return None
        self.new_key_name = created.row.name
        return reveal_once(NEW_KEY_ID, created.key)  # only its hash is stored

    @rx.event
    async def revoke(self, key_id: int) -> None:
        self.new_key_name = ""
        await self._act(
            keys.revoke_api_key,
            notice="Key revoked: requests with it are refused from now on.",
            minimum=Role.ADMIN,
            key_id=int(key_id),
        )


@rx.page(
    route="/o/[slug]/dashboard/api-keys",
    title="API keys",
    on_load=[AuthState.load_workspace, ApiKeysState.load],
)
@workspace
def api_keys_page() -> rx.Component:
    return rx.vstack(
        page_heading(
            "API keys",
            "Keys for other tools to read (or write) this organisation's data through /api/v1.",
        ),
        dashboard_nav(),
        error_callout(ApiKeysState.error),
        info_callout(ApiKeysState.notice),
        rx.cond(
            ApiKeysState.new_key_name != "",
            card(
                rx.text("The new key (shown once):", weight="bold"),
                rx.code(id=NEW_KEY_ID, aria_label="New API key"),
                rx.text(
                    "Send it as the header Authorization: Bearer <key>. "
                    "The API is described at /api/v1/openapi.json.",
                    size="1",
                ),
                width="100%",
            ),
        ),
        card(
            rx.form(
                rx.hstack(
                    field("Key name", "name", placeholder="Power BI"),
                    rx.vstack(
                        rx.el.label("Access", html_for="field-scope", class_name="pmo-label"),
                        rx.el.select(
                            rx.el.option("Read only", value="Read only"),
                            rx.el.option("Read and write", value="Read and write"),
                            id="field-scope",
                            name="scope",
                            class_name="pmo-select",
                        ),
                        spacing="1",
                        align="start",
                    ),
                    rx.vstack(
                        rx.el.label("Acts as", html_for="field-role", class_name="pmo-label"),
                        rx.el.select(
                            *[rx.el.option(label, value=value) for value, label in ROLE_CHOICES],
                            id="field-role",
                            name="role",
                            default_value=Role.COACH.value,
                            class_name="pmo-select",
                        ),
                        spacing="1",
                        align="start",
                    ),
                    rx.button("Create key", type="submit"),
                    align="end",
                    width="100%",
                ),
                on_submit=ApiKeysState.create,
                reset_on_submit=True,
                width="100%",
            ),
            width="100%",
        ),
        data_table(
            "API keys",
            ["Name", "Key starts", "Access", "Acts as", "Created by", "Created", "Last used", ""],
            ApiKeysState.rows,
            lambda r: rx.table.row(
                rx.table.cell(r.name),
                rx.table.cell(r.prefix + "…"),
                rx.table.cell(rx.cond(r.scope == "read", "Read only", "Read and write")),
                rx.table.cell(rx.match(r.role, *ROLE_CHOICES, r.role)),
                rx.table.cell(r.created_by),
                rx.table.cell(r.created_at),
                rx.table.cell(r.last_used_at),
                rx.table.cell(
                    rx.cond(
                        r.revoked,
                        rx.text("Revoked", color_scheme="gray"),
                        rx.button(
                            "Revoke",
                            size="1",
                            color_scheme="red",
                            variant="soft",
                            aria_label="Revoke key " + r.name,
                            on_click=ApiKeysState.revoke(r.id),
                        ),
                    )
                ),
            ),
            size="1",
        ),
        width="100%",
        align="start",
    )
