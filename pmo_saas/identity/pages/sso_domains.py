"""Email domains on the SSO settings page (claim status, the TXT record to publish, "Check
DNS", "Send verification mail", "Remove"), and the public page a mailed link opens.

The domains card has its own small state; the settings page places the card and loads it.
"""

from __future__ import annotations

import reflex as rx

from pmo_saas.db import in_tenant
from pmo_saas.identity import sso_domains
from pmo_saas.identity.auth_state import AuthState
from pmo_saas.identity.page_state import PublicPage, WorkspacePage
from pmo_saas.identity.shell import public
from pmo_saas.identity.sso_domains import DomainLinkPublic, SsoDomainRow
from pmo_saas.kernel.context import TenantContext
from pmo_saas.kernel.roles import Role
from pmo_saas.ui.components import card, error_callout, info_callout, page_heading
from pmo_saas.ui.dialogs import confirm_button

MAILBOX_CHOICES = list(sso_domains.MAILBOXES)


class SsoDomainsState(WorkspacePage, rx.State):
    rows: list[SsoDomainRow] = []
    checking: str = ""  # the domain whose DNS check is running

    async def _refresh(self, ctx: TenantContext) -> None:
        self.rows = await in_tenant(ctx, sso_domains.list_sso_domains)

    def _on_failed_load(self) -> None:
        self.rows = []

    @rx.event
    async def load(self) -> None:
        await self._load(Role.ADMIN)

    @rx.event
    async def refresh_quietly(self) -> None:
        """After the connection form saved: show the claims, keep the messages."""
        await self._reload(Role.ADMIN, quiet=True)

    @rx.event
    async def check_dns(self, domain: str):  # type: ignore[no-untyped-def]
        self._clear_messages()
        self.checking = domain
        yield
        try:
            row = await self._act_outside(
                sso_domains.check_domain_dns, minimum=Role.ADMIN, domain=domain
            )
        finally:
            self.checking = ""
        if row is not None:
            self.notice = f"{row.domain} is verified." if row.verified else ""

    @rx.event
    async def send_mail(self, form: dict) -> None:
        domain = str(form.get("domain", ""))
        mailbox = str(form.get("mailbox", ""))
        row = await self._act(
            sso_domains.send_domain_verification_mail,
            minimum=Role.ADMIN,
            domain=domain,
            mailbox=mailbox,
        )
        if row is not None:
            self.notice = (
                f"A verification link was mailed to {row.mail_sent_to}; it works once, "
                f"until {row.mail_expires_at}."
            )

    @rx.event
    async def remove(self, domain: str):  # type: ignore[no-untyped-def]
        from pmo_saas.identity.pages.sso import SsoSettingsState

        await self._act(
            sso_domains.remove_sso_domain,
            minimum=Role.ADMIN,
            notice=f"{domain} was removed: nobody signs in through it any more.",
            domain=domain,
        )
        if self.error:
            return None
        return SsoSettingsState.reload_form


def _status_badge(row: rx.Var[SsoDomainRow]) -> rx.Component:
    return rx.cond(
        row.verified,
        rx.badge("Verified", color_scheme="green"),
        rx.badge("Not verified yet", color_scheme="orange"),
    )


def _domain_row(row: rx.Var[SsoDomainRow]) -> rx.Component:
    s = SsoDomainsState
    return rx.el.li(
        rx.vstack(
            rx.hstack(
                rx.heading(row.domain, size="3", as_="h3"),
                _status_badge(row),
                align="center",
                spacing="2",
            ),
            rx.cond(
                row.verified,
                rx.text(
                    "Proven by ",
                    rx.cond(row.method == "dns", "DNS TXT record", "mailed link"),
                    " on ",
                    row.verified_at,
                    rx.cond(row.verified_by != "", " by " + row.verified_by, ""),
                    ".",
                    size="2",
                ),
                rx.vstack(
                    rx.text(
                        "Nobody signs in through this domain until you prove it is yours. "
                        "Publish this DNS TXT record (or the value at the domain itself), "
                        "then choose Check DNS:",
                        size="2",
                    ),
                    rx.text("Name: ", rx.code(row.txt_name), size="2"),
                    rx.text("Value: ", rx.code(row.txt_value), size="2"),
                    rx.hstack(
                        rx.button(
                            "Check DNS",
                            type="button",
                            variant="soft",
                            loading=s.checking == row.domain,
                            on_click=s.check_dns(row.domain),
                            aria_label="Check DNS for " + row.domain,
                        ),
                        rx.text("or mail a one-time link to", size="2", color_scheme="gray"),
                        rx.form(
                            rx.hstack(
                                rx.el.input(type="hidden", name="domain", value=row.domain),
                                rx.el.select(
                                    *[
                                        rx.el.option(m + "@" + row.domain, value=m)
                                        for m in MAILBOX_CHOICES
                                    ],
                                    name="mailbox",
                                    aria_label="Mailbox for " + row.domain,
                                    class_name="pmo-select",
                                ),
                                rx.button(
                                    "Send verification mail",
                                    type="submit",
                                    variant="soft",
                                    aria_label="Send verification mail for " + row.domain,
                                ),
                                spacing="2",
                                align="center",
                            ),
                            on_submit=s.send_mail,
                            reset_on_submit=False,
                        ),
                        spacing="3",
                        wrap="wrap",
                        align="center",
                    ),
                    rx.cond(
                        row.mail_sent_to != "",
                        rx.text(
                            "A link was mailed to ",
                            row.mail_sent_to,
                            " (valid until ",
                            row.mail_expires_at,
                            ").",
                            size="1",
                            color_scheme="gray",
                        ),
                    ),
                    spacing="2",
                    align="start",
                ),
            ),
            confirm_button(
                "Remove",
                name="Remove " + row.domain,
                variant="ghost",
                title="Remove the domain " + row.domain + "?",
                description="Sign-in by email address no longer finds this organisation's SSO "
                "for it; proving it again takes a new DNS record.",
                confirm_label="Remove domain",
                on_confirm=s.remove(row.domain),
            ),
            spacing="2",
            align="start",
        ),
        style={
            "list_style": "none",
            "width": "100%",
            "padding": "0.75em 0",
            "border_top": "1px solid var(--gray-a5)",
        },
    )


def sso_domains_card() -> rx.Component:
    s = SsoDomainsState
    return card(
        rx.heading("Email domains", size="4", as_="h2"),
        rx.text(
            "People sign in through your identity provider only with addresses at domains "
            "you have proven are yours. Add domains in the form above.",
            size="2",
        ),
        error_callout(s.error),
        info_callout(s.notice),
        rx.cond(
            s.rows.length() > 0,
            rx.el.ul(
                rx.foreach(s.rows, _domain_row),
                aria_label="Email domains",
                style={"padding": "0", "margin": "0", "width": "100%"},
            ),
            rx.text("No domain claimed yet.", size="2", color_scheme="gray"),
        ),
        width="100%",
    )


# ---------------------------------------------------------------- the mailed link (public)


class DomainProofState(PublicPage, rx.State):
    domain: str = ""
    org_name: str = ""
    verified: bool = False

    def _token(self) -> str:
        return self.router.url.query_parameters.get("token", "")

    def _show(self, found: DomainLinkPublic | None) -> None:
        if found is not None:
            self.domain, self.org_name = found.domain, found.org_name
            self.verified = found.verified

    @rx.event
    async def load(self) -> None:
        self.verified, self.domain, self.org_name = False, "", ""
        self._show(await self._run(sso_domains.describe_domain_link, token=self._token()))

    @rx.event
    async def confirm(self) -> None:
        self._show(await self._run(sso_domains.confirm_domain_link, token=self._token()))


@rx.page(
    route=sso_domains.VERIFY_PATH,
    title="Confirm a domain",
    on_load=[AuthState.load_public, DomainProofState.load],
)
@public
def domain_proof_page() -> rx.Component:
    s = DomainProofState
    return rx.center(
        card(
            page_heading("Confirm a domain", "For single sign-on on pmo_saas."),
            error_callout(s.error),
            rx.cond(
                s.verified,
                info_callout(s.domain + " is now verified for " + s.org_name + ". Thank you."),
                rx.cond(
                    s.domain != "",
                    rx.vstack(
                        rx.text(
                            s.org_name,
                            " asks to sign in every address at ",
                            rx.el.strong(s.domain),
                            " through its identity provider. Confirm only if you run ",
                            s.domain,
                            " and agree.",
                            size="2",
                        ),
                        rx.button("Confirm " + s.domain, on_click=s.confirm, aria_label="Confirm"),
                        spacing="3",
                        align="start",
                    ),
                ),
            ),
            width="460px",
        )
    )
