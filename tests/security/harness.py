"""One probe = one handler (or one page's on_load chain) run as the websocket runs it, then two
checks: what the state tree holds afterwards (every var, backend `_vars` included: what the
state store persists), and what changed in the other organisation's rows.

`world()` builds the cast once per module: organisation B filled in every tenant table (the
demo seed plus `factories.TENANT_ROW_MAKERS`, as in tests/test_tenancy.py), organisation A,
a viewer of B, an admin removed from B, and sessions for each.
"""

from __future__ import annotations

import inspect
import json
import secrets
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from reflex.istate.data import RouterData
from reflex.state import BaseState, State
from reflex.utils.format import format_event_handler
from reflex_base.constants.state import FIELD_MARKER
from reflex_base.event import Event
from reflex_base.event.processor.base_state_processor import _prepare_event_payload
from sqlalchemy import inspect as sa_inspect
from sqlalchemy import select as sa_select
from sqlmodel import select

import pmo_saas
import pmo_saas.pmo_saas as app_module
from pmo_saas.db import _tenant_classes, system_session, tenant_session
from pmo_saas.identity import services as identity
from pmo_saas.identity.models import Membership, Organization, User
from pmo_saas.kernel.context import TenantContext
from pmo_saas.seed import DEMO_SLUG
from tests import factories
from tests.security.surface import Handler, Page, Target
from tests.state_harness import connect_socket, router_headers, run

# Probes run, by kind; printed at the end of the session (tests/security/conftest.py).
COUNTS: Counter[str] = Counter()

ROUTER_FIELDS = {"router", "router_data"}


def _dump_rows(session: Any, cls: Any, where: Any) -> list[str]:
    pk = list(sa_inspect(cls).primary_key)
    rows = session.execute(sa_select(cls.__table__).where(where).order_by(*pk)).all()
    return [repr(tuple(r)) for r in rows]


def dump_org(org_id: int) -> dict[str, list[str]]:
    """Every row the organisation owns (all tenant tables), its own row and its people."""
    out: dict[str, list[str]] = {}
    with system_session() as session:
        for cls in _tenant_classes():
            name = str(cls.__tablename__)
            out[name] = _dump_rows(session, cls, cls.__table__.c.org_id == org_id)  # type: ignore[attr-defined]
        out["organization"] = _dump_rows(session, Organization, Organization.id == org_id)  # type: ignore[arg-type]
        people = select(Membership.user_id).where(Membership.org_id == org_id)
        out["user"] = _dump_rows(session, User, User.id.in_(people))  # type: ignore[union-attr]
    return out


def changed_tables(before: dict[str, list[str]], after: dict[str, list[str]]) -> list[str]:
    return sorted(t for t in set(before) | set(after) if before.get(t) != after.get(t))


def _strings(value: Any) -> set[str]:
    found: set[str] = set()
    for row in value:
        for part in row.split("'"):
            found.add(part)
    return found


@dataclass
class World:
    b: TenantContext  # B's owner
    a: TenantContext  # A's owner: "another organisation"
    token_a: str
    token_b_viewer: str
    token_b_removed: str
    b_slug: str
    a_slug: str
    target: Target  # one real row id of B per tenant table
    fingerprints: frozenset[str]
    b_dump: dict[str, list[str]] = field(default_factory=dict)
    own: dict[str, str] = field(default_factory=dict)  # session token -> the caller's name, email
    session_users: dict[str, int] = field(default_factory=dict)  # session token -> its user
    _renewed: dict[str, str] = field(default_factory=dict)  # revoked token -> its successor

    def live(self, token: str) -> str:
        """`token`, or a new session of the same user once a probed handler ended it (every
        handler is probed as each caller, AuthState.sign_out too): the probes after it still
        run as that caller, not as a signed-out stranger."""
        while token in self._renewed:
            token = self._renewed[token]
        if not token or identity.resolve_session(token=token) is not None:
            return token
        fresh = identity.start_session(user_id=self.session_users[token])
        self._renewed[token] = fresh
        self.session_users[fresh] = self.session_users[token]
        if token in self.own:
            self.own[fresh] = self.own[token]
        for name in ("token_a", "token_b_viewer", "token_b_removed"):
            if getattr(self, name) == token:
                setattr(self, name, fresh)
        return fresh

    def leaks(self, text: str, *, echo: str = "", token: str = "") -> list[str]:
        """B's distinctive values found in `text`, except what the caller sent (`echo`) and
        the caller's own name and email."""
        echo += self.own.get(token, "")
        return sorted(f for f in self.fingerprints if f in text and f not in echo)

    def assert_b_unchanged(self, what: str, allowed: frozenset[str] = frozenset()) -> None:
        after = dump_org(self.b.org_id)
        changed = [t for t in changed_tables(self.b_dump, after) if t not in allowed]
        self.b_dump = after
        assert changed == [], f"{what} changed organisation B's rows in: {changed}"


def has_int_key(cls: Any) -> bool:
    pk = list(sa_inspect(cls).primary_key)
    return len(pk) == 1 and pk[0].type.python_type is int


def _first_ids(org_id: int) -> dict[Any, int]:
    ids: dict[Any, int] = {}
    with system_session() as session:
        for cls in _tenant_classes():
            pk = list(sa_inspect(cls).primary_key)
            if not has_int_key(cls):
                continue
            row = session.execute(
                sa_select(pk[0]).where(cls.__table__.c.org_id == org_id).order_by(pk[0])  # type: ignore[attr-defined]
            ).first()
            if row is not None:
                ids[cls] = int(row[0])
    return ids


def _demo_user(local: str) -> int:
    with system_session() as session:
        user_id = session.exec(
            select(User.id).where(User.email == f"{local}@demo.pmo-saas.test")
        ).one()
    assert user_id is not None
    return user_id


def _default_state_text() -> str:
    """Every state's defaults (option lists, labels): never B's data, whatever they contain."""

    async def dump() -> str:
        from tests.security.surface import app_states

        root = State(_reflex_internal_init=True)  # type: ignore[call-arg]
        for cls in app_states():
            await root.get_state(cls)
        return state_text(root)

    return run(dump())


def _shipped_text() -> str:
    """The app's own source, demo seeds aside: catalogue texts (built-in models, instruments,
    labels) that every organisation sees are not any one organisation's data."""
    root = Path(pmo_saas.__file__).parent
    return "\n".join(
        p.read_text(encoding="utf-8")
        for p in root.rglob("*.py")
        if p.name not in ("demo.py", "seed.py")
    )


def build_world() -> World:
    from tests.test_tenancy import _demo_owner_id, _fill_org_b

    org_b_id = _fill_org_b()
    b = identity.workspace_context(user_id=_demo_owner_id(), slug=DEMO_SLUG)
    a = factories.make_org("Probe Org A")
    admin_id = _demo_user("admin")
    token_removed = identity.start_session(user_id=admin_id)
    with tenant_session(b) as session:
        membership_id = session.exec(
            select(Membership.id).where(Membership.user_id == admin_id)
        ).one()
        assert membership_id is not None
        identity.remove_member(session=session, ctx=b, membership_id=membership_id)
    b_dump = dump_org(org_b_id)
    a_text = json.dumps(dump_org(a.org_id))
    defaults = _default_state_text() + _shipped_text()
    candidates = {
        s.strip()
        for s in _strings(r for rows in b_dump.values() for r in rows)
        if (len(s.strip()) >= 10 and " " in s.strip()) or "@" in s
    }
    fingerprints = frozenset(
        s
        for s in candidates
        if s not in a_text
        and s not in defaults
        and not s.startswith(("datetime", "b'"))
        and not s.replace("-", "").replace(":", "").replace(" ", "").replace(".", "").isdigit()
    )
    assert len(fingerprints) > 50, "organisation B has too few distinctive values to probe"
    token_a = identity.start_session(user_id=a.user_id or 0)
    viewer_id = _demo_user("viewer")
    token_b_viewer = identity.start_session(user_id=viewer_id)
    with system_session() as session:
        admin = session.get(User, admin_id)
        assert admin is not None
        own = {token_removed: f"{admin.name} {admin.email}"}
    return World(
        own=own,
        session_users={token_a: a.user_id or 0, token_b_viewer: viewer_id, token_removed: admin_id},
        b=b,
        a=a,
        token_a=token_a,
        token_b_viewer=token_b_viewer,
        token_b_removed=token_removed,
        b_slug=DEMO_SLUG,
        a_slug=a.org_slug,
        target=Target(ids=_first_ids(org_b_id), user_id=b.user_id or 0),
        fingerprints=fingerprints,
        b_dump=b_dump,
    )


# ---------------------------------------------------------------- running handlers


def forged_token() -> str:
    return secrets.token_urlsafe(32)


async def root_for(*, token: str, path: str, cookies: str = "") -> State:
    """A state tree for an event of a socket whose handshake carried the session cookie.

    The handshake goes through the app's `SecurityMiddleware` and the router headers are the
    ones Reflex builds from it, so the cookie is where the app really finds it (the socket's
    environ), never in the state.
    """
    cookie = "; ".join(c for c in (f"pmo_session={token}" if token else "", cookies) if c)
    sid = await connect_socket(cookie)
    root = State(_reflex_internal_init=True)  # type: ignore[call-arg]
    root.router = RouterData.from_router_data(
        {
            "sid": sid,
            "headers": {**router_headers(sid), "origin": "http://t"},
            "pathname": path,
            "asPath": path,
            "query": {},
        }
    )
    return root


def _walk(state: BaseState) -> list[BaseState]:
    out = [state]
    for sub in state.substates.values():
        out.extend(_walk(sub))
    return out


def state_text(root: BaseState) -> str:
    """Every var of every state in the tree, public and backend, as text."""
    parts = []
    for state in _walk(root):
        fields = {k: v for k, v in vars(state).items() if k not in ROUTER_FIELDS}
        parts.append(json.dumps(fields, default=repr, sort_keys=True))
    computed = root.dict()
    for substate in computed.values():
        if isinstance(substate, dict):
            for name in ROUTER_FIELDS:
                substate.pop(name + FIELD_MARKER, None)
    parts.append(json.dumps(computed, default=repr, sort_keys=True))
    return "\n".join(parts)


async def _drain(result: Any) -> list[Any]:
    if inspect.isasyncgen(result):
        return [item async for item in result]
    if inspect.isgenerator(result):
        return list(result)
    if result is None:
        return []
    return list(result) if isinstance(result, list | tuple) else [result]


@dataclass
class Outcome:
    root: State
    state: BaseState
    events: list[Any]
    error: BaseException | None

    @property
    def text(self) -> str:
        return state_text(self.root) + "\n" + repr(self.events)

    def redirected_to(self, fragment: str) -> bool:
        return any("_redirect" in repr(e) and fragment in repr(e) for e in self.events)


async def call(
    handler: Handler, *, token: str, path: str, payload: dict[str, Any], prime: dict[str, Any]
) -> Outcome:
    """Run one handler as the websocket does: payload transformed by the handler's hints."""
    root = await root_for(token=token, path=path)
    state = await root.get_state(handler.state)
    for name, value in prime.items():
        setattr(state, name, value)
    fn = handler.handler.fn
    events: list[Any] = []
    error: BaseException | None = None
    try:
        # The app's middlewares first, as Reflex's `_execute_event` runs them (the event guard
        # refuses arguments that do not fit the handler's hints there); then the handler.
        event = Event(name=format_event_handler(handler.handler), payload=payload)
        update = await app_module.app._preprocess(root, event)
        if update is not None:
            return Outcome(root, state, list(update.events), None)
        prepared = _prepare_event_payload(handler.handler, payload)
        result = fn(state, **prepared)
        if inspect.iscoroutine(result):
            result = await result
        events = await _drain(result)
    except Exception as exc:  # reported by the probe, naming the handler
        error = exc
    return Outcome(root, state, events, error)


async def load_page(page: Page, *, token: str, path: str, cookies: str = "") -> Outcome:
    """The page's on_load chain in one state tree, in order, as the browser triggers it
    (`cookies`: more cookies of the websocket handshake, `name=value; ...`)."""
    root = await root_for(token=token, path=path, cookies=cookies)
    events: list[Any] = []
    error: BaseException | None = None
    state: BaseState = root
    for on_load in page.on_load:
        cls = _state_class(on_load.fn)
        state = await root.get_state(cls)
        try:
            result = on_load.fn(state)
            if inspect.iscoroutine(result):
                result = await result
            events.extend(await _drain(result))
        except Exception as exc:
            error = exc
            break
    return Outcome(root, state, events, error)


def _state_class(fn: Any) -> type[BaseState]:
    from tests.security.surface import app_states

    owner = fn.__qualname__.split(".")[0]
    for cls in app_states():
        if cls.__name__ == owner and cls.__module__ == fn.__module__:
            return cls
    raise LookupError(fn.__qualname__)


def id_vars(state_cls: type[BaseState], target: Target, domain: str) -> dict[str, Any]:
    """Public `*_id` vars a client could set with `setvar` before calling a handler, aimed at
    the other organisation's rows (those the probe cannot place keep their value)."""
    from tests.security.surface import CannotSynthesise, table_for

    primed: dict[str, Any] = {}
    for name, var in state_cls.base_vars.items():
        if not name.endswith("_id") or name.startswith("_"):
            continue
        try:
            row = target.ids[table_for(name, domain)]
        except (CannotSynthesise, KeyError):
            continue
        primed[name] = str(row) if var._var_type is str else row
    return primed
