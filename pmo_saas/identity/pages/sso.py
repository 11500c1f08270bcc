"""Single sign-on pages: the organisation's OpenID Connect settings, and "Sign in with SSO".

The client secret goes from the browser to the server once, inside the form's submit event;
no var ever holds it, so nothing sends it back. The settings form is uncontrolled and keyed
by `form_version`: after a load or a save it is rebuilt from the saved values (the secret
field empty), while a refused save leaves what the person typed in place.
"""

from __future__ import annotations

from urllib.parse import urlencode

import reflex as rx
from pydantic import BaseModel

from pmo_saas.db import in_tenant
from pmo_saas.identity import sso, sso_social
from pmo_saas.identity.auth_state import AuthState, backend_url, navigate_to_backend
from pmo_saas.identity.page_state import WorkspacePage
from pmo_saas.identity.pages.sso_domains import SsoDomainsState, sso_domains_card
from pmo_saas.identity.shell import public, workspace
from pmo_saas.kernel.context import TenantContext
from pmo_saas.kernel.errors import ValidationFailed
from pmo_saas.kernel.roles import Role
from pmo_saas.settings import get_settings
from pmo_saas.ui.components import card, error_callout, field, info_callout, page_heading

SSO_ROLES = [Role.MEMBER.value, Role.COACH.value, Role.VIEWER.value, Role.ADMIN.value]


class FoundRow(BaseModel):
    """One line of what "Test connection" found in the discovery document."""

    label: str
    value: str


def parse_role_mapping(text: str) -> dict[str, str]:
    """Lines of `claim value = role` (blank lines ignored) into {value: role}."""
    mapping: dict[str, str] = {}
    for number, line in enumerate((text or "").splitlines(), start=1):
        if not line.strip():
            continue
        value, sep, role = line.rpartition("=")
        if not sep or not value.strip() or not role.strip():
            raise ValidationFailed(
                f"Line {number} of the role mapping should read 'claim value = role', "
                "for example 'pmo-admins = admin'.",
                field="role_mapping",
            )
        mapping[value.strip()] = role.strip().lower()
    return mapping


def mapping_text(mapping: dict[str, str]) -> str:
    return "\n".join(f"{value} = {role}" for value, role in sorted(mapping.items()))


def _found_rows(result: sso.SsoTestResult) -> list[FoundRow]:
    plural = "" if result.signing_keys == 1 else "s"
    rows = [
        ("Issuer", result.issuer),
        ("Authorization endpoint", result.authorization_endpoint),
        ("Token endpoint", result.token_endpoint),
        ("Userinfo endpoint", result.userinfo_endpoint or "none"),
        ("Sign-out endpoint", result.end_session_endpoint or "none"),
        ("Keys (JWKS)", f"{result.jwks_uri} ({result.signing_keys} signing key{plural})"),
        ("Scopes", ", ".join(result.scopes_supported) or "not listed"),
        ("PKCE methods", ", ".join(result.pkce_methods) or "not listed"),
    ]
    return [FoundRow(label=label, value=value) for label, value in rows]


# ---------------------------------------------------------------- organisation settings


class SsoSettingsState(WorkspacePage, rx.State):
    configured: bool = False
    issuer_url: str = ""
    client_id: str = ""
    secret_set: bool = False
    domains: str = ""
    default_role: str = Role.MEMBER.value
    require_sso: bool = False
    enabled: bool = True
    role_claim: str = ""
    role_mapping: str = ""
    updated_at: str = ""
    redirect_uri: str = ""
    form_version: int = 0
    loaded: bool = False

    issuer_draft: str = ""
    testing: bool = False
    test_ok: bool = False
    test_message: str = ""
    test_found: list[FoundRow] = []

    def _show(self, connection: sso.SsoConnectionPublic) -> None:
        self.configured = connection.configured
        self.issuer_url = connection.issuer_url
        self.client_id = connection.client_id
        self.secret_set = connection.client_secret == sso.SECRET_SET
        self.domains = ", ".join(connection.allowed_domains)
        self.default_role = connection.default_role
        self.require_sso = connection.require_sso
        self.enabled = connection.enabled if connection.configured else True
        self.role_claim = connection.role_claim
        self.role_mapping = mapping_text(connection.role_mapping)
        self.updated_at = connection.updated_at
        self.issuer_draft = connection.issuer_url
        self.form_version += 1

    def _clear_test(self) -> None:
        self.test_ok, self.test_message, self.test_found = False, "", []

    async def _refresh(self, ctx: TenantContext) -> None:
        self._show(await in_tenant(ctx, sso.get_sso_connection))

    def _on_failed_load(self) -> None:
        self._show(sso.SsoConnectionPublic(configured=False))

    @rx.event
    async def load(self) -> None:
        self.loaded = False
        self._clear_test()
        settings = get_settings()
        self.redirect_uri = sso.callback_url(settings.sso_callback_base_url or backend_url(""))
        self.loaded = await self._load(Role.ADMIN)

    @rx.event
    async def reload_form(self) -> None:
        """Another card changed the domains: rebuild the form from what is saved."""
        await self._reload(Role.ADMIN)

    @rx.event
    def set_issuer_draft(self, value: str) -> None:
        self.issuer_draft = value

    @rx.event
    async def save(self, form: dict):  # type: ignore[no-untyped-def]
        connection = await self._act(
            sso.save_sso_connection,
            minimum=Role.ADMIN,
            refresh=False,
            prepare=lambda: {"role_mapping": parse_role_mapping(form.get("role_mapping", ""))},
            issuer_url=form.get("issuer_url", ""),
            client_id=form.get("client_id", ""),
            client_secret=form.get("client_secret", ""),
            allowed_domains=form.get("domains", ""),
            default_role=form.get("default_role", Role.MEMBER.value),
            require_sso=bool(form.get("require_sso")),
            enabled=bool(form.get("enabled")),
            role_claim=form.get("role_claim", ""),
        )
        if connection is None:
            return None
        was_configured = self.configured
        self._show(connection)
        self.notice = (
            "Single sign-on settings saved." if was_configured else "Single sign-on is set up."
        )
        unproven = sorted(set(connection.allowed_domains) - set(connection.verified_domains))
        if unproven:
            self.notice += (
                f" Prove {', '.join(unproven)} under Email domains: until then nobody signs "
                "in through it."
            )
        return SsoDomainsState.refresh_quietly

    @rx.event
    async def test_connection(self):  # type: ignore[no-untyped-def]
        self._clear_messages()
        self._clear_test()
        self.testing = True
        yield
        try:
            result = await self._act_outside(
                sso.check_sso_connection,
                minimum=Role.ADMIN,
                refresh=False,
                issuer_url=self.issuer_draft or self.issuer_url,
            )
        finally:
            self.testing = False
        if result is None:
            return
        self.test_ok = result.ok
        self.test_message = result.message
        self.test_found = _found_rows(result) if result.issuer else []

    @rx.event
    async def remove(self):  # type: ignore[no-untyped-def]
        self._clear_test()
        await self._act(
            sso.delete_sso_connection,
            minimum=Role.ADMIN,
            refresh=False,
            notice="The SSO connection was removed; people sign in with their passwords.",
        )
        if self.error:
            return None
        self._show(sso.SsoConnectionPublic(configured=False))
        return SsoDomainsState.refresh_quietly


def _checkbox(label: str, name: str, checked: rx.Var[bool], hint: str) -> rx.Component:
    input_id = f"field-{name}"
    return rx.vstack(
        rx.hstack(
            rx.el.input(type="checkbox", id=input_id, name=name, default_checked=checked),
            rx.el.label(label, html_for=input_id, class_name="pmo-label"),
            align="center",
            spacing="2",
        ),
        rx.text(hint, size="1", color_scheme="gray"),
        spacing="1",
        align="start",
    )


def _role_select() -> rx.Component:
    return rx.vstack(
        rx.el.label(
            "Default role for new people", html_for="field-default_role", class_name="pmo-label"
        ),
        rx.el.select(
            *[rx.el.option(role, value=role) for role in SSO_ROLES],
            id="field-default_role",
            name="default_role",
            default_value=SsoSettingsState.default_role,
            class_name="pmo-select",
        ),
        spacing="1",
        align="start",
    )


def _settings_form() -> rx.Component:
    s = SsoSettingsState
    return rx.form(
        rx.vstack(
            field(
                "Issuer URL",
                "issuer_url",
                placeholder="https://login.example.com",
                default_value=s.issuer_url,
                on_blur=s.set_issuer_draft,
                hint="Your identity provider's issuer; discovery is read from "
                "/.well-known/openid-configuration under it.",
            ),
            field("Client id", "client_id", default_value=s.client_id),
            rx.vstack(
                field(
                    "Client secret",
                    "client_secret",
                    type="password",
                    required=False,
                    auto_complete="off",
                    placeholder=rx.cond(s.secret_set, "Leave empty to keep the saved one", ""),
                ),
                rx.cond(
                    s.secret_set,
                    rx.text(
                        "A secret is set. It is stored encrypted and never shown again; "
                        "type a new one only to replace it.",
                        size="1",
                        color_scheme="gray",
                    ),
                    rx.text("No secret is saved yet.", size="1", color_scheme="gray"),
                ),
                spacing="1",
                width="100%",
            ),
            field(
                "Allowed email domains",
                "domains",
                placeholder="example.com, example.org",
                default_value=s.domains,
                hint="Only people with an address in these domains may sign in through SSO, "
                "and only once you have proven each domain is yours (below).",
            ),
            _role_select(),
            _checkbox(
                "Connection switched on",
                "enabled",
                s.enabled,
                "When off, nobody can sign in through this identity provider.",
            ),
            _checkbox(
                "Require SSO",
                "require_sso",
                s.require_sso,
                "Members cannot sign in with a password any more; owners still can, "
                "in case the identity provider is down.",
            ),
            field(
                "Role claim",
                "role_claim",
                required=False,
                placeholder="groups",
                default_value=s.role_claim,
                hint="Optional: an ID-token claim whose values set people's roles.",
            ),
            rx.vstack(
                rx.el.label(
                    "Claim values to roles", html_for="field-role_mapping", class_name="pmo-label"
                ),
                rx.text_area(
                    id="field-role_mapping",
                    name="role_mapping",
                    default_value=s.role_mapping,
                    placeholder="pmo-admins = admin\ncoaches = coach",
                    rows="3",
                    width="100%",
                    style={"font_family": "monospace"},
                ),
                rx.text(
                    "One 'claim value = role' per line (admin, coach, member or viewer). "
                    "A matching value sets the role at every sign-in.",
                    size="1",
                    color_scheme="gray",
                ),
                spacing="1",
                width="100%",
            ),
            rx.hstack(
                rx.button("Save", type="submit"),
                rx.button(
                    "Test connection",
                    type="button",
                    variant="soft",
                    loading=s.testing,
                    on_click=s.test_connection,
                ),
                spacing="3",
            ),
            spacing="3",
            width="100%",
        ),
        key=s.form_version,
        on_submit=s.save,
        reset_on_submit=False,
        width="100%",
    )


def _test_result() -> rx.Component:
    s = SsoSettingsState
    return rx.cond(
        s.test_message != "",
        rx.el.section(
            rx.cond(
                s.test_ok,
                rx.callout(s.test_message, icon="circle_check", color_scheme="green"),
                rx.callout(s.test_message, icon="triangle_alert", color_scheme="orange"),
            ),
            rx.cond(
                s.test_found.length() > 0,
                rx.table.root(
                    rx.table.body(
                        rx.foreach(
                            s.test_found,
                            lambda row: rx.table.row(
                                rx.table.row_header_cell(row.label),
                                rx.table.cell(row.value),
                            ),
                        )
                    ),
                    size="1",
                    width="100%",
                ),
            ),
            aria_label="Test connection result",
            style={"width": "100%"},
        ),
    )


def _remove_dialog() -> rx.Component:
    return rx.alert_dialog.root(
        rx.alert_dialog.trigger(
            rx.button("Remove connection", color_scheme="red", variant="soft"),
        ),
        rx.alert_dialog.content(
            rx.alert_dialog.title("Remove the SSO connection?"),
            rx.alert_dialog.description(
                "People will sign in with their passwords; those created by SSO set one "
                "through 'Forgot your password?'."
            ),
            rx.hstack(
                rx.alert_dialog.cancel(rx.button("Cancel", variant="soft", color_scheme="gray")),
                rx.alert_dialog.action(
                    rx.button("Remove", color_scheme="red", on_click=SsoSettingsState.remove)
                ),
                spacing="3",
                justify="end",
                margin_top="1em",
            ),
        ),
    )


@rx.page(
    route="/o/[slug]/settings/sso",
    title="Single sign-on",
    on_load=[AuthState.load_workspace, SsoSettingsState.load, SsoDomainsState.load],
)
@workspace
def sso_settings_page() -> rx.Component:
    s = SsoSettingsState
    return rx.vstack(
        page_heading(
            "Single sign-on",
            "Sign your people in through your identity provider (OpenID Connect).",
        ),
        rx.link("Back to settings", href="/o/" + AuthState.org_slug + "/settings", size="2"),
        error_callout(s.error),
        info_callout(s.notice),
        rx.cond(
            s.loaded,
            rx.vstack(
                card(
                    rx.heading("Connection", size="4", as_="h2"),
                    rx.cond(
                        s.configured,
                        rx.text(
                            rx.cond(s.enabled, "Switched on", "Switched off"),
                            rx.cond(s.require_sso, ", required for members", ""),
                            ". Last changed ",
                            s.updated_at,
                            ".",
                            size="2",
                        ),
                        rx.text("Not set up yet.", size="2"),
                    ),
                    rx.text(
                        "Register this redirect URI at your identity provider: ",
                        rx.code(s.redirect_uri),
                        size="2",
                    ),
                    _settings_form(),
                    _test_result(),
                    width="100%",
                ),
                rx.cond(s.configured, sso_domains_card()),
                rx.cond(s.configured, _remove_dialog()),
                width="100%",
                align="start",
                spacing="4",
            ),
        ),
        width="100%",
        align="start",
    )


# ---------------------------------------------------------------- sign in with SSO (public)


class SsoSignInState(rx.State):
    error: str = ""
    social: list[sso_social.SocialChoice] = []

    @rx.event
    def load(self) -> None:
        self.error = self.router.url.query_parameters.get("error", "")
        self.social = sso_social.social_choices()

    def _next(self) -> dict[str, str]:
        next_path = self.router.url.query_parameters.get("next", "")
        return {"next": next_path} if next_path else {}

    @rx.event
    def start(self, form: dict):  # type: ignore[no-untyped-def]
        self.error = ""
        who = str(form.get("who", "")).strip()
        if not who:
            self.error = "Enter your work email or your organisation's address."
            return None
        params = {"email": who} if "@" in who else {"org": who.strip("/").rsplit("/", 1)[-1]}
        return navigate_to_backend("/sso/start?" + urlencode({**params, **self._next()}))

    @rx.event
    def start_social(self, key: str):  # type: ignore[no-untyped-def]
        self.error = ""
        if key not in {choice.key for choice in self.social}:
            self.error = "That way of signing in is not available here."
            return None
        query = urlencode(self._next())
        return navigate_to_backend(f"/sso/social/{key}" + (f"?{query}" if query else ""))


@rx.page(
    route="/signin/sso",
    title="Sign in with SSO",
    on_load=[AuthState.load_public, SsoSignInState.load],
)
@public
def sso_signin_page() -> rx.Component:
    return rx.center(
        card(
            page_heading("Sign in with SSO", "Through your organisation's identity provider."),
            error_callout(SsoSignInState.error),
            rx.form(
                rx.vstack(
                    field(
                        "Work email or organisation address",
                        "who",
                        type="text",
                        placeholder="you@company.com or acme-corp",
                        auto_complete="email",
                    ),
                    rx.button("Continue", type="submit", width="100%"),
                    spacing="3",
                    width="100%",
                ),
                on_submit=SsoSignInState.start,
                reset_on_submit=False,
                width="100%",
            ),
            rx.cond(
                SsoSignInState.social.length() > 0,
                rx.vstack(
                    rx.text("Or, for an existing account:", size="2", color_scheme="gray"),
                    rx.foreach(
                        SsoSignInState.social,
                        lambda choice: rx.button(
                            "Continue with " + choice.label,
                            variant="outline",
                            width="100%",
                            on_click=SsoSignInState.start_social(choice.key),
                        ),
                    ),
                    width="100%",
                ),
            ),
            rx.link("Sign in with a password", href="/signin", size="2"),
            width="420px",
        )
    )


# The account page where a member links their own SSO identity (compiled with this module).
from pmo_saas.identity.pages import sso_account  # noqa: E402,F401
