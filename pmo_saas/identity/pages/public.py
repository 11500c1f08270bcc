"""Public pages: landing, sign-up, sign-in, password reset, invitations, organisation list.

The answers here never tell whether an email has an account, and every refusal by the
guessing limits reads "Too many attempts; try again in N minutes" whichever limit refused.

The one-time link pages (`/reset/<token>`, `/invite/<token>`, `/verify/<token>`) keep the
token only sealed in a backend var, scrub the URL from the state's router data and go on to
the neutral route (`/reset`, `/invite`, `/verify`), so Reflex's state store never holds a
usable link (see `pmo_saas.identity.link_tokens`).
"""

from __future__ import annotations

import reflex as rx
from reflex.event import EventSpec

from pmo_saas.db import run_sync
from pmo_saas.identity import link_tokens
from pmo_saas.identity import services as identity
from pmo_saas.identity.auth_state import AuthState, signed_in_navigation
from pmo_saas.identity.page_state import PublicPage
from pmo_saas.identity.shell import public
from pmo_saas.ui.components import card, error_callout, field, info_callout, page_heading


def client_ip(state: rx.State) -> str:
    """The browser's address, as the services' per-client limits count it.

    Reflex resolves it from the socket (and from X-Forwarded-For only through the number of
    proxies set in REFLEX_TRUSTED_PROXY_HOPS), so a client cannot choose its own.
    """
    return state.router.session.client_ip or "unknown"


def take_link_token(state: rx.State, route: str, purpose: str) -> str:
    """On `<route>/<token>`: the token sealed into a handle ("" on the neutral route); either
    way the URL, referer and cookies leave the state's router data."""
    token = link_tokens.token_in_path(state.router.url.path, route)
    link_tokens.forget_route(state, route, keep_ip=True)
    return link_tokens.seal(token, purpose=purpose) if token else ""


RESET_ROUTE, INVITE_ROUTE, VERIFY_ROUTE = "/reset", "/invite", "/verify"


# ---------------------------------------------------------------- landing


def _feature(icon: str, title: str, text: str) -> rx.Component:
    return card(
        rx.hstack(rx.icon(icon), rx.heading(title, size="4", as_="h3"), align="center"),
        rx.text(text, color_scheme="gray"),
    )


@rx.page(route="/", title="pmo_saas: the Agile PMO workspace", on_load=AuthState.load_public)
@public
def landing() -> rx.Component:
    return rx.vstack(
        rx.heading("The Agile PMO that serves teams", size="9", as_="h1"),
        rx.text(
            "pmo_saas gives the office steering an agile transformation one private workspace: "
            "decide which initiatives get funded, measure transformation maturity, turn results "
            "into coaching plans, and hear from teams through culture surveys that keep everyone "
            "anonymous.",
            size="4",
        ),
        rx.hstack(
            rx.cond(
                AuthState.signed_in,
                rx.link(rx.button("Go to your organisations", size="3"), href="/orgs"),
                rx.link(rx.button("Create your organisation", size="3"), href="/signup"),
            ),
            rx.link(rx.button("Sign in", size="3", variant="soft"), href="/signin"),
        ),
        rx.grid(
            _feature(
                "briefcase",
                "Portfolio prioritisation",
                "Score initiatives with WSJF, RICE, MoSCoW or your own criteria, together; "
                "fund the best set within the budget.",
            ),
            _feature(
                "radar",
                "Maturity assessments",
                "Dimension-based rounds run by coaches, radar charts, trends and heat maps.",
            ),
            _feature(
                "sprout",
                "Coaching plans",
                "Growth plans from assessment results, with actions, owners and progress.",
            ),
            _feature(
                "message-square-heart",
                "Culture surveys",
                "Westrum, eNPS and team health checks, anonymous by design.",
            ),
            columns="2",
            spacing="4",
            width="100%",
        ),
        spacing="5",
        align="start",
    )


# ---------------------------------------------------------------- sign-up


class SignUpState(PublicPage, rx.State):
    @rx.event
    async def submit(self, form: dict) -> None:
        email = " ".join(str(form.get("email", "")).split())
        await self._run(
            identity.register,
            # The same words whether the address is new or already has an account.
            notice=f"Check your inbox: we sent a mail to {email}. Open the link in it to "
            "verify your address, then sign in to your workspace.",
            org_name=form.get("org_name", ""),
            name=form.get("name", ""),
            email=email,
            password=form.get("password", ""),
            client_ip=client_ip(self),
        )


@rx.page(route="/signup", title="Create your organisation", on_load=AuthState.load_public)
@public
def signup() -> rx.Component:
    return rx.center(
        card(
            page_heading("Create your organisation", "Your private workspace, ready in a minute."),
            error_callout(SignUpState.error),
            info_callout(SignUpState.notice),
            rx.form(
                rx.vstack(
                    field("Organisation name", "org_name", placeholder="Acme Corp"),
                    field("Your name", "name", placeholder="Ada Lovelace"),
                    field("Email", "email", type="email", placeholder="you@example.com"),
                    field(
                        "Password",
                        "password",
                        type="password",
                        hint="At least 10 characters, not easy to guess.",
                    ),
                    rx.button("Create organisation", type="submit", width="100%"),
                    spacing="3",
                    width="100%",
                ),
                on_submit=SignUpState.submit,
                reset_on_submit=False,
                width="100%",
            ),
            rx.text("Already have an account? ", rx.link("Sign in", href="/signin")),
            width="420px",
        )
    )


# ---------------------------------------------------------------- sign-in


class SignInState(PublicPage, rx.State):
    @rx.event
    def show_redirect_error(self) -> None:
        self.error = self.router.url.query_parameters.get("error", "")

    @rx.event
    async def submit(self, form: dict):
        user_id = await self._run(
            identity.authenticate,
            email=form.get("email", ""),
            password=form.get("password", ""),
            client_ip=client_ip(self),
        )
        if user_id is None:
            return None
        next_path = self.router.url.query_parameters.get("next", "")
        if not next_path.startswith("/o/"):
            orgs = await run_sync(identity.list_memberships, user_id=user_id)
            next_path = f"/o/{orgs[0].slug}" if len(orgs) == 1 else "/orgs"
        return await signed_in_navigation(user_id, next_path)


@rx.page(
    route="/signin",
    title="Sign in",
    on_load=[AuthState.load_public, SignInState.show_redirect_error],
)
@public
def signin() -> rx.Component:
    return rx.center(
        card(
            page_heading("Sign in"),
            error_callout(SignInState.error),
            rx.form(
                rx.vstack(
                    field("Email", "email", type="email", placeholder="you@example.com"),
                    field("Password", "password", type="password"),
                    rx.button("Sign in", type="submit", width="100%"),
                    spacing="3",
                    width="100%",
                ),
                on_submit=SignInState.submit,
                reset_on_submit=False,
                width="100%",
            ),
            rx.hstack(
                rx.link("Forgot your password?", href="/forgot"),
                rx.link("Sign in with SSO", href="/signin/sso"),
                justify="between",
                width="100%",
            ),
            width="420px",
        )
    )


# ---------------------------------------------------------------- password reset


class ForgotState(PublicPage, rx.State):
    @rx.event
    async def submit(self, form: dict) -> None:
        await self._run(
            identity.request_password_reset,
            notice="If an account exists for that email, a reset link is on its way.",
            email=form.get("email", ""),
            client_ip=client_ip(self),
        )


@rx.page(route="/forgot", title="Reset your password")
@public
def forgot() -> rx.Component:
    return rx.center(
        card(
            page_heading("Reset your password", "We will email you a one-time link."),
            error_callout(ForgotState.error),
            info_callout(ForgotState.notice),
            rx.form(
                rx.vstack(
                    field("Email", "email", type="email"),
                    rx.button("Send reset link", type="submit", width="100%"),
                    width="100%",
                ),
                on_submit=ForgotState.submit,
                width="100%",
            ),
            width="420px",
        )
    )


class ResetState(PublicPage, rx.State):
    done: bool = False
    # The link's token, sealed and expiring (see link_tokens).
    _handle: str = ""

    @rx.event
    def load(self) -> EventSpec | None:
        handle = take_link_token(self, RESET_ROUTE, link_tokens.RESET)
        if not handle:
            return None
        self._handle, self.error, self.done = handle, "", False
        return rx.redirect(RESET_ROUTE, replace=True)

    @rx.event
    async def submit(self, form: dict) -> None:
        link_tokens.forget_route(self, RESET_ROUTE, keep_ip=True)
        await self._run_link(
            identity.reset_password,
            handle=self._handle,
            purpose=link_tokens.RESET,
            password=form.get("password", ""),
        )
        if not self.error:
            self._handle, self.done = "", True


@rx.page(route="/reset/[token]", title="Choose a new password", on_load=ResetState.load)
@rx.page(route=RESET_ROUTE, title="Choose a new password", on_load=ResetState.load)
@public
def reset() -> rx.Component:
    return rx.center(
        card(
            page_heading("Choose a new password"),
            error_callout(ResetState.error),
            rx.cond(
                ResetState.done,
                rx.vstack(
                    info_callout("Your password has been changed; other sessions were ended."),
                    rx.link("Sign in", href="/signin"),
                ),
                rx.form(
                    rx.vstack(
                        field(
                            "New password",
                            "password",
                            type="password",
                            hint="At least 10 characters, not easy to guess.",
                        ),
                        rx.button("Change password", type="submit", width="100%"),
                        width="100%",
                    ),
                    on_submit=ResetState.submit,
                    reset_on_submit=False,
                    width="100%",
                ),
            ),
            width="420px",
        )
    )


# ---------------------------------------------------------------- invitations


class InviteState(PublicPage, rx.State):
    org_name: str = ""
    email: str = ""
    role: str = ""
    valid: bool = False
    # The link's token, sealed and expiring (see link_tokens); the handle last previewed.
    _handle: str = ""
    _previewed: str = ""

    @rx.event
    async def load(self) -> EventSpec | None:
        handle = take_link_token(self, INVITE_ROUTE, link_tokens.INVITE)
        if handle:
            self._handle = handle
        elif self._handle and self._handle == self._previewed:
            return None  # after the hop to /invite (or a reload): the preview is shown
        self.valid, self._previewed = False, self._handle
        preview = await self._run_link(
            identity.preview_invitation, handle=self._handle, purpose=link_tokens.INVITE
        )
        if preview is not None:
            self.valid = True
            self.org_name, self.email, self.role = preview.org_name, preview.email, preview.role
        return rx.redirect(INVITE_ROUTE, replace=True) if handle else None

    @rx.event
    async def accept(self, form: dict):
        link_tokens.forget_route(self, INVITE_ROUTE, keep_ip=True)
        accepted = await self._run_link(
            identity.accept_invitation,
            handle=self._handle,
            purpose=link_tokens.INVITE,
            name=form.get("name", ""),
            password=form.get("password", ""),
            client_ip=client_ip(self),
        )
        if accepted is None:
            return None
        user_id, slug = accepted
        self._handle = self._previewed = ""
        return await signed_in_navigation(user_id, f"/o/{slug}")


@rx.page(route="/invite/[token]", title="Join your organisation", on_load=InviteState.load)
@rx.page(route=INVITE_ROUTE, title="Join your organisation", on_load=InviteState.load)
@public
def invite() -> rx.Component:
    return rx.center(
        card(
            page_heading("Join your organisation"),
            error_callout(InviteState.error),
            rx.cond(
                InviteState.valid,
                rx.vstack(
                    rx.text(
                        "You are invited to ",
                        rx.text.strong(InviteState.org_name),
                        " as ",
                        rx.text.strong(InviteState.role),
                        " (",
                        InviteState.email,
                        ").",
                    ),
                    rx.form(
                        rx.vstack(
                            # One form for everyone: the page never tells whether the
                            # email already has an account.
                            field(
                                "Your name",
                                "name",
                                required=False,
                                hint="Leave empty if you already have an account.",
                            ),
                            field(
                                "Password",
                                "password",
                                type="password",
                                hint=(
                                    "Already have an account? Its password. New here? Choose "
                                    "one of at least 10 characters, not easy to guess."
                                ),
                            ),
                            rx.button("Accept invitation", type="submit", width="100%"),
                            width="100%",
                        ),
                        on_submit=InviteState.accept,
                        reset_on_submit=False,
                        width="100%",
                    ),
                    width="100%",
                ),
            ),
            width="460px",
        )
    )


# ---------------------------------------------------------------- e-mail verification


class VerifyEmailState(PublicPage, rx.State):
    next_path: str = ""
    # The link's token, sealed and expiring (see link_tokens), until it is redeemed.
    _handle: str = ""

    @rx.event
    async def load(self) -> EventSpec | None:
        handle = take_link_token(self, VERIFY_ROUTE, link_tokens.VERIFY)
        if not handle and not self._handle:
            if not (self.next_path or self.error):  # /verify opened without a link
                self.error = str(link_tokens.HandleExpired())
            return None  # after the hop to /verify (or a reload): the outcome is shown
        self._handle = handle or self._handle
        self.next_path = (
            await self._run_link(
                identity.verify_email,
                handle=self._handle,
                purpose=link_tokens.VERIFY,
                notice="Your email address is verified. You can now invite people.",
            )
            or ""
        )
        self._handle = ""  # redeemed (or refused): nothing to keep
        return rx.redirect(VERIFY_ROUTE, replace=True) if handle else None


@rx.page(route="/verify/[token]", title="Verify your email", on_load=VerifyEmailState.load)
@rx.page(route=VERIFY_ROUTE, title="Verify your email", on_load=VerifyEmailState.load)
@public
def verify_email() -> rx.Component:
    return rx.center(
        card(
            page_heading("Verify your email"),
            error_callout(VerifyEmailState.error),
            rx.cond(
                VerifyEmailState.next_path != "",
                rx.vstack(
                    info_callout(VerifyEmailState.notice),
                    rx.link("Continue to your workspace", href=VerifyEmailState.next_path),
                ),
            ),
            width="420px",
        )
    )


# ---------------------------------------------------------------- organisations


class OrgsState(PublicPage, rx.State):
    @rx.event
    async def create(self, form: dict):
        self.error = ""
        auth = await self.get_state(AuthState)
        user = await auth.current_user()
        if user is None:
            return rx.redirect("/signin?next=/orgs")
        slug = await self._run(
            identity.create_organization, user_id=user.user_id, org_name=form.get("org_name", "")
        )
        return None if slug is None else rx.redirect(f"/o/{slug}")


@rx.page(route="/orgs", title="Your organisations", on_load=AuthState.load_public)
@public
def orgs() -> rx.Component:
    return rx.vstack(
        page_heading("Your organisations"),
        rx.cond(
            AuthState.signed_in,
            rx.vstack(
                rx.foreach(
                    AuthState.orgs,
                    lambda o: rx.link(
                        card(rx.hstack(rx.text(o.name, weight="medium"), rx.badge(o.role))),
                        href="/o/" + o.slug,
                        underline="none",
                    ),
                ),
                card(
                    rx.heading("New organisation", size="4", as_="h2"),
                    error_callout(OrgsState.error),
                    rx.form(
                        rx.hstack(
                            field("Organisation name", "org_name"),
                            rx.button("Create", type="submit"),
                            align="end",
                        ),
                        on_submit=OrgsState.create,
                    ),
                ),
                width="100%",
            ),
            rx.link("Sign in to see your organisations", href="/signin?next=/orgs"),
        ),
        align="start",
        width="100%",
    )
