"""Account > Single sign-on: a member links their own account to the organisation's identity
provider (SSO never links an existing account by itself), or removes that link."""

from __future__ import annotations

from urllib.parse import quote

import reflex as rx

from pmo_saas.db import in_tenant
from pmo_saas.identity import sso_link
from pmo_saas.identity.auth_state import AuthState, navigate_to_backend
from pmo_saas.identity.page_state import WorkspacePage
from pmo_saas.identity.shell import workspace
from pmo_saas.kernel.context import TenantContext
from pmo_saas.ui.components import card, error_callout, info_callout, page_heading
from pmo_saas.ui.dialogs import confirm_dialog


class SsoAccountState(WorkspacePage, rx.State):
    linked: list[str] = []
    loaded: bool = False

    async def _refresh(self, ctx: TenantContext) -> None:
        self.linked = await in_tenant(ctx, sso_link.linked_identities)

    def _on_failed_load(self) -> None:
        self.linked, self.loaded = [], False

    @rx.event
    async def load(self) -> None:
        self.loaded = await self._load()
        query = self.router.url.query_parameters
        if self.loaded and query.get("error"):
            self.error = query["error"]
        elif self.loaded and query.get("linked") and self.linked:
            self.notice = "Your single sign-on identity is linked: you can now sign in with SSO."

    @rx.event
    async def start_link(self):  # type: ignore[no-untyped-def]
        ctx = await self._checked_context()
        if ctx is None:
            return None
        return navigate_to_backend(f"/sso/link?org={quote(ctx.org_slug)}")

    @rx.event
    async def unlink(self) -> None:
        await self._act(
            sso_link.unlink_identities,
            notice="The link was removed: sign in with your password from now on.",
        )


@rx.page(
    route="/o/[slug]/account/sso",
    title="Your single sign-on",
    on_load=[AuthState.load_workspace, SsoAccountState.load],
)
@workspace
def sso_account_page() -> rx.Component:
    s = SsoAccountState
    return rx.vstack(
        page_heading(
            "Your single sign-on",
            "Link your account to your organisation's identity provider.",
        ),
        error_callout(s.error),
        info_callout(s.notice),
        rx.cond(
            s.loaded,
            card(
                rx.cond(
                    s.linked.length() > 0,
                    rx.vstack(
                        rx.text("Linked to:", size="2"),
                        rx.foreach(s.linked, lambda issuer: rx.code(issuer)),
                        confirm_dialog(
                            rx.button("Remove the link", color_scheme="red", variant="soft"),
                            title="Remove the link to your SSO account?",
                            description="You then sign in with your password here; signing in "
                            "with SSO links the account again.",
                            confirm_label="Remove the link",
                            on_confirm=s.unlink,
                        ),
                        align="start",
                    ),
                    rx.text(
                        "Your account is not linked. Linking sends you to the identity "
                        "provider once; it must confirm your own address.",
                        size="2",
                    ),
                ),
                rx.button("Link my sign-in", on_click=s.start_link),
                width="100%",
            ),
        ),
        width="100%",
        align="start",
    )
