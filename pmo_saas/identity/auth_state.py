"""The root auth state every page fetches: who is signed in, and in which organisation.

Secrets and the state store, ONE mechanism: the session token lives only in an HttpOnly
cookie set by `pmo_saas.api`. `pmo_saas.security_headers.SecurityMiddleware` moves the
websocket handshake's `Cookie` and `Authorization` headers out of the headers Reflex copies
into `router_data` (and so into every pickled state, on disk or in Redis) and keeps them in
the socket's environ, which python-socketio holds in this process, keyed by the socket's
sid, until the socket closes (websockets are sticky to one process). `handshake_cookie_header`
reads them back for the event being processed; nothing here ever stores a token in a var.

Signing out resets every state of the tab (`reset_tab`), revokes the session server-side,
and tells the browser's other tabs (a BroadcastChannel message, `api.SESSION_SCRIPT`);
any tab whose session has gone is reset on its next event too (`AuthState.current_user`).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any, NamedTuple, TypeVar
from urllib.parse import quote

import reflex as rx
from reflex.event import EventSpec
from reflex.utils.prerequisites import get_app
from reflex_base.event.context import EventContext

from pmo_saas import security_headers
from pmo_saas.db import run_sync
from pmo_saas.identity import services as identity
from pmo_saas.identity.cookies import session_token_from_cookie_header
from pmo_saas.identity.schemas import OrgChoice, SessionUser
from pmo_saas.kernel.context import TenantContext
from pmo_saas.kernel.errors import DomainError, NotFound
from pmo_saas.kernel.roles import Role, at_least
from pmo_saas.ops.logs import bind_actor

R = TypeVar("R")


class NotSignedIn(DomainError):
    def __init__(self) -> None:
        super().__init__("Your session has ended. Sign in again.")


def slug_from_path(path: str) -> str:
    parts = [p for p in (path or "").split("/") if p]
    return parts[1] if len(parts) >= 2 and parts[0] == "o" else ""


def backend_url(path: str) -> str:
    """Absolute URL of a plain HTTP route (in development the backend has its own port)."""
    return rx.config.get_config().api_url.rstrip("/") + path


def navigate_to_backend(path: str) -> EventSpec:
    """A full page load (not a client-side route change) so the HTTP route's cookie applies."""
    return rx.call_script(f"window.location.assign({json.dumps(backend_url(path))})")


def _handshake_credentials(sid: str) -> dict[str, str] | None:
    """The credentials websocket `sid`'s handshake carried, or None when this process has no
    such socket (it closed, or it lives in another worker)."""
    if not sid:
        return None
    sio = getattr(get_app().app, "sio", None)
    if sio is None:
        return None
    namespace = rx.config.get_config().get_event_namespace()
    environ = sio.get_environ(sid, namespace)
    if environ is None:
        return None
    return dict(environ.get("asgi.scope", {}).get(security_headers.HANDSHAKE_KEY, {}))


def handshake_cookie_header(sid: str) -> str:
    """The Cookie header of websocket `sid`'s handshake (process-local; see the docstring)."""
    return str((_handshake_credentials(sid) or {}).get("cookie", ""))


def _live_sid(client_token: str) -> str:
    """The socket this process now holds for tab `client_token` (after a reconnect, a newer
    one than the sid an event chained before it recorded)."""
    namespace = get_app().app.event_namespace
    if not client_token or namespace is None:
        return ""
    return str(namespace.token_to_sid.get(client_token, ""))


def state_cookie_header(state: rx.State) -> str:
    """The Cookie header behind the event `state` is processing: its websocket's handshake;
    when that socket has gone from this process, the tab's live socket here (it reconnected);
    for a file upload served by a process without the tab's socket, the upload request's."""
    session = state.router.session
    credentials = _handshake_credentials(session.session_id)
    if credentials is None:
        live = _live_sid(session.client_token)
        if live and live != session.session_id:
            credentials = _handshake_credentials(live)
    if credentials is not None:
        return str(credentials.get("cookie", ""))
    return security_headers.upload_cookie_header(session.client_token)


def _current_sid() -> str:
    """The socket of the event being processed (for helpers that are not given the state)."""
    try:
        return str(EventContext.get().router_data.get("sid", ""))
    except LookupError:
        return ""


def browser_binding(state: rx.State | None = None) -> str:
    header = (
        state_cookie_header(state) if state is not None else handshake_cookie_header(_current_sid())
    )
    return security_headers.cookie_value(header, security_headers.BIND_COOKIE)


async def signed_in_navigation(
    user_id: int, next_path: str, state: rx.State | None = None
) -> EventSpec:
    """After a verified form: hand over to the HTTP route that sets the session cookie.

    The ticket is bound to this browser (its `pmo_bind` cookie): handed to another browser,
    `/auth/complete` refuses it.
    """
    binding = browser_binding(state)
    ticket = await run_sync(
        identity.issue_signin_ticket,
        user_id=user_id,
        next_path=next_path,
        browser_binding=binding,
    )
    complete = f"/auth/complete?ticket={quote(ticket)}"
    if binding:
        return navigate_to_backend(complete)
    # The websocket connected before the browser had its cookie (development, first visit:
    # the page is served from another port): this tab claims the ticket first, by a
    # same-origin fetch that carries (or receives) the cookie, then redeems it.
    return rx.call_script(
        f"fetch({json.dumps(backend_url('/auth/claim'))}, {{method: 'POST', "
        "credentials: 'include', headers: {'Content-Type': 'application/x-www-form-urlencoded'},"
        f" body: 'ticket=' + encodeURIComponent({json.dumps(ticket)})}})"
        f".finally(() => window.location.assign({json.dumps(backend_url(complete))}))"
    )


def _all_substate_classes(cls: type[rx.State]) -> list[type[rx.State]]:
    found: list[type[rx.State]] = []
    for sub in cls.get_substates():
        found.append(sub)  # type: ignore[arg-type]
        found.extend(_all_substate_classes(sub))  # type: ignore[arg-type]
    return found


async def reset_tab(state: rx.State) -> None:
    """Every state of this tab back to its defaults (members, API keys, every page's data).

    Substates are loaded from the store first: the store keeps each one apart, and one not
    loaded by this event would otherwise keep its data. The root keeps Reflex's own fields.
    """
    root: rx.State = state
    while root.parent_state is not None:
        root = root.parent_state  # type: ignore[assignment]
    for cls in _all_substate_classes(type(root)):
        await root.get_state(cls)
    for substate in list(root.substates.values()):
        substate.reset()


def sign_out_form(path: str, binding: str) -> EventSpec:
    """Tell the other tabs, then submit a hidden POST form (with the CSRF token) to `path`."""
    url, token = json.dumps(backend_url(path)), json.dumps(security_headers.csrf_token(binding))
    return rx.call_script(
        "(() => {"
        "window.pmoSigningOut = true;"
        "try { new BroadcastChannel('pmo_session').postMessage('signed-out'); } catch (e) {}"
        "const f = document.createElement('form'); f.method = 'POST';"
        f"f.action = {url};"
        "const i = document.createElement('input'); i.type = 'hidden';"
        f"i.name = {json.dumps(security_headers.CSRF_FIELD)}; i.value = {token};"
        "f.appendChild(i); document.body.appendChild(f); f.submit();"
        "})()"
    )


class AuthState(rx.State):
    signed_in: bool = False
    user_name: str = ""
    user_email: str = ""
    orgs: list[OrgChoice] = []
    org_slug: str = ""
    org_name: str = ""
    role: str = ""
    workspace_error: str = ""
    _had_session: bool = False

    def _session_token(self) -> str:
        return session_token_from_cookie_header(state_cookie_header(self))

    async def current_user(self) -> SessionUser | None:
        """The signed-in user; a tab whose session ended elsewhere is reset here."""
        user = await run_sync(identity.resolve_session, token=self._session_token())
        return await self._seen(user)

    async def _current_workspace(
        self, slug: str
    ) -> tuple[SessionUser | None, TenantContext | None]:
        """`current_user` and the user's context in organisation `slug` (None: not a
        member), in one look-up: every workspace event asks both."""
        user, ctx = await run_sync(
            identity.resolve_workspace_session, token=self._session_token(), slug=slug
        )
        return await self._seen(user), ctx

    async def _seen(self, user: SessionUser | None) -> SessionUser | None:
        if user is None and self._had_session:
            await reset_tab(self)
        elif user is not None and not self._had_session:
            self._had_session = True
        return user

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
    async def sign_out(self):
        """Revoke the session, reset the tab, tell the other tabs, then POST to /auth/signout
        (which clears the cookie and ends the IdP session where there is one)."""
        binding, token = browser_binding(self), self._session_token()
        if token:  # revoked before the other tabs hear of it, so their reload finds no session
            await run_sync(identity.revoke_session, token=token)
        await reset_tab(self)
        return sign_out_form("/auth/signout", binding)


async def tenant_context(state: rx.State, minimum: Role = Role.VIEWER) -> TenantContext:
    """The caller's context in the organisation of the current URL, checked on the server.

    Raises NotSignedIn, NotFound (not a member: the same as a missing org) or Forbidden.
    """
    auth = await state.get_state(AuthState)
    slug = slug_from_path(state.router.url.path)
    user, ctx = await auth._current_workspace(slug)
    return _checked(user, ctx, minimum)


def _checked(user: SessionUser | None, ctx: TenantContext | None, minimum: Role) -> TenantContext:
    if user is None:
        raise NotSignedIn()
    if ctx is None:
        raise NotFound("That organisation")
    # The rest of this event logs who acts (ids only; the event's context ends with it).
    bind_actor(org_id=ctx.org_id, user_id=ctx.user_id)
    ctx.require(minimum)
    return ctx


async def tenant_call(
    state: rx.State,
    minimum: Role,
    work: Callable[[TenantContext], R],
    *,
    refusal: DomainError | None = None,
) -> tuple[TenantContext, R]:
    """`tenant_context(state, minimum)`, then `work(ctx)` (blocking: a service's transaction)
    in the same thread: one hand-off from the event loop instead of two for an event's
    session look-up and its write. `refusal` (a form the state could not read) is raised
    once the caller's role has been checked, as `work` would refuse."""
    auth = await state.get_state(AuthState)
    token, slug = auth._session_token(), slug_from_path(state.router.url.path)

    def look_up_then_work() -> tuple[SessionUser | None, TenantContext | None, Any]:
        user, ctx = identity.resolve_workspace_session(token=token, slug=slug)
        try:
            checked = _checked(user, ctx, minimum)
            if refusal is not None:
                raise refusal
            return user, ctx, _Done(work(checked))
        except DomainError as error:  # the tab is reset (a session ended) before it shows
            return user, ctx, error

    user, ctx, outcome = await run_sync(look_up_then_work)
    await auth._seen(user)
    checked = _checked(user, ctx, minimum)  # the look-up's refusal, and the event's actor
    if isinstance(outcome, DomainError):
        raise outcome
    return checked, outcome.value


class _Done(NamedTuple):
    value: Any
