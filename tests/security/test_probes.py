"""Cross-tenant and sign-in probes generated from the live app: every page route, every event
handler of every state, every HTTP route. A new one is probed the day it is added; one the
generator cannot build arguments for fails here by name (see tests/security/surface.py).

Every tenant table is covered by tests/test_tenancy.py::test_every_tenant_table_is_isolated
(tenant session of A against B's rows, read/count/update/delete); here we only check that the
filled organisation B has a row in each, so the probes below aim at real rows everywhere.
"""

from __future__ import annotations

import secrets
import traceback
from typing import Any

import pytest
from starlette.testclient import TestClient

from pmo_saas.api import build_api
from pmo_saas.db import _tenant_classes, tenant_session
from pmo_saas.rest import keys as apikeys
from tests.security import surface
from tests.security.harness import (
    COUNTS,
    Outcome,
    World,
    call,
    forged_token,
    has_int_key,
    id_vars,
    load_page,
    root_for,
)
from tests.state_harness import run

# ---------------------------------------------------------------- allowlists (each says why)

# Background events are started by the server itself (never with client arguments) and re-check
# the session inside `async with self`; calling one outside the event processor has no lock.
BACKGROUND_ONLY = {
    "BillingState.follow_checkout": "started by BillingState.load after Checkout only",
    # Started on mount; every read goes through WorkspacePage._reload (the caller's session
    # and membership checked each time), which refuses an outsider and ends the loop.
    "BellState.watch": "the bell's unread-count poll, started on mount",
    "CommentsState.open": "the thread's load and version poll, started on mount",
    # Take no arguments: each reads only what the tab's own earlier (probed) events left in
    # the state, and checks the session and role inside `async with self` before any work.
    "InitiativesState.confirm_import": "writes the CSV its probed preview_import kept",
    "ConnectionsState.follow_sync": "the progress of the sync its probed sync_now started",
    "CapacityState.confirm_import": "writes the CSV its probed preview_import kept",
    "DeliveryState.confirm_import": "writes the CSV its probed preview_import kept",
    "PlanState.write_spend": "writes the spend CSV its probed import_spend kept",
    "FundingState.solve": "the solver run its probed fund started (the session checked again)",
}

# Handlers a viewer of B may legitimately write with, and the tables they may touch.
VIEWER_MAY_WRITE: dict[str, frozenset[str]] = {
    # A viewer marks their own notifications read; the organisation's row changes only by its
    # data version (a counter that says "something may have changed", no data of its own).
    "NotificationsState.mark_all_read": frozenset({"notification", "organization"}),
}

# Handlers anyone may call and that write into B by design, and the tables they may touch.
ANYONE_MAY_WRITE: dict[str, frozenset[str]] = {}


def _fail_with(what: str, outcome: Outcome) -> None:
    if outcome.error is not None:
        trace = "".join(traceback.format_exception(outcome.error))
        pytest.fail(f"{what} raised instead of refusing:\n{trace}")


# ---------------------------------------------------------------- the surface itself


def test_the_surface_is_found_and_every_tenant_table_is_filled(world: World) -> None:
    assert len(surface.pages()) >= 40
    assert len(surface.handlers()) >= 120
    assert len(surface.http_routes()) >= 20
    by_id = [c for c in _tenant_classes() if has_int_key(c)]
    missing = [c.__tablename__ for c in by_id if c not in world.target.ids]
    assert missing == [], f"organisation B has no row in: {missing}"
    COUNTS["tenant tables (tests/test_tenancy.py)"] += len(_tenant_classes())


# ---------------------------------------------------------------- (a) page routes


def _page_id(page: surface.Page) -> str:
    return page.route


@pytest.mark.parametrize("page", surface.pages(), ids=_page_id)
def test_page_gives_outsiders_nothing(world: World, page: surface.Page) -> None:
    target = world.target

    def path(slug: str, token: str = "") -> str:
        try:
            return surface.page_path(page, slug=slug, target=target, token=token or forged_token())
        except surface.CannotSynthesise as error:
            pytest.fail(str(error))

    if page.workspace:
        cast = [
            ("stranger", "", path(world.b_slug)),
            ("other organisation's owner", world.token_a, path(world.b_slug)),
            ("removed admin", world.token_b_removed, path(world.b_slug)),
        ]
        if len(page.params) > 1:
            cast.append(("other owner, own slug, B's ids", world.token_a, path(world.a_slug)))
    else:
        cast = [
            ("stranger", "", path(world.b_slug)),
            ("other organisation's owner", world.token_a, path(world.b_slug)),
        ]
    for who, token, url in cast:
        token = world.live(token)
        outcome = run(load_page(page, token=token, path=url))
        what = f"page {page.route} as {who} ({url})"
        _fail_with(what, outcome)
        assert world.leaks(outcome.text, echo=url, token=token) == [], f"{what} shows B's data"
        world.assert_b_unchanged(what)
        if page.workspace and who != "other owner, own slug, B's ids":
            auth = outcome.root.substates
            refused = outcome.redirected_to("/signin") or _workspace_error(outcome)
            assert refused, f"{what}: neither a redirect to sign-in nor 'not found' ({auth})"
        if page.workspace and who == "stranger":
            assert outcome.redirected_to("/signin"), f"{what}: no redirect to sign-in"
        COUNTS[f"(a) page loads as {who}"] += 1


def _workspace_error(outcome: Outcome) -> bool:
    from pmo_saas.identity.auth_state import AuthState

    for state in outcome.root.substates.values():
        if isinstance(state, AuthState):
            return bool(state.workspace_error)
    return False


# ---------------------------------------------------------------- (b) event handlers


def _handler_id(handler: surface.Handler) -> str:
    return handler.id


@pytest.mark.parametrize("handler", surface.handlers(), ids=_handler_id)
def test_handler_gives_outsiders_nothing(world: World, handler: surface.Handler) -> None:
    if handler.background:
        assert handler.qualname in BACKGROUND_ONLY, (
            f"{handler.id} is a background event: probe it or add it to BACKGROUND_ONLY"
        )
        COUNTS["(b) handlers allowlisted (background)"] += 1
        return
    try:
        page = surface.page_for(handler.state)
        payload = surface.synthesise(handler, world.target)
        forged = forged_token()
        b_path = surface.page_path(page, slug=world.b_slug, target=world.target, token=forged)
        a_path = surface.page_path(page, slug=world.a_slug, target=world.target, token=forged)
    except surface.CannotSynthesise as error:
        pytest.fail(str(error))
    prime = id_vars(handler.state, world.target, handler.domain)
    echo = repr(payload) + b_path + a_path + repr(prime)
    cast: list[tuple[str, str, str]] = [
        ("signed out", "", b_path),
        ("other organisation's owner", world.token_a, b_path),
        ("removed admin", world.token_b_removed, b_path),
    ]
    if page.workspace:
        cast.append(("other owner, own slug, B's ids", world.token_a, a_path))
    for who, token, url in cast:
        token = world.live(token)
        outcome = run(call(handler, token=token, path=url, payload=payload, prime=prime))
        what = f"{handler.id}({payload}) as {who} at {url}"
        _fail_with(what, outcome)
        assert world.leaks(outcome.text, echo=echo, token=token) == [], f"{what} read B's data"
        world.assert_b_unchanged(what, ANYONE_MAY_WRITE.get(handler.qualname, frozenset()))
        COUNTS[f"(b) handler calls as {who}"] += 1
    if page.workspace:
        outcome = run(
            call(
                handler,
                token=world.live(world.token_b_viewer),
                path=b_path,
                payload=payload,
                prime=prime,
            )
        )
        what = f"{handler.id}({payload}) as B's viewer at {b_path}"
        _fail_with(what, outcome)
        world.assert_b_unchanged(what, VIEWER_MAY_WRITE.get(handler.qualname, frozenset()))
        COUNTS["(b) handler calls as B's viewer (writes)"] += 1


# ---------------------------------------------------------------- (c) HTTP routes


# Routes that answer without a key by design (they hold no organisation's data).
PUBLIC_API = {"GET /api/v1/openapi.json"}

# Query strings aimed at B for the non-API routes (forged tickets, states, signatures).
QUERIES = {
    "/auth/complete": lambda: f"ticket={forged_token()}",
    "/sso/callback": lambda: f"state={forged_token()}&code={forged_token()}",
    "/sso/start": lambda: "org=no-such-org-" + secrets.token_hex(3),
}


def _body(route: surface.HttpRoute) -> dict[str, Any] | None:
    if route.method in ("GET", "DELETE"):
        return None
    if route.path.endswith("/scores"):
        return {"scores": {"business_value": 5}}
    return {"title": "Probe title"}


@pytest.fixture(scope="module")
def keys(world: World) -> dict[str, str]:
    """A's read-write key, and a key of B that was revoked."""
    with tenant_session(world.a) as session:
        a_key = apikeys.create_api_key(
            session=session, ctx=world.a, name="probe", scope="read_write"
        ).key
    with tenant_session(world.b) as session:
        created = apikeys.create_api_key(
            session=session, ctx=world.b, name="old", scope="read_write"
        )
    with tenant_session(world.b) as session:
        apikeys.revoke_api_key(session=session, ctx=world.b, key_id=created.row.id)
    from tests.security.harness import dump_org

    world.b_dump = dump_org(world.b.org_id)
    return {"a": a_key, "b_revoked": created.key}


@pytest.mark.parametrize("route", surface.http_routes(), ids=lambda r: r.id)
def test_http_route_gives_outsiders_nothing(
    world: World, keys: dict[str, str], route: surface.HttpRoute, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PMO_API_RATE_PER_MINUTE", "100000")
    link_token = forged_token()  # a path's {token} (a share link's): forged, aimed at B
    try:
        url = surface.http_path(route, world.target, token=link_token)
    except surface.CannotSynthesise as error:
        pytest.fail(str(error))
    if route.path in QUERIES:
        url += "?" + QUERIES[route.path]()
    client = TestClient(build_api(), follow_redirects=False)
    callers = {
        "no key": {},
        "a bare scheme": {"Authorization": "Bearer"},
        "a forged key": {"Authorization": "Bearer pmo_" + secrets.token_urlsafe(32)},
        "B's revoked key": {"Authorization": f"Bearer {keys['b_revoked']}"},
        "another organisation's key": {"Authorization": f"Bearer {keys['a']}"},
    }
    for who, headers in callers.items():
        cookies = {"pmo_session": forged_token()}
        response = client.request(
            route.method, url, headers=headers, json=_body(route), cookies=cookies
        )
        what = f"{route.id} ({url}) with {who}"
        text = response.text + repr(dict(response.headers))
        assert response.status_code < 500, f"{what}: {response.status_code} {response.text}"
        assert world.leaks(text, echo=url) == [], f"{what} returned B's data"
        world.assert_b_unchanged(what)
        set_cookie = response.headers.get("set-cookie", "")
        assert "pmo_session=" not in set_cookie or 'pmo_session=""' in set_cookie, (
            f"{what} set a session cookie"
        )
        if route.api and route.id not in PUBLIC_API:
            if who == "another organisation's key":
                expected = {404} if route.params else {200}
            else:
                expected = {401}
            assert response.status_code in expected, f"{what}: {response.status_code}"
        if route.path in COOKIE_HANDOVERS:
            _check_cookie_handover(world, route, response, link_token, what)
        COUNTS[f"(c) HTTP requests with {who}"] += 1


# Routes that hand a link's token over to a page in an HttpOnly cookie and redirect there:
# the route answers nothing itself (a redirect and a cookie are not data), so the probe
# follows the hand-over and loads the page as the browser would, with the forged token.
COOKIE_HANDOVERS = {"/share/{token}": ("pmo_share", "/shared")}


def _check_cookie_handover(
    world: World, route: surface.HttpRoute, response: Any, link_token: str, what: str
) -> None:
    cookie_name, page_route = COOKIE_HANDOVERS[route.path]
    assert response.status_code == 303, f"{what}: {response.status_code}"
    assert response.headers["location"].endswith(page_route), f"{what}: {response.headers}"
    assert link_token not in response.headers["location"], f"{what}: the token is in the URL"
    set_cookie = response.headers.get("set-cookie", "")
    assert f"{cookie_name}={link_token}" in set_cookie and "httponly" in set_cookie.lower(), (
        f"{what}: {set_cookie}"
    )
    page = next(p for p in surface.pages() if p.route == page_route)
    outcome = run(load_page(page, token="", path=page_route, cookies=f"{cookie_name}={link_token}"))
    shown = f"{what}, then {page_route} with that cookie"
    _fail_with(shown, outcome)
    assert world.leaks(outcome.text, echo=link_token) == [], f"{shown} showed B's data"
    assert getattr(outcome.state, "error", ""), f"{shown}: refused without a message"
    world.assert_b_unchanged(shown)
    COUNTS["(c) cookie hand-overs followed to their page"] += 1


# ---------------------------------------------------------------- the state store


def test_the_state_store_never_holds_a_session_token(world: World) -> None:
    """What Redis (or the disk state store) receives for a signed-in visit of a page."""
    from pmo_saas.identity.auth_state import AuthState

    token = world.live(world.token_a)

    async def visit() -> bytes:
        root = await root_for(token=token, path=f"/o/{world.a_slug}")
        auth = await root.get_state(AuthState)
        await auth.load_workspace()  # type: ignore[operator]
        assert auth.signed_in
        return b"".join(state._serialize() for state in _tree(root))

    stored = run(visit())
    COUNTS["state store checks"] += 1
    assert token.encode() not in stored, "the state store holds the raw session token"


def _tree(state: Any) -> list[Any]:
    return [state, *(s for sub in state.substates.values() for s in _tree(sub))]


def test_the_outbox_and_the_log_hold_no_usable_link(
    world: World, caplog: pytest.LogCaptureFixture
) -> None:
    """Every kind of mail carrying a secret link (invitation, password reset, e-mail
    verification, SSO domain proof, personal survey link), sent without SMTP and with it: no
    string in any outbox row or any mail log line (raw, and as the app's redacting handler
    writes it) is a token that redeems. The links SMTP delivered do (the detector works)."""
    import contextlib
    import re

    from sqlmodel import col, select

    from pmo_saas.db import system_session
    from pmo_saas.identity import services as identity
    from pmo_saas.identity import sso_domains
    from pmo_saas.identity.models import (
        EmailVerification,
        Invitation,
        OutboxMessage,
        PasswordReset,
        User,
    )
    from pmo_saas.identity.security import hash_token
    from pmo_saas.identity.sso_models import SsoDomain
    from pmo_saas.ops.logs import RedactingFilter
    from pmo_saas.surveys.models import SurveyLink
    from tests.factories import PASSWORD
    from tests.peers import smtp
    from tests.surveys import helpers as surveys

    with system_session() as session:
        owner = session.get(User, world.a.user_id)
        assert owner is not None
        owner_email = owner.email
    smtp.clear()
    for delivered in (False, True):
        tag = secrets.token_hex(3)
        with (
            smtp.smtp_delivery() if delivered else contextlib.nullcontext(),
            caplog.at_level("INFO", logger="pmo_saas.mail"),
        ):
            with tenant_session(world.a) as session:
                identity.invite_member(
                    session=session, ctx=world.a, email=f"probe-{tag}@example.com", role="member"
                )
                sso_domains.claim_sso_domain(
                    session=session, ctx=world.a, domain=f"probe-{tag}.example"
                )
                sso_domains.send_domain_verification_mail(
                    session=session, ctx=world.a, domain=f"probe-{tag}.example", mailbox="admin"
                )
            identity.request_password_reset(email=owner_email)
            identity.sign_up(
                org_name=f"Probe {tag}",
                name="Probe",
                email=f"signup-{tag}@example.com",
                password=PASSWORD,
            )
            team_id, _ = surveys.team_with(world.a, f"Probe team {tag}", 5)
            with tenant_session(world.a) as session:  # smtp_delivery (or not) as set above
                surveys.services.launch_survey(
                    session=session,
                    ctx=world.a,
                    title=f"Probe survey {tag}",
                    instrument="westrum",
                    team_ids=[team_id],
                )
    with system_session() as session:
        bodies = list(session.exec(select(OutboxMessage.body)).all())
        live = {
            "invitation": set(session.exec(select(Invitation.token_hash)).all()),
            "password reset": set(session.exec(select(PasswordReset.token_hash)).all()),
            "email verification": set(session.exec(select(EmailVerification.token_hash)).all()),
            "sso domain proof": set(
                session.exec(
                    select(SsoDomain.mail_token_hash).where(
                        col(SsoDomain.mail_token_hash).is_not(None)
                    )
                ).all()
            ),
            "survey": set(session.exec(select(SurveyLink.token_hash)).all()),
        }
    logged = []
    for record in caplog.records:
        if record.name == "pmo_saas.mail":
            logged.append(record.getMessage())
            RedactingFilter().filter(record)
            logged.append(record.getMessage())
    words = re.compile(r"[A-Za-z0-9_-]{16,}")
    COUNTS["outbox checks"] += len(bodies) + len(logged)
    for where, texts in (("outbox row", bodies), ("mail log line", logged)):
        for text in texts:
            usable = [
                (k, w) for w in words.findall(text) for k, h in live.items() if hash_token(w) in h
            ]
            assert usable == [], f"a {where} holds a usable {usable[0][0]} link:\n{text}"
    delivered_tokens = [w for m in smtp.messages() for w in words.findall(smtp.body(m))]
    for kind, hashes in live.items():
        assert any(hash_token(w) in hashes for w in delivered_tokens), f"no {kind} link by SMTP"
    assert len(bodies) >= 2 * 9 and len(logged) >= 2 * 9  # 4 identity mails + 5 survey links


# ---------------------------------------------------------------- the probes' own checks


def test_the_leak_detector_sees_b_data_when_b_reads_it(world: World) -> None:
    """Positive control: B's own owner on B's pages sees B's values, so the probes above
    would notice the same values reaching an outsider."""
    from pmo_saas.identity import services as identity

    token = identity.start_session(user_id=world.b.user_id or 0)
    seen = []
    for page in surface.pages():
        if not page.workspace:
            continue
        url = surface.page_path(page, slug=world.b_slug, target=world.target, token="x")
        outcome = run(load_page(page, token=token, path=url))
        if world.leaks(outcome.text, echo=url, token=token):
            seen.append(page.route)
    assert len(seen) >= 20, f"the detector saw B's data on only {seen}"


def test_an_argument_the_generator_cannot_build_fails_by_name() -> None:
    from pmo_saas.identity.pages.members import TeamsState

    async def mystery_handler(self: object, mystery: str) -> None: ...

    class Unknown:
        fn = staticmethod(mystery_handler)

    handler = surface.Handler(TeamsState, "mystery", Unknown())  # type: ignore[arg-type]
    target = surface.Target(ids={}, user_id=1)
    with pytest.raises(surface.CannotSynthesise, match=r"mystery.*ARG_VALUES"):
        surface.synthesise(handler, target)
    with pytest.raises(surface.CannotSynthesise, match="ID_TABLES"):
        surface.table_for("gizmo_id", "portfolio")


def test_the_shared_page_shows_b_data_through_a_real_link(world: World) -> None:
    """Positive control for the cookie hand-over probe: a real link of B, handed over the same
    way, does show B's figures, so the forged-link check above would notice them."""
    from pmo_saas.dashboard import share

    with tenant_session(world.b) as session:
        created = share.create_share_link(session=session, ctx=world.b, label="Probe control")
    from tests.security.harness import dump_org

    world.b_dump = dump_org(world.b.org_id)
    cookie_name, page_route = COOKIE_HANDOVERS["/share/{token}"]
    page = next(p for p in surface.pages() if p.route == page_route)
    outcome = run(
        load_page(page, token="", path=page_route, cookies=f"{cookie_name}={created.token}")
    )
    _fail_with(f"{page_route} with a real link", outcome)
    assert not getattr(outcome.state, "error", ""), outcome.state
    assert world.leaks(outcome.text) != [], "B's figures were not seen through a real link"
