"""Every event's arguments are checked against its handler's type hints before the handler runs.

Reflex (0.10.1) converts an event's payload by the handler's type hints, and when a value does
not convert it passes it through as it came: a hand-written websocket message can hand
`form=None`, `team_id="abc"`, `name=1`, a lone surrogate or a NUL to any handler, which then
raises (`int(None)`, `None.get`, `1.strip()`, `.encode()`) or reaches PostgreSQL (DataError,
NumericValueOutOfRange). Rather than every handler defending itself, `EventArgumentGuard` is a
Reflex middleware (the documented `App.add_middleware` hook, which `_execute_event` calls after
it locks the state and before `process_event`): it converts the payload exactly as Reflex will
(`_prepare_event_payload`), checks every argument, and on a mismatch refuses the event with a
message — the handler's state shows it in its `error` var when it has one, else a toast — and
the handler never runs, so nothing is written.

Only the app's own handlers are checked (Reflex's internal ones — hydrate, setvar, on_load
chains, uploads' plumbing — are Reflex's); a hint this module has no rule for is accepted.
The rules:
- `int`: a real int (not bool) within PostgreSQL's `integer` (an id beyond it is "not found");
- `float`: a finite number; `bool`: a bool;
- `str`: text without NUL and without lone surrogates (neither can be stored);
- `dict` (a form): str keys, str or bool values (what a page's form sends), same text rules;
  a null entry is first dropped: it is a control the page does not render (its ref is empty);
- `list[X]`: a list of X; `X | None`: None, or an X.

tests/security/test_event_guard.py runs a bad event through Reflex's own event processor, so a
Reflex upgrade that stops calling middlewares (or calls them after the handler) fails there.
"""

from __future__ import annotations

import inspect
import logging
import math
import types
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, NamedTuple, Union, get_args, get_origin

import reflex as rx
from reflex.middleware import Middleware
from reflex.state import BaseState, StateUpdate
from reflex_base.event import Event, EventHandler
from reflex_base.event.processor.base_state_processor import _prepare_event_payload
from reflex_base.registry import RegistrationContext
from reflex_base.utils.form import FORM_DATA_ENTRIES_KEY
from reflex_base.utils.types import get_type_hints

if TYPE_CHECKING:
    from reflex.app import App

logger = logging.getLogger(__name__)

INT_MIN, INT_MAX = -(2**31), 2**31 - 1  # PostgreSQL `integer`, the type of every id column

NOT_FOUND = "That item was not found."
OUT_OF_RANGE = "That number is out of range."
NOT_A_NUMBER = "That is not a number."
NOT_TEXT = "That value is not text."
NUL_TEXT = "Text cannot contain NUL characters."
BAD_TEXT = "Text contains characters that cannot be stored (lone surrogates)."
NOT_A_CHOICE = "That is not a yes/no value."
BAD_FORM = "The form was not sent as this page sends it; reload the page and try again."
BAD_LIST = "That list was not sent as this page sends it; reload the page and try again."
BAD_EVENT = "This action was not sent as this page sends it; reload the page and try again."


def _is_id(name: str) -> bool:
    return name == "id" or name.endswith("_id") or name.endswith("_ids")


def check_text(value: Any) -> str | None:
    """The refusal for a value meant to be storable text, or None when it is."""
    if not isinstance(value, str):
        return NOT_TEXT
    if "\x00" in value:
        return NUL_TEXT
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        return BAD_TEXT
    return None


def check_int(value: Any, *, name: str = "") -> str | None:
    if not isinstance(value, int) or isinstance(value, bool):
        return NOT_FOUND if _is_id(name) else NOT_A_NUMBER
    if not INT_MIN <= value <= INT_MAX:
        return NOT_FOUND if _is_id(name) else OUT_OF_RANGE
    return None


def check_float(value: Any) -> str | None:
    if not isinstance(value, int | float) or isinstance(value, bool):
        return NOT_A_NUMBER
    if not math.isfinite(value):
        return OUT_OF_RANGE
    return None


def drop_absent_controls(payload: dict[str, Any]) -> None:
    """Remove, in place, the null entries of every form in `payload`.

    Reflex's form reads every control with an `id` through its ref (getRefValue), and a
    control the page does not render right now (inside an `rx.cond`, such as the surveys'
    custom-questions box while another survey type is chosen) has no element behind its ref,
    so it is sent as null. That is the browser saying "this control is not there", the same
    as a control it does not send at all, so the handler gets the form without it (its
    `form.get(name, default)` applies) rather than a None it would have to defend against.
    """
    for name, value in payload.items():
        if not isinstance(value, dict):
            continue
        entries = value.get(FORM_DATA_ENTRIES_KEY)
        if isinstance(entries, list):
            kept = [
                e
                for e in entries
                if not (isinstance(e, list | tuple) and len(e) == 2 and e[1] is None)
            ]
            payload[name] = {**value, FORM_DATA_ENTRIES_KEY: kept}
        elif FORM_DATA_ENTRIES_KEY not in value:
            payload[name] = {k: v for k, v in value.items() if v is not None}


def _check_form_value(value: Any) -> str | None:
    # What a browser's form sends (Reflex's getFormData): FormData entries are text, a field
    # read through its ref is text or, for a checkbox or switch, a bool (the null of a control
    # not rendered is dropped first, by drop_absent_controls). Numbers, lists and null never
    # come from a page, and the handlers read the values as text.
    if isinstance(value, bool):
        return None
    return check_text(value) if isinstance(value, str) else BAD_FORM


def check_form(value: Any) -> str | None:
    if not isinstance(value, Mapping):
        return BAD_FORM
    for key, item in value.items():
        if not isinstance(key, str):
            return BAD_FORM
        problem = check_text(key) or _check_form_value(item)
        if problem:
            return problem
    return None


def check_value(value: Any, hint: Any, *, name: str = "") -> str | None:
    """The refusal for `value` as an argument hinted `hint`, or None when it is acceptable."""
    origin = get_origin(hint)
    if origin in (Union, types.UnionType):
        options = get_args(hint)
        if value is None and type(None) in options:
            return None
        problems = [check_value(value, o, name=name) for o in options if o is not type(None)]
        return None if any(p is None for p in problems) else problems[0]
    if hint is int:
        return check_int(value, name=name)
    if hint is float:
        return check_float(value)
    if hint is bool:
        return None if isinstance(value, bool) else NOT_A_CHOICE
    if hint is str:
        return check_text(value)
    if hint in (dict, Mapping) or origin in (dict, Mapping):
        return check_form(value)
    if hint is list or origin is list:
        if not isinstance(value, list):
            return BAD_LIST
        (item,) = get_args(hint) or (Any,)
        return next((p for v in value if (p := check_value(v, item, name=name))), None)
    return None  # Any, and hints this guard has no rule for: Reflex's conversion decides


class _Shape(NamedTuple):
    hints: dict[str, Any]
    named: dict[str, inspect.Parameter]
    takes_any: bool


# A handler's hints and parameters, read once per function (`inspect.signature` and the hints
# cost more than the checks themselves, on every event).
_shapes: dict[Any, _Shape] = {}


def _shape(handler: EventHandler) -> _Shape:
    shape = _shapes.get(handler.fn)
    if shape is None:
        hints = handler._type_hints
        if hints is None:
            try:
                hints = get_type_hints(handler.fn)
            except Exception:  # an unresolvable hint: Reflex's own conversion already warned
                hints = {}
        parameters = list(inspect.signature(handler.fn).parameters.values())[1:]  # self
        shape = _shapes[handler.fn] = _Shape(
            hints=dict(hints),
            named={
                p.name: p for p in parameters if p.kind not in (p.VAR_POSITIONAL, p.VAR_KEYWORD)
            },
            takes_any=any(p.kind is p.VAR_KEYWORD for p in parameters),
        )
    return shape


def check_arguments(handler: EventHandler, payload: Mapping[str, Any]) -> str | None:
    """The refusal for an event's payload, converted as Reflex converts it, or None."""
    prepared = _prepare_event_payload(handler, payload)
    hints, named, takes_any = _shape(handler)
    for name in prepared:
        if name not in named and not takes_any:
            return BAD_EVENT
    for name, parameter in named.items():
        if name not in prepared:
            if parameter.default is inspect.Parameter.empty:
                return BAD_EVENT
            continue
        problem = check_value(prepared[name], hints.get(name, Any), name=name)
        if problem:
            return problem
    return None


def is_app_handler(handler: EventHandler) -> bool:
    return str(getattr(handler.fn, "__module__", "")).startswith("pmo_saas.")


async def refuse(state: BaseState, message: str) -> StateUpdate:
    """The update that shows `message` instead of running the handler of `state`."""
    fields = type(state).base_vars
    if "error" in fields and isinstance(getattr(state, "error", None), str):
        state.error = message  # type: ignore[attr-defined]
        if "notice" in fields and isinstance(getattr(state, "notice", None), str):
            state.notice = ""  # type: ignore[attr-defined]
        events: list[Event] = []
    else:
        events = Event.from_event_type(rx.toast.error(message))
    root = state._get_root_state()
    delta = await root._get_resolved_delta()
    root._clean()
    return StateUpdate(delta=delta, events=events)


class EventArgumentGuard(Middleware):
    """Refuses, with a message, an event whose arguments do not fit its handler's hints."""

    async def preprocess(self, app: App, state: BaseState, event: Event) -> StateUpdate | None:
        registered = RegistrationContext.get().event_handlers.get(event.name)
        if registered is None or not is_app_handler(registered.handler):
            return None
        drop_absent_controls(event.payload)  # the handler gets this same dict (Reflex 0.10.1)
        problem = check_arguments(registered.handler, event.payload)
        if problem is None:
            return None
        logger.warning("refused %s: %s", event.name, problem)
        return await refuse(await state.get_state(registered.states[0]), problem)


def install(app: rx.App) -> None:
    """Add the guard to `app` once (pmo_saas.py calls this right after creating the app)."""
    if not any(isinstance(m, EventArgumentGuard) for m in app._middlewares):
        app.add_middleware(EventArgumentGuard(), index=0)
