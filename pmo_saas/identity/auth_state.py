"""The root auth state every page fetches: who is signed in, and in which organisation.

The session token lives only in an HttpOnly cookie set by `pmo_saas.api`; it is read here from
the websocket's request headers on the server and never stored in any var.
"""

from __future__ import annotations

import json
from urllib.parse import quote

import reflex as rx

from pmo_saas.api import session_token_from_cookie_header
from pmo_saas.db import run_sync
from pmo_saas.identity import services as identity
from pmo_saas.identity.schemas import OrgChoice, SessionUser
from pmo_saas.kernel.context import TenantContext
from pmo_saas.kernel.errors import DomainError, NotFound
from pmo_saas.kernel.roles import Role, at_least


class NotSignedIn(DomainError):
    def __init__(self) -> None:
        super().__init__("Your session has ended. Sign in again.")


def slug_from_path(path: str) -> str:
    parts = [p for p in (path or "").split("/") if p]
    return parts[1] if len(parts) >= 2 and parts[0] == "o" else ""


def backend_url(path: str) -> str:
    """Absolute URL of a plain HTTP route (in development the backend has its own port)."""
    return rx.config.get_config().api_url.rstrip("/") + path


def navigate_to_backend(path: str) -> rx.event.EventSpec:
    """A full page load (not a client-side route change) so the HTTP route's cookie applies."""
    return rx.call_script(f"window.location.assign({json.dumps(backend_url(path))})")


async def signed_in_navigation(user_id: int, next_path: str) -> rx.event.EventSpec:
    """After a verified form: hand over to the HTTP route that sets the session cookie."""
    ticket = await run_sync(identity.issue_signin_ticket, user_id=user_id, next_path=next_path)
    return navigate_to_backend(f"/auth/complete?ticket={quote(ticket)}")


class AuthState(rx.State):
    signed_in: bool = False
    user_name: str = ""
    user_email: str = ""
    orgs: list[OrgChoice] = []
    org_slug: str = ""
    org_name: str = ""
    role: str = ""
    workspace_error: str = ""

    def _session_token(self) -> str:
        return session_token_from_cookie_header(self.router.headers.cookie)

    async def current_user(self) -> SessionUser | None:
        return await run_sync(identity.resolve_session, token=self._session_token())

    @rx.var
    def is_admin(self) -> bool:
        return bool(self.role) and at_least(self.role, Role.ADMIN)

    @rx.var
    def is_coach(self) -> bool:
        return bool(self.role) and at_least(self.role, Role.COACH)

    def _clear(self) -> None:
        self.signed_in = False
        self.user_name = self.user_email = self.org_slug = self.org_name = self.role = ""
        self.orgs = []

    @rx.event
    async def load_public(self) -> None:
        """Public pages: show who is signed in, if anyone."""
        user = await self.current_user()
        if user is None:
            self._clear()
            return
        self.signed_in = True
        self.user_name, self.user_email = user.name, user.email
        self.orgs = await run_sync(identity.list_memberships, user_id=user.user_id)

    @rx.event
    async def load_workspace(self):
        """Every /o/<slug>/ page: a signed-in member of that organisation, or away."""
        path = self.router.url.path
        user = await self.current_user()
        if user is None:
            self._clear()
            return rx.redirect(f"/signin?next={quote(path)}")
        self.signed_in = True
        self.user_name, self.user_email = user.name, user.email
        self.orgs = await run_sync(identity.list_memberships, user_id=user.user_id)
        slug = slug_from_path(path)
        choice = next((o for o in self.orgs if o.slug == slug), None)
        if choice is None:
            self.org_slug = self.org_name = self.role = ""
            self.workspace_error = "That organisation was not found, or you are not a member."
            return None
        self.workspace_error = ""
        self.org_slug, self.org_name, self.role = choice.slug, choice.name, choice.role
        return None

    @rx.event
    def sign_out(self):
        self._clear()
        return navigate_to_backend("/auth/signout")


async def tenant_context(state: rx.State, minimum: Role = Role.VIEWER) -> TenantContext:
    """The caller's context in the organisation of the current URL, checked on the server.

    Raises NotSignedIn, NotFound (not a member: the same as a missing org) or Forbidden.
    """
    auth = await state.get_state(AuthState)
    user = await auth.current_user()
    if user is None:
        raise NotSignedIn()
    slug = slug_from_path(state.router.url.path)
    if not slug:
        raise NotFound("That organisation")
    ctx = await run_sync(identity.workspace_context, user_id=user.user_id, slug=slug)
    ctx.require(minimum)
    return ctx
