"""The one pattern every workspace page state shares: messages, the caller's context, a service
run in one tenant transaction off the event loop, and a refresh afterwards.

A page state subclasses `WorkspacePage` (a Reflex state mixin) next to `rx.State`:

    class InitiativesState(WorkspacePage, rx.State):
        async def _refresh(self, ctx: TenantContext) -> None: ...   # read what the page shows

        @rx.event
        async def archive(self, initiative_id: int) -> None:
            await self._act(services.archive_initiative, notice="Archived.", initiative_id=...)

`_act` clears the messages, builds the tenant context from the server-side session (never from
an event argument), runs `fn(session=, ctx=, **kwargs)`, shows `notice` on success and the
domain error's message on refusal (nothing is written then: one transaction), and refreshes.
`_load` is the same for `on_load`; `_reload` reads again keeping the messages (another card
changed what this one shows). `_act_outside` is `_act` for a service that opens its own
sessions (it asks DNS or an identity provider outside any transaction). A form read in the
state (a title looked up among the cards, a number typed) goes in `prepare`: it runs after the
caller's role is checked and may refuse like a service. `_org_path` gives a link inside the
organisation of the URL (for a redirect after a create). If a page writes `except DomainError`,
this is missing something. Pages without a session (sign-up, sign-in, a survey link, a shared
dashboard) use `PublicPage`: `_run` is the same refusal-to-message step for a service that
needs no context, `_run_link` the same for a one-time link's sealed token.

Pages show `error` and `notice` with `ui.components.error_callout` / `info_callout`: inline
(role alert / status) and as a toast (the app's sonner toaster) each time the text changes.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Mapping
from typing import Any, TypeVar

import reflex as rx
from reflex.event import EventSpec

from pmo_saas.db import in_tenant, run_sync, work_in_tenant
from pmo_saas.identity import link_tokens
from pmo_saas.identity.auth_state import slug_from_path, tenant_call, tenant_context
from pmo_saas.kernel.context import TenantContext
from pmo_saas.kernel.errors import DomainError, ValidationFailed
from pmo_saas.kernel.roles import Role

R = TypeVar("R")
T = TypeVar("T")


def unproxied(value: T) -> T:
    """A state var's value without Reflex's change-tracking proxy, for reading only.

    Reading a list or model var through the state wraps it, and each item and attribute
    reached through it, in a `MutableProxy` (a wrapt `ObjectProxy`) so that an in-place
    change marks the var dirty: a scan of a page's cards in an event pays for a proxy per
    card. A handler or computed var that only reads takes the plain value (wrapt's
    `__wrapped__`); anything it changes must still be assigned to the var."""
    return getattr(value, "__wrapped__", value)  # type: ignore[no-any-return]


def set_changed(state: rx.State, **values: Any) -> None:
    """Set only the vars whose value changed: Reflex sends every var set in an event, so
    a reload that finds the same list sends nothing instead of the whole list again."""
    for name, value in values.items():
        if unproxied(getattr(state, name)) != value:
            setattr(state, name, value)


class WorkspacePage(rx.State, mixin=True):
    """Mixin for workspace page states: `error`, `notice`, `_act`, `_load`, `_refresh`."""

    error: str = ""
    error_field: str = ""  # the input a ValidationFailed names: forms show `error` beside it
    notice: str = ""

    def _clear_messages(self) -> None:
        self.error = self.notice = self.error_field = ""

    def _work_done(self) -> None:
        """Called once a service ran or was refused (`BusyWork` stops its spinner here)."""

    async def _refresh(self, ctx: TenantContext) -> None:
        """Read what the page shows (override); called after every successful `_act`."""

    def _on_failed_load(self) -> None:
        """Empty what the page shows when its load is refused (override when it holds data)."""

    async def _context(self, minimum: Role = Role.VIEWER) -> TenantContext:
        return await tenant_context(self, minimum)

    async def _checked_context(self, minimum: Role = Role.VIEWER) -> TenantContext | None:
        """The caller's context for a handler that only navigates; None (with the message
        shown) when the caller is signed out or not a member."""
        self._clear_messages()
        try:
            return await self._context(minimum)
        except DomainError as error:
            self.error = str(error)
            return None

    async def _load(self, minimum: Role = Role.VIEWER) -> bool:
        """The on_load: messages cleared, `_refresh` run; False (with the message) if refused."""
        self._clear_messages()
        try:
            await self._refresh(await self._context(minimum))
        except DomainError as error:
            self._on_failed_load()
            self.error = str(error)
            return False
        return True

    async def _reload(self, minimum: Role = Role.VIEWER, *, quiet: bool = False) -> bool:
        """`_refresh` again, keeping the messages; a refusal is shown, or with `quiet` the page
        only empties (`_on_failed_load`). False when refused."""
        try:
            await self._refresh(await self._context(minimum))
        except DomainError as error:
            if quiet:
                self._on_failed_load()
            else:
                self.error = str(error)
            return False
        return True

    async def _act(
        self,
        fn: Callable[..., R],
        /,
        *,
        notice: str = "",
        minimum: Role = Role.VIEWER,
        refresh: bool = True,
        prepare: Callable[[], Mapping[str, Any]] | None = None,
        **kwargs: Any,
    ) -> R | None:
        """Run one service as the caller; returns its result, or None when it was refused.

        `prepare()` (optional) reads the form in the state once the role is checked; what it
        returns joins `kwargs`. It refuses with a DomainError, or a ValueError (shown as is).
        """
        return await self._attempt(
            lambda ctx, args: work_in_tenant(ctx, fn, **args),
            notice,
            minimum,
            refresh,
            prepare,
            kwargs,
        )

    async def _act_outside(
        self,
        fn: Callable[..., R],
        /,
        *,
        notice: str = "",
        minimum: Role = Role.VIEWER,
        refresh: bool = True,
        prepare: Callable[[], Mapping[str, Any]] | None = None,
        **kwargs: Any,
    ) -> R | None:
        """`_act` for `fn(ctx=, **kwargs)` that opens its own sessions (run off the loop)."""
        return await self._attempt(
            lambda ctx, args: fn(ctx=ctx, **args), notice, minimum, refresh, prepare, kwargs
        )

    async def _attempt(
        self,
        work: Callable[[TenantContext, dict[str, Any]], R],
        notice: str,
        minimum: Role,
        refresh: bool,
        prepare: Callable[[], Mapping[str, Any]] | None,
        kwargs: dict[str, Any],
    ) -> R | None:
        """The session look-up and `work` in one thread hand-off (`tenant_call`); `prepare`
        reads the form on the loop first, its refusal raised after the role check."""
        self._clear_messages()
        refusal: DomainError | None = None
        try:
            kwargs = {**kwargs, **prepare()} if prepare is not None else kwargs
        except ValueError as error:  # a typed value that is not a number, say
            refusal = ValidationFailed(str(error))
        except DomainError as error:
            refusal = error
        try:
            _ctx, result = await tenant_call(
                self, minimum, lambda ctx: work(ctx, kwargs), refusal=refusal
            )
            if refresh:  # read at the data version this write made, not the one before it
                await self._refresh(await self._context(minimum))
        except DomainError as error:
            self.error = str(error)
            self.error_field = getattr(error, "field", None) or ""
            return None
        finally:
            self._work_done()
        self.notice = notice
        return result

    async def _act_reporting(
        self,
        fn: Callable[..., R],
        /,
        *,
        progress_var: str,
        phase_var: str = "",
        notice: str = "",
        minimum: Role = Role.VIEWER,
        refresh: bool = True,
        **kwargs: Any,
    ) -> R | None:
        """`_act` from a background event (`@rx.event(background=True)`) for a long service
        that takes `progress(done, total, phase="")`: the state is locked only to start, every
        quarter second to set `progress_var` (0-100, so the page draws a progress bar) and
        `phase_var` (what the service says it is doing, when the page shows it) and to finish;
        the service still runs in one tenant transaction off the event loop."""
        share: list[float] = [0.0]
        said = [""]

        def progress(done: float, total: float, phase: str = "") -> None:  # service's thread
            share[0] = done / total if total else 1.0
            said[0] = phase or said[0]

        def show() -> None:
            setattr(self, progress_var, min(int(share[0] * 100), 100))
            if phase_var:
                setattr(self, phase_var, said[0])

        async with self:
            self._clear_messages()
            setattr(self, progress_var, 0)
            try:
                ctx = await self._context(minimum)
            except DomainError as error:
                self.error = str(error)
                return None
        task = asyncio.ensure_future(in_tenant(ctx, fn, progress=progress, **kwargs))
        while not task.done():
            await asyncio.wait({task}, timeout=0.25)
            async with self:
                show()
        async with self:
            try:
                result = task.result()
                if refresh:  # at the data version the write made
                    await self._refresh(await self._context(minimum))
            except DomainError as error:
                self.error = str(error)
                self.error_field = getattr(error, "field", None) or ""
                return None
            setattr(self, progress_var, 100)
            self.notice = notice
        return result

    async def _download(
        self, fn: Callable[..., str], filename: str, /, **kwargs: Any
    ) -> EventSpec | None:
        """A CSV the service `fn` writes, handed to the browser as a download (the service
        runs as the caller, like `_act`; refused, the page shows why and nothing downloads)."""
        text = await self._act(fn, refresh=False, **kwargs)
        if text is None:
            return None
        return rx.download(data=text, filename=filename, mime_type="text/csv")

    def _set_changed(self, **values: Any) -> None:
        set_changed(self, **values)

    def _org_path(self, suffix: str = "") -> str:
        """`/o/<slug><suffix>` for the organisation of the current URL (the one `_act` used)."""
        return f"/o/{slug_from_path(self.router.url.path)}{suffix}"

    def _refuse(self, message: str) -> None:
        """A refusal found in the state itself (a form field that is not a number, say)."""
        self.notice = ""
        self.error = message


class BusyWork(rx.State, mixin=True):
    """Mixin for a page whose buttons start slow work (over ~300 ms): `busy` names the work
    under way, and `ui.dialogs.busy_button(..., busy=S.busy == "launch")` spins meanwhile.
    Chain `S.mark_busy("launch")` before the handler; `_act` (and so `_download`) clears `busy`
    once its service ran or was refused; a handler that stops before clears it itself."""

    busy: str = ""

    def _work_done(self) -> None:
        self.busy = ""

    @rx.event
    def mark_busy(self, work: str) -> None:
        """Its delta is sent before the next handler of the chain runs: the spin starts at once."""
        self.busy = str(work)[:20]


class DialogHost(rx.State, mixin=True):
    """Mixin for a page whose dialogs are named by one var, `dialog` ("" when none is open).

    Reflex queues a page's on_load handlers behind any click made while the page was still
    loading (the handlers come back from the server and join the end of the queue), so a load
    that simply closed every dialog would close the one the user has just opened. `_open_dialog`
    remembers the page it was opened on; `_keeps_dialog()` is True in a load of that same page,
    when the load must leave the dialog (and what it holds) alone. A dialog left open on
    another page (the browser's back button) is closed by the next page's load."""

    dialog: str = ""
    _dialog_path: str = ""

    def _open_dialog(self, name: str) -> None:
        self.dialog = name
        self._dialog_path = self.router.url.path if name else ""

    def _keeps_dialog(self) -> bool:
        return bool(self.dialog) and self._dialog_path == self.router.url.path


class PublicPage(rx.State, mixin=True):
    """Mixin for pages opened without a session (sign-in, a survey link, a shared dashboard):
    `error`, `notice`, and `_run`, which runs a service that finds its organisation itself
    (from a link's token, an email) off the event loop and turns its refusal into the page's
    message. `_run_link` is `_run` for a service taking a one-time link's token, which the
    page keeps only sealed (see `link_tokens`): a forged or stale handle is refused alike."""

    error: str = ""
    notice: str = ""

    async def _run(
        self,
        fn: Callable[..., R],
        /,
        *,
        notice: str = "",
        already_done: type[DomainError] | None = None,
        **kwargs: Any,
    ) -> R | None:
        """`fn(**kwargs)` in a thread: its result with `notice` shown, or None with the refusal
        in `error` (a service returning nothing was refused when `error` is set).
        `already_done` names the refusal that means the work was done before (a retried form):
        its message becomes the notice instead."""
        self.error = self.notice = ""
        try:
            result = await run_sync(fn, **kwargs)
        except DomainError as error:
            if already_done is not None and isinstance(error, already_done):
                self.notice = str(error)
            else:
                self.error = str(error)
            return None
        self.notice = notice
        return result

    async def _run_link(
        self, fn: Callable[..., R], /, *, handle: str, purpose: str, notice: str = "", **kwargs: Any
    ) -> R | None:
        """`_run(fn, token=<the token sealed in handle>, **kwargs)`."""
        try:
            token = link_tokens.unseal(handle, purpose=purpose)
        except link_tokens.HandleExpired as expired:
            self.notice, self.error = "", str(expired)
            return None
        return await self._run(fn, notice=notice, token=token, **kwargs)
