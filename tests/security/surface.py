"""The attack surface, read from the live app, so a new table, page, handler or route is probed
the moment it exists: tenant tables, page routes with their on_load chains, every event handler
of every state class, every Starlette route beside the Reflex app.

Argument synthesis is by name: `<thing>_id` finds its tenant table (same domain first), other
names need an entry in `ARG_VALUES`. Whatever cannot be synthesised raises `CannotSynthesise`,
which the probes turn into a failure naming the handler or route.
"""

from __future__ import annotations

import ast
import inspect
import re
import textwrap
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache
from types import ModuleType
from typing import Any, get_type_hints

from reflex.state import BaseState, State
from reflex_base.event import EventHandler
from reflex_base.registry import RegistrationContext
from starlette.routing import BaseRoute, Route

import pmo_saas.pmo_saas as app_module
from pmo_saas.api import build_api
from pmo_saas.db import TenantOwned, _tenant_classes


class CannotSynthesise(Exception):
    """The generator does not know how to build an argument: add it here, or allowlist it."""


# ---------------------------------------------------------------- pages


@dataclass(frozen=True)
class Page:
    route: str
    on_load: tuple[EventHandler, ...]
    module: str

    @property
    def workspace(self) -> bool:
        return self.route.startswith("/o/[slug]")

    @property
    def params(self) -> list[str]:
        return re.findall(r"\[([^\]]+)\]", self.route)

    @property
    def domain(self) -> str:
        parts = self.route.split("/")
        return parts[3] if self.workspace and len(parts) > 3 else "identity"


def _as_handlers(on_load: Any) -> tuple[EventHandler, ...]:
    if on_load is None:
        return ()
    items = on_load if isinstance(on_load, list | tuple) else [on_load]
    return tuple(h for h in items if isinstance(h, EventHandler))


@cache
def pages() -> tuple[Page, ...]:
    """Every page: the decorated ones (applied to the app only at compile time) and any added
    to the app directly."""
    found: dict[str, Page] = {}
    for render, kwargs in RegistrationContext.ensure_context().decorated_pages:
        route = kwargs.get("route") or "/" + render.__name__.replace("_", "-")
        found[route] = Page(route, _as_handlers(kwargs.get("on_load")), render.__module__)
    app = app_module.app
    for route, page in app._unevaluated_pages.items():
        if route not in found:
            module = getattr(page, "_source_module", None) or ""
            found[route] = Page(route, _as_handlers(page.on_load), str(module))
    return tuple(found[r] for r in sorted(found))


# ---------------------------------------------------------------- states and handlers


def _walk(cls: type[BaseState]) -> list[type[BaseState]]:
    out: list[type[BaseState]] = []
    for sub in cls.__subclasses__():
        out.append(sub)
        out.extend(_walk(sub))
    return out


@cache
def app_states() -> tuple[type[BaseState], ...]:
    """Every state class of the app (Reflex's own internal states are Reflex's to test)."""
    return tuple(
        sorted(
            {
                s
                for s in _walk(State)
                if s.__module__.startswith("pmo_saas.") and not getattr(s, "_mixin", False)
            },
            key=lambda s: s.get_full_name(),
        )
    )


# Reflex adds these to every state; the client can call setvar with any public var name, which
# the handler probes cover by priming every public `*_id` var with another org's ids first.
FRAMEWORK_HANDLERS = {"setvar", "hydrate", "set_is_hydrated", "hydrate_and_load"}


@dataclass(frozen=True)
class Handler:
    state: type[BaseState]
    name: str
    handler: EventHandler

    @property
    def qualname(self) -> str:
        return f"{self.state.__name__}.{self.name}"

    @property
    def id(self) -> str:
        return f"{self.state.__module__.removeprefix('pmo_saas.')}.{self.qualname}"

    @property
    def domain(self) -> str:
        return self.state.__module__.split(".")[1]

    @property
    def background(self) -> bool:
        return bool(getattr(self.handler, "is_background", False))

    def parameters(self) -> list[inspect.Parameter]:
        params = list(inspect.signature(self.handler.fn).parameters.values())
        return params[1:]  # self

    def hints(self) -> dict[str, Any]:
        try:
            return get_type_hints(self.handler.fn)
        except Exception:  # a hint that needs a name from a TYPE_CHECKING block
            return {}


@cache
def handlers() -> tuple[Handler, ...]:
    found = []
    for state in app_states():
        for name, handler in state.event_handlers.items():
            if name in FRAMEWORK_HANDLERS:
                continue
            found.append(Handler(state, name, handler))
    return tuple(found)


# A state whose handlers do not appear in any page's on_load is placed on a page here, or by
# the module that registers its page (first route of that module).
STATE_PAGES = {
    "AuthState": "/o/[slug]",  # every page's root auth state: probed on a workspace page
    "BillingBannerState": "/o/[slug]",  # the banner of every workspace page
    "BellState": "/o/[slug]",  # the notification bell of every workspace page
    "CommentsState": "/o/[slug]/dashboard/governance/[initiative_id]",  # an included thread
    "OrgSettingsState": "/o/[slug]/settings",
    "CapacityFundingState": "/o/[slug]/portfolio/p/[portfolio_id]/funding",  # a funding card
    "SignUpState": "/signup",
    "ForgotState": "/forgot",
    "ResetState": "/reset/[token]",
    "OrgsState": "/orgs",
}


def page_for(state: type[BaseState]) -> Page:
    by_route = {p.route: p for p in pages()}
    if state.__name__ in STATE_PAGES:
        return by_route[STATE_PAGES[state.__name__]]
    for page in pages():
        owners = {(h.fn.__module__, h.fn.__qualname__.split(".")[0]) for h in page.on_load}
        if (state.__module__, state.__name__) in owners:
            return page
    same_module = [p for p in pages() if p.module == state.__module__]
    if same_module:
        return same_module[0]
    raise CannotSynthesise(
        f"{state.__module__}.{state.__name__}: no page shows it; add it to STATE_PAGES "
        "in tests/security/surface.py"
    )


# ---------------------------------------------------------------- ids of another organisation


@cache
def _tables_by_domain() -> dict[str, dict[str, type[TenantOwned]]]:
    out: dict[str, dict[str, type[TenantOwned]]] = {}
    for cls in _tenant_classes():
        domain = cls.__module__.split(".")[1]
        out.setdefault(domain, {})[cls.__tablename__] = cls  # type: ignore[index]
    return out


# Names the rule below cannot place (the rule: `<x>_id` is table `x` of the domain, then `x` of
# any domain, then `<domain><x>`, then the one table of the domain ending in `x`).
ID_TABLES: dict[tuple[str, str], str] = {
    ("dashboard", "wave_id"): "rolloutwave",  # REST paths are probed as the dashboard's
    ("rollout", "criterion_id"): "wavecriterion",  # not the portfolio's scoring criterion
}


def table_for(name: str, domain: str) -> type[TenantOwned]:
    """The tenant table an argument or path segment named `<x>_id` points into."""
    if (domain, name) in ID_TABLES:
        return next(c for c in _tenant_classes() if c.__tablename__ == ID_TABLES[(domain, name)])
    stem = name.removesuffix("_ids").removesuffix("_id").replace("_", "")
    tables = _tables_by_domain()
    mine = tables.get(domain, {})
    if stem in mine:
        return mine[stem]
    anywhere = [t[stem] for t in tables.values() if stem in t]
    if len(anywhere) == 1:
        return anywhere[0]
    prefixed = domain.removesuffix("s") + stem
    if prefixed in mine:
        return mine[prefixed]
    ending = [c for t, c in mine.items() if t.endswith(stem)]
    if len(ending) == 1:
        return ending[0]
    raise CannotSynthesise(
        f"{name!r} in {domain}: no tenant table found; add it to ID_TABLES in "
        "tests/security/surface.py"
    )


def is_id(name: str) -> bool:
    return name.endswith("_id") or name.endswith("_ids")


# Plain (non-id) handler arguments and path parameters by name: values that pass the state's
# own parsing, so the probe reaches the service and its tenant check.
ARG_VALUES: dict[str, Any] = {
    "role": "admin",
    "status": "done",
    "value": "3",
    "which": "status",
    "view": "board",
    "part": "name",
    "dimension": "Flow",
    "text": "probe text",
    "key": "google",
    "provider": "google",
    "plan": "team",
    "table": "statuses",
    "instrument": "westrum",
    "title": "Probe title",
    "team_name": "Probe team",
    "index": 0,
    "files": [],
    "domain": "unclaimed.invalid",  # never claimed: refused before any DNS look-up
    "kind": "initiative",  # a comment target's kind (a notification kind is refused)
    "channel": "immediate",
    "body": "probe text",
    "query": "probe",
    "markup": "@[Probe](user:1)",
    "name": "new",  # a page's dialog (set_dialog)
    "work": "create",  # the work a button spins for (mark_busy)
    "column": "doing",  # a status mapping's column (ConnectionsState.map_status)
    "person": "",  # an improvement item's owner ("" = nobody: ImprovementState.set_owner)
    "step": 1,  # one place later (PlanState.move_goal)
}


# Forms whose keys are data (a survey's questions): the keys a probe sends.
FORM_KEYS = {
    "RespondState.submit": ["q1", "q2"],  # question keys; a forged link has no questions
}


def form_keys(handler: Handler) -> list[str]:
    """The keys a form handler reads: `form.get("k")` / `form["k"]` anywhere in its module
    (helpers included), and `<prefix><id>` for `key.startswith("<prefix>")` loops."""
    if handler.qualname in FORM_KEYS:
        return FORM_KEYS[handler.qualname]
    keys: set[str] = set()
    module: ModuleType = inspect.getmodule(handler.handler.fn)  # type: ignore[assignment]
    # The module, and the app's functions it imports (a form reader shared by two pages).
    sources = [inspect.getsource(module)] + [
        inspect.getsource(value)
        for value in vars(module).values()
        if inspect.isfunction(value)
        and value.__module__.startswith("pmo_saas.")
        and value.__module__ != module.__name__
    ]
    nodes = [n for text in sources for n in ast.walk(ast.parse(textwrap.dedent(text)))]
    for node in nodes:
        target, key = None, None
        if (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Attribute)
            and node.func.attr == "get"
            and node.args
        ):
            target, key = node.func.value, node.args[0]
        elif isinstance(node, ast.Subscript):
            target, key = node.value, node.slice
        if (
            isinstance(target, ast.Name)
            and target.id in ("form", "data", "values")
            and isinstance(key, ast.Constant)
            and isinstance(key.value, str)
        ):
            keys.add(key.value)
        if (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Attribute)
            and node.func.attr == "startswith"
            and node.args
            and isinstance(node.args[0], ast.Constant)
            and isinstance(node.args[0].value, str)
            and node.args[0].value.endswith("_")
        ):
            keys.add(node.args[0].value + "ID")  # filled with a row id of the prefix's table
    return sorted(keys)


@dataclass(frozen=True)
class Target:
    """Whose rows the synthesised arguments point at: one row id per tenant table, a user."""

    ids: dict[type[TenantOwned], int]
    user_id: int

    def row(self, name: str, domain: str) -> int:
        return self.ids[table_for(name, domain)]


PERSON_KEYS = ("owner", "user", "assignee", "coach", "attendee")


# `<prefix>...` form keys (one field per row or per choice): how to fill in the rest of the key.
PREFIX_KEYS: dict[str, Callable[[Target, str], str]] = {
    "score_": lambda t, d: str(t.row("initiative_id", d)),
    "final_": lambda t, d: f"{t.row('initiative_id', d)}_business_value",
    "input_": lambda t, d: "business_value",
    "attendee_": lambda t, d: str(t.user_id),
    "scorer_": lambda t, d: str(t.user_id),
    "stakeholder_": lambda t, d: str(t.user_id),  # a budgeting session's invitation picker
    "amount_": lambda t, d: "0",  # an allocation's first option (by index)
    "split_": lambda t, d: "0",  # the settled split's first option (by index)
}


def form_key(key: str, handler: Handler, target: Target) -> str:
    if not key.endswith("_ID"):
        return key
    prefix = key.removesuffix("ID")
    if prefix not in PREFIX_KEYS:
        raise CannotSynthesise(
            f"{handler.id}: form keys {prefix}...: add the prefix to PREFIX_KEYS in "
            "tests/security/surface.py"
        )
    return prefix + PREFIX_KEYS[prefix](target, handler.domain)


def form_value(key: str, domain: str, target: Target) -> str:
    if key.endswith("_ID"):
        return "3"
    """A form field as the browser sends it (a string), aimed at the target's rows."""
    if any(key.endswith(p) or key.startswith(p) for p in PERSON_KEYS) and not is_id(key):
        return str(target.user_id)
    if key.endswith("user_id"):
        return str(target.user_id)
    if is_id(key) or key in ("team", "portfolio", "initiative", "round", "survey"):
        return str(target.row(key, domain)) if _has_table(key, domain) else "1"
    return "3" if re.search(r"(weight|score|value|budget|cost|size|days|level)", key) else "Probe"


def _has_table(key: str, domain: str) -> bool:
    try:
        table_for(key, domain)
    except CannotSynthesise:
        return False
    return True


def synthesise(handler: Handler, target: Target) -> dict[str, Any]:
    """Keyword arguments for a handler, as the browser would send them, aimed at `ids`."""
    hints = handler.hints()
    args: dict[str, Any] = {}
    for param in handler.parameters():
        name, hint = param.name, hints.get(param.name, Any)
        if name in ("form", "form_data"):
            keys = form_keys(handler)
            if not keys:
                raise CannotSynthesise(f"{handler.id}: the form's keys cannot be read")
            args[name] = {
                form_key(k, handler, target): form_value(k, handler.domain, target) for k in keys
            }
        elif name.endswith("user_id"):
            args[name] = target.user_id
        elif is_id(name):
            row_id = target.row(name, handler.domain)
            args[name] = str(row_id) if hint is str else row_id
        elif hint is bool:
            args[name] = True
        elif name in ARG_VALUES:
            args[name] = ARG_VALUES[name]
        elif param.default is not inspect.Parameter.empty:
            continue
        else:
            raise CannotSynthesise(
                f"{handler.id}: no value for argument {name!r}; add it to ARG_VALUES in "
                "tests/security/surface.py"
            )
    return args


def page_path(page: Page, *, slug: str, target: Target, token: str) -> str:
    path = page.route
    for param in page.params:
        if param == "slug":
            value = slug
        elif param == "token":
            value = token
        elif is_id(param):
            value = str(target.row(param, page.domain))
        elif param in ARG_VALUES:
            value = str(ARG_VALUES[param])
        else:
            raise CannotSynthesise(f"page {page.route}: no value for [{param}]")
        path = path.replace(f"[{param}]", value)
    return path


# ---------------------------------------------------------------- HTTP routes


@dataclass(frozen=True)
class HttpRoute:
    path: str
    method: str
    endpoint: Any

    @property
    def id(self) -> str:
        return f"{self.method} {self.path}"

    @property
    def params(self) -> list[str]:
        return re.findall(r"\{([^}:]+)", self.path)

    @property
    def api(self) -> bool:
        return self.path.startswith("/api/")


@cache
def http_routes() -> tuple[HttpRoute, ...]:
    routes: list[BaseRoute] = list(build_api().routes)
    found = []
    for route in routes:
        if not isinstance(route, Route):
            raise CannotSynthesise(f"{route!r}: only plain Starlette Routes are probed")
        for method in sorted(route.methods or {"GET"}):
            if method == "HEAD":
                continue
            found.append(HttpRoute(route.path, method, route.endpoint))
    return tuple(found)


def http_path(route: HttpRoute, target: Target, *, token: str = "") -> str:
    path = route.path
    for param in route.params:
        if param == "token" and token:  # a link's token (forged by the probe)
            value = token
        elif is_id(param):
            domain = _api_domain(param)
            value = str(target.row(param, domain))
        elif param in ARG_VALUES:
            value = str(ARG_VALUES[param])
        else:
            raise CannotSynthesise(f"route {route.id}: no value for {{{param}}}")
        path = path.replace("{" + param + "}", value)
    return path


# Path ids of the REST API by the domain that owns them (names several domains' tables share).
API_ID_DOMAINS = {"round_id": "assessments", "plan_id": "coaching"}


def _api_domain(param: str) -> str:
    if param in API_ID_DOMAINS:
        return API_ID_DOMAINS[param]
    stem = param.removesuffix("_id").replace("_", "")
    owners = [d for d, t in _tables_by_domain().items() if stem in t]
    return owners[0] if len(owners) == 1 else "dashboard"


__all__ = [
    "CannotSynthesise",
    "Handler",
    "HttpRoute",
    "Page",
    "Target",
    "app_states",
    "handlers",
    "http_routes",
    "page_for",
    "pages",
    "synthesise",
    "table_for",
]
