"""The API keys page: admins create keys (access and the role a key acts with, never above
their own), see them and revoke them. The key is shown once, through an event, never a var."""

from __future__ import annotations

import reflex as rx

from pmo_saas.db import in_tenant
from pmo_saas.identity.auth_state import AuthState
from pmo_saas.identity.pages.shown_once import ShownOncePage, revoke_button, shown_once_page
from pmo_saas.identity.shell import workspace
from pmo_saas.kernel.context import TenantContext
from pmo_saas.kernel.roles import ROLE_LABELS, Role
from pmo_saas.rest import keys
from pmo_saas.rest.models import KEY_ROLES
from pmo_saas.rest.schemas import ApiKeyRow, CreatedApiKey
from pmo_saas.ui.components import data_table, field

NEW_KEY_ID = "new-api-key"
ROLE_CHOICES = [(r.value, ROLE_LABELS[r]) for r in KEY_ROLES]
SCOPE_CHOICES = [("Read only", "Read only"), ("Read and write", "Read and write")]


def _shown(created: CreatedApiKey) -> tuple[str, str]:
    return created.row.name, created.key  # only its hash is stored


class ApiKeysState(ShownOncePage, rx.State):
    rows: list[ApiKeyRow] = []

    async def _refresh(self, ctx: TenantContext) -> None:
        self.rows = await in_tenant(ctx, keys.list_api_keys)

    def _on_failed_load(self) -> None:
        self.rows = []

    @rx.event
    async def load(self) -> None:
        await self._open()

    @rx.event
    async def create(self, form: dict):  # type: ignore[no-untyped-def]
        return await self._create_shown_once(
            keys.create_api_key,
            notice="Key created. Copy it now: it will not be shown again.",
            element_id=NEW_KEY_ID,
            shown=_shown,
            name=form.get("name", ""),
            scope="read_write" if form.get("scope") == "Read and write" else "read",
            role=form.get("role") or Role.COACH.value,
        )

    @rx.event
    async def revoke(self, key_id: int) -> None:
        await self._revoke(
            keys.revoke_api_key,
            notice="Key revoked: requests with it are refused from now on.",
            key_id=int(key_id),
        )


def _select(label: str, name: str, options: list[tuple[str, str]], default: str) -> rx.Component:
    return rx.vstack(
        rx.el.label(label, html_for=f"field-{name}", class_name="pmo-label"),
        rx.el.select(
            *[rx.el.option(text, value=value) for value, text in options],
            id=f"field-{name}",
            name=name,
            default_value=default,
            class_name="pmo-select",
        ),
        spacing="1",
        align="start",
    )


@rx.page(
    route="/o/[slug]/dashboard/api-keys",
    title="API keys",
    on_load=[AuthState.load_workspace, ApiKeysState.load],
)
@workspace
def api_keys_page() -> rx.Component:
    return shown_once_page(
        ApiKeysState,
        title="API keys",
        subtitle="Keys for other tools to read (or write) this organisation's data through "
        "/api/v1.",
        element_id=NEW_KEY_ID,
        what="API key",
        shown_card=(
            rx.text(
                "Send it as the header Authorization: Bearer <key>. "
                "The API is described at /api/v1/openapi.json.",
                size="1",
            ),
        ),
        fields=(
            field("Key name", "name", placeholder="Power BI"),
            _select("Access", "scope", SCOPE_CHOICES, "Read only"),
            _select("Acts as", "role", ROLE_CHOICES, Role.COACH.value),
        ),
        submit_label="Create key",
        on_submit=ApiKeysState.create,
        table=data_table(
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
                        revoke_button("Revoke key " + r.name, ApiKeysState.revoke(r.id)),
                    )
                ),
            ),
            size="1",
        ),
    )
