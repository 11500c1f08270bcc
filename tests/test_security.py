"""The penetration test's holes, each reproduced and refused: headers and origins, CSRF on
sign-out, browser-bound sign-in tickets, the handshake's credentials kept out of the state,
sign-out resetting the tab (and the other tabs), and the REST API's hardening."""

from __future__ import annotations

import json

import pytest
import reflex as rx
from sqlmodel import select
from starlette.applications import Starlette
from starlette.routing import Mount, WebSocketRoute
from starlette.staticfiles import StaticFiles
from starlette.testclient import TestClient
from starlette.websockets import WebSocket, WebSocketDisconnect

from pmo_saas.api import build_api
from pmo_saas.db import system_session, tenant_session
from pmo_saas.identity import services as identity
from pmo_saas.identity.cookies import SESSION_COOKIE
from pmo_saas.identity.models import Membership
from pmo_saas.kernel.roles import Role
from pmo_saas.rest.models import ApiKey
from pmo_saas.security_headers import (
    BIND_COOKIE,
    HANDSHAKE_KEY,
    SecurityMiddleware,
    allowed_origins,
    csrf_token,
)
from pmo_saas.settings import PROJECT_ROOT, get_settings
from tests import factories
from tests.dashboard.helpers import make_portfolio
from tests.rest.helpers import bearer, make_key
from tests.state_harness import run, state_for

FOREIGN = "https://evil.example"
HEADERS = {
    "x-frame-options": "DENY",
    "x-content-type-options": "nosniff",
    "referrer-policy": "strict-origin-when-cross-origin",
}


def script_of(spec) -> str:  # type: ignore[no-untyped-def]
    """The JavaScript of an `rx.call_script` event spec."""
    for name, value in spec.args:
        if str(name) == "javascript_code":
            return str(value._var_value)
    raise AssertionError(f"not a call_script: {spec!r}")


async def _echo_socket(websocket: WebSocket) -> None:
    await websocket.accept()
    await websocket.send_json(
        {
            "headers": [k.decode() for k, _ in websocket.scope["headers"]],
            "handshake": websocket.scope.get(HANDSHAKE_KEY, {}),
        }
    )
    await websocket.close()


def whole_app() -> Starlette:
    """The backend's shape: HTTP routes, static files and a websocket under Reflex's own CORS
    wiring (our rxconfig's origins), inside the middleware, as `pmo_saas.pmo_saas.App` is."""
    api = build_api()
    api.router.routes.append(WebSocketRoute("/_event", _echo_socket))
    api.router.routes.append(Mount("/", StaticFiles(directory=PROJECT_ROOT / "assets")))
    top = Starlette()
    top.mount("", api)
    rx.App._add_cors(top)
    return SecurityMiddleware(top)  # type: ignore[return-value]


def _client(**kwargs) -> TestClient:  # type: ignore[no-untyped-def]
    return TestClient(whole_app(), follow_redirects=False, **kwargs)


def assert_security_headers(response, *, production: bool = False) -> None:  # type: ignore[no-untyped-def]
    for name, value in HEADERS.items():
        assert response.headers.get(name) == value, name
    csp = response.headers["content-security-policy"]
    assert "frame-ancestors 'none'" in csp and "object-src 'none'" in csp
    assert "default-src 'self'" in csp and "connect-src 'self'" in csp and "ws://" in csp
    assert ("strict-transport-security" in response.headers) is production


def test_every_kind_of_response_carries_the_security_headers(org_a):
    key = make_key(org_a)[1]
    client = _client()
    responses = {
        "health": client.get("/healthz"),
        "sign-in hand-over": client.get("/auth/complete", params={"ticket": "nope"}),
        "static asset": client.get("/styles.css"),
        "session script": client.get("/auth/session.js"),
        "api json": client.get("/api/v1/openapi.json"),
        "api ok": client.get("/api/v1/portfolios", headers=bearer(key)),
        "api error": client.get("/api/v1/portfolios"),
        "404": client.get("/no/such/page"),
        "405": client.get("/auth/signout"),
    }
    assert responses["api error"].status_code == 401
    assert responses["404"].status_code == 404
    assert responses["static asset"].status_code == 200
    for kind, response in responses.items():
        try:
            assert_security_headers(response)
        except AssertionError as error:
            raise AssertionError(f"{kind}: {error}") from None


def test_hsts_only_in_production(monkeypatch):
    monkeypatch.setattr(get_settings(), "environment", "production")
    assert_security_headers(_client().get("/healthz"), production=True)
    monkeypatch.setattr(get_settings(), "environment", "development")
    assert_security_headers(_client().get("/healthz"), production=False)


def test_the_first_response_binds_the_browser_with_an_httponly_lax_cookie():
    client = _client()
    first = client.get("/healthz")
    cookie = first.headers["set-cookie"]
    assert cookie.startswith(f"{BIND_COOKIE}=") and "HttpOnly" in cookie
    assert "SameSite=Lax" in cookie and "Path=/" in cookie
    assert "set-cookie" not in client.get("/healthz").headers  # kept: not set again


def test_cors_answers_only_the_public_origin():
    assert allowed_origins() == [get_settings().public_url.rstrip("/")]
    assert list(rx.config.get_config().cors_allowed_origins) == allowed_origins()
    client = _client()
    for method in ("GET", "OPTIONS"):
        foreign = client.request(
            method,
            "/healthz",
            headers={"origin": FOREIGN, "access-control-request-method": "GET"},
        )
        assert "access-control-allow-origin" not in foreign.headers
        assert "access-control-allow-credentials" not in foreign.headers
    own = client.get("/healthz", headers={"origin": allowed_origins()[0]})
    assert own.headers["access-control-allow-origin"] == allowed_origins()[0]


def test_a_websocket_from_a_foreign_origin_is_refused():
    with (
        pytest.raises(WebSocketDisconnect) as refused,
        _client().websocket_connect("/_event", headers={"origin": FOREIGN}),
    ):
        pass
    assert refused.value.code == 1008


def test_the_handshake_cookie_never_reaches_the_headers_reflex_keeps():
    client = _client()
    client.cookies.set(SESSION_COOKIE, "secret-session-token")
    with client.websocket_connect(
        "/_event",
        headers={"origin": allowed_origins()[0], "authorization": "Bearer pmo_secret"},
    ) as socket:
        seen = socket.receive_json()
    assert "cookie" not in seen["headers"] and "authorization" not in seen["headers"]
    assert "secret-session-token" in seen["handshake"]["cookie"]
    assert seen["handshake"]["authorization"] == "Bearer pmo_secret"


def test_the_session_script_binds_a_new_browser_before_its_websocket():
    """Development: the page comes from another port (Vite); the backend script in its head
    is the browser's first contact with the backend, and sets the cookie."""
    client = _client()
    script = client.get("/auth/session.js")
    assert script.headers["content-type"].startswith("text/javascript")
    assert "BroadcastChannel" in script.text and script.headers["cache-control"] == "no-store"
    value = script.headers["set-cookie"].split(";")[0].split("=", 1)[1]
    with client.websocket_connect("/_event", headers={"origin": allowed_origins()[0]}) as ws:
        seen = ws.receive_json()
    assert seen["handshake"]["cookie"] == f"{BIND_COOKIE}={value}"


# ---------------------------------------------------------------- sign-out: POST + CSRF


def _signed_in_client(org_a) -> tuple[TestClient, str]:  # type: ignore[no-untyped-def]
    token = identity.start_session(user_id=org_a.user_id)
    client = _client()
    client.cookies.set(SESSION_COOKIE, token)
    client.cookies.set(BIND_COOKIE, "browser-1")
    return client, token


def test_sign_out_over_get_is_refused(org_a):
    client, token = _signed_in_client(org_a)
    assert client.get("/auth/signout").status_code == 405
    assert identity.resolve_session(token=token) is not None


@pytest.mark.parametrize(
    ("origin", "field"),
    [
        ("", "valid"),  # no Origin nor Referer
        (FOREIGN, "valid"),  # a foreign page posting with a stolen token
        ("own", ""),  # own origin, no token
        ("own", "forged"),  # own origin, wrong token
    ],
)
def test_sign_out_without_the_csrf_check_is_refused(org_a, origin, field):
    client, token = _signed_in_client(org_a)
    headers = {"origin": allowed_origins()[0] if origin == "own" else origin} if origin else {}
    data = {"csrf_token": csrf_token("browser-1") if field == "valid" else field}
    response = client.post("/auth/signout", data=data, headers=headers)
    assert response.status_code == 403 and "CSRF" in response.text
    assert identity.resolve_session(token=token) is not None


def test_sign_out_with_the_csrf_check_revokes_the_session(org_a):
    client, token = _signed_in_client(org_a)
    response = client.post(
        "/auth/signout",
        data={"csrf_token": csrf_token("browser-1")},
        headers={"referer": allowed_origins()[0] + "/o/org-a"},
    )
    assert response.status_code == 303
    assert identity.resolve_session(token=token) is None


def test_the_stripe_webhook_and_the_rest_api_are_not_subject_to_csrf(org_a):
    client = _client()
    webhook = client.post("/stripe/webhook", content=b"{}", headers={"origin": FOREIGN})
    assert webhook.status_code == 400 and webhook.json() == {"error": "invalid signature"}
    key = make_key(org_a, "read_write")[1]
    portfolio_id = make_portfolio(org_a, initiatives=0)
    created = client.post(
        f"/api/v1/portfolios/{portfolio_id}/initiatives",
        json={"title": "From a tool"},
        headers={**bearer(key), "origin": FOREIGN},
    )
    assert created.status_code == 201


# ---------------------------------------------------------------- browser-bound tickets


def test_a_ticket_redeemed_in_another_browser_is_refused(org_a):
    ticket = identity.issue_signin_ticket(
        user_id=org_a.user_id, next_path="/o/org-a", browser_binding="asking-browser"
    )
    for other in ("another-browser", None):
        client = _client()
        if other:
            client.cookies.set(BIND_COOKIE, other)
        refused = client.get("/auth/complete", params={"ticket": ticket})
        assert refused.status_code == 303
        assert "belongs%20to%20another%20browser" in refused.headers["location"]
        assert SESSION_COOKIE not in refused.headers.get("set-cookie", "")
    client = _client()
    client.cookies.set(BIND_COOKIE, "asking-browser")
    accepted = client.get("/auth/complete", params={"ticket": ticket})
    assert accepted.headers["location"].endswith("/o/org-a")
    assert accepted.headers["set-cookie"].startswith(f"{SESSION_COOKIE}=")


def test_sign_in_binds_the_ticket_to_the_handshake_browser(org_a):
    from pmo_saas.identity.auth_state import AuthState, signed_in_navigation

    async def scenario() -> str:
        auth = await state_for(AuthState, token="", path="/signin", binding="tab-browser")
        spec = await signed_in_navigation(org_a.user_id, "/o/org-a", auth)
        return script_of(spec)

    script = run(scenario())
    ticket = script.split("ticket=")[1].split('"')[0]
    with pytest.raises(identity.TicketForAnotherBrowser):
        identity.redeem_signin_ticket(ticket=ticket, browser_binding="other")
    token, _ = identity.redeem_signin_ticket(ticket=ticket, browser_binding="tab-browser")
    assert identity.resolve_session(token=token) is not None


def test_a_ticket_issued_before_the_browser_was_bound_is_claimed_once(org_a):
    """Development's first visit: the websocket knew no binding; the tab claims the ticket."""
    from pmo_saas.identity.auth_state import AuthState, signed_in_navigation

    async def scenario() -> str:
        auth = await state_for(AuthState, token="", path="/signin", binding="")
        return script_of(await signed_in_navigation(org_a.user_id, "/o/org-a", auth))

    script = run(scenario())
    assert "/auth/claim" in script and "credentials: 'include'" in script
    ticket = script.split("encodeURIComponent(")[1].split('"')[1]
    own = {"origin": allowed_origins()[0]}
    unclaimed = _client()
    unclaimed.cookies.set(BIND_COOKIE, "b1")
    refused = unclaimed.get("/auth/complete", params={"ticket": ticket})
    assert "another%20browser" in refused.headers["location"]  # unclaimed: no one redeems it
    foreign = _client().post("/auth/claim", data={"ticket": ticket}, headers={"origin": FOREIGN})
    assert foreign.status_code == 403
    first = _client()  # no cookie yet: the claim's own response binds it
    claim = first.post("/auth/claim", data={"ticket": ticket}, headers=own)
    assert claim.status_code == 200 and claim.headers["set-cookie"].startswith(BIND_COOKIE)
    assert unclaimed.post("/auth/claim", data={"ticket": ticket}, headers=own).status_code == 409
    assert (
        "another%20browser"
        in unclaimed.get("/auth/complete", params={"ticket": ticket}).headers["location"]
    )
    accepted = first.get("/auth/complete", params={"ticket": ticket})
    assert accepted.headers["location"].endswith("/o/org-a")


# ---------------------------------------------------------------- the tab after sign-out


def test_sign_out_resets_every_state_of_the_tab_and_the_other_tabs(org_a):
    from pmo_saas.dashboard.pages.sharing import SharingState
    from pmo_saas.identity.auth_state import AuthState
    from pmo_saas.identity.pages.members import MembersState
    from pmo_saas.rest.pages import ApiKeysState

    factories.make_member(org_a, Role.COACH, name="Carla Coach")
    make_key(org_a, name="Power BI")
    token = identity.start_session(user_id=org_a.user_id)

    async def open_tab():  # type: ignore[no-untyped-def]
        auth = await state_for(AuthState, token=token, path="/o/org-a/members")
        await auth.load_workspace()
        members = await auth.get_state(MembersState)
        await members.load()
        keys = await auth.get_state(ApiKeysState)
        await keys.load()
        await keys.create({"name": "Tableau", "scope": "Read only"})
        sharing = await auth.get_state(SharingState)
        await sharing.load()
        return auth, members, keys, sharing

    def shown(tab) -> str:  # type: ignore[no-untyped-def]
        auth, members, keys, sharing = tab
        return json.dumps(
            [auth.user_email, auth.org_slug, members.dict(), keys.dict(), sharing.dict()],
            default=str,
        )

    async def scenario() -> tuple[str, str, str, str]:
        tab, other = await open_tab(), await open_tab()
        before = shown(tab)
        script = await tab[0].sign_out()
        assert identity.resolve_session(token=token) is None  # revoked by the handler itself
        other_keys = other[2]
        await other_keys.load()  # the other tab's next event finds no session
        return before, shown(tab), shown(other), script_of(script)

    before, after, other_after, script = run(scenario())
    assert "Carla Coach" in before and "Power BI" in before and org_a.org_slug in before
    for tab in (after, other_after):
        assert "Carla Coach" not in tab and "Power BI" not in tab and "Tableau" not in tab
        assert org_a.org_slug not in tab and "owner" not in tab
    assert "method = 'POST'" in script and "/auth/signout" in script
    assert csrf_token("test-binding") in script and "BroadcastChannel" in script


def test_a_new_api_key_is_revealed_by_an_event_never_kept_in_a_var(org_a):
    from pmo_saas.dashboard.pages.sharing import SharingState
    from pmo_saas.rest.pages import ApiKeysState

    token = identity.start_session(user_id=org_a.user_id)

    async def scenario():  # type: ignore[no-untyped-def]
        keys = await state_for(ApiKeysState, token=token, path="/o/org-a/dashboard/api-keys")
        spec = await keys.create({"name": "Tableau", "scope": "Read only"})
        sharing = await keys.get_state(SharingState)
        link_spec = await sharing.create({"label": "Board", "days": "7"})
        root = keys.parent_state
        while root.parent_state is not None:
            root = root.parent_state
        return script_of(spec), script_of(link_spec), root

    script, link_script, root = run(scenario())
    raw = script.split('textContent = "')[1].split('"')[0]
    assert raw.startswith("pmo_")
    share_token = link_script.split("/share/")[1].split('"')[0]
    with system_session() as session:
        assert session.exec(select(ApiKey).where(ApiKey.name == "Tableau")).one()
    persisted = repr([s.dict() for s in [root, *root.substates.values()]]) + repr(
        [s.__getstate__() for s in root.substates.values()]
    )
    assert raw not in persisted and share_token not in persisted
    assert token not in persisted


def test_a_share_link_hands_its_token_over_in_an_httponly_cookie_not_the_page_url():
    opened = _client().get("/share/some-share-token")
    assert opened.status_code == 303 and opened.headers["location"].endswith("/shared")
    cookie = opened.headers["set-cookie"]
    assert cookie.startswith("pmo_share=some-share-token;") and "HttpOnly" in cookie
    assert "SameSite=lax" in cookie
    assert_security_headers(opened)


# ---------------------------------------------------------------- REST API hardening


def _api() -> TestClient:
    return _client()


def test_a_removed_admins_key_stops_working(org_a):
    admin = factories.make_member(org_a, Role.ADMIN, name="Ada Admin")
    key_id, key = make_key(admin)
    assert _api().get("/api/v1/portfolios", headers=bearer(key)).status_code == 200
    with tenant_session(org_a) as session:
        membership = session.exec(
            select(Membership).where(Membership.user_id == admin.user_id)
        ).one()
        assert membership.id is not None
        identity.remove_member(session=session, ctx=org_a, membership_id=membership.id)
    refused = _api().get("/api/v1/portfolios", headers=bearer(key))
    assert refused.status_code == 401
    with system_session() as session:
        assert session.exec(select(ApiKey).where(ApiKey.id == key_id)).one().revoked_at
    factories.make_member(org_a, Role.ADMIN, email=_email_of(admin.user_id) + ".x")
    assert _api().get("/api/v1/portfolios", headers=bearer(key)).status_code == 401


def _email_of(user_id: int | None) -> str:
    from pmo_saas.identity.models import User

    with system_session() as session:
        return session.exec(select(User.email).where(User.id == user_id)).one()


def test_a_demoted_admins_key_stops_working_for_good(org_a):
    admin = factories.make_member(org_a, Role.ADMIN)
    key = make_key(admin)[1]
    with tenant_session(org_a) as session:
        membership = session.exec(
            select(Membership).where(Membership.user_id == admin.user_id)
        ).one()
        assert membership.id is not None
        identity.change_role(
            session=session, ctx=org_a, membership_id=membership.id, role=Role.COACH.value
        )
    assert _api().get("/api/v1/portfolios", headers=bearer(key)).status_code == 401
    with tenant_session(org_a) as session:
        identity.change_role(
            session=session, ctx=org_a, membership_id=membership.id, role=Role.ADMIN.value
        )
    assert _api().get("/api/v1/portfolios", headers=bearer(key)).status_code == 401


def test_20000_levels_of_nested_json_get_400(org_a):
    key = make_key(org_a, "read_write")[1]
    portfolio_id = make_portfolio(org_a, initiatives=0)
    for body in ("[" * 20000 + "]" * 20000, '{"title": ' + "[" * 20000 + "]" * 20000 + "}"):
        response = _api().post(
            f"/api/v1/portfolios/{portfolio_id}/initiatives",
            content=body.encode(),
            headers={**bearer(key), "content-type": "application/json"},
        )
        assert response.status_code == 400, response.text
        assert "nests deeper" in response.json()["message"]
    brackets_in_text = {"title": "[[[[" * 20 + "]" * 5}
    ok = _api().post(
        f"/api/v1/portfolios/{portfolio_id}/initiatives",
        json=brackets_in_text,
        headers=bearer(key),
    )
    assert ok.status_code == 201  # brackets inside strings are text, not nesting


@pytest.mark.parametrize("title", [123, 1.5, True, ["a"], {"a": 1}, None])
def test_a_non_string_title_gets_400_and_creates_nothing(org_a, title):
    key = make_key(org_a, "read_write")[1]
    portfolio_id = make_portfolio(org_a, initiatives=0)
    response = _api().post(
        f"/api/v1/portfolios/{portfolio_id}/initiatives",
        json={"title": title},
        headers=bearer(key),
    )
    assert response.status_code == 400
    assert response.json()["message"].startswith("title must be a string, not ")
    listed = _api().get(f"/api/v1/portfolios/{portfolio_id}/initiatives", headers=bearer(key))
    assert listed.json() == []


# ---------------------------------------------------------------- uploads served elsewhere


def test_an_upload_served_by_a_process_without_the_tabs_socket_is_signed_in_by_its_cookie(
    org_a,
):
    """A file upload is an HTTP POST whose event runs in the process that received it; with
    several workers (or after a reconnect) that process has no socket for the tab's sid. The
    upload's own Cookie header signs it in, only while that request is served, and only for
    the tab whose client token it carries."""
    from reflex.istate.data import RouterData
    from reflex.state import State as Root

    from pmo_saas.identity.auth_state import AuthState

    token = identity.start_session(user_id=org_a.user_id)
    seen: dict[str, object] = {}

    async def tab_state(client_token: str) -> AuthState:
        root = Root(_reflex_internal_init=True)
        root.router = RouterData.from_router_data(
            {"sid": "socket-on-another-worker", "token": client_token, "pathname": "/o/org-a"}
        )
        return await root.get_state(AuthState)

    async def inner(scope, receive, send):  # type: ignore[no-untyped-def]
        own, other = await tab_state("tab-token"), await tab_state("another-tab")
        seen["own"] = await own.current_user()
        seen["other"] = await other.current_user()
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": b"{}"})

    client = TestClient(SecurityMiddleware(inner))
    client.cookies.set(SESSION_COOKIE, token)
    client.post("/_upload", headers={"reflex-client-token": "tab-token"}, content=b"x")
    own_user = seen["own"]
    assert own_user is not None and own_user.user_id == org_a.user_id  # type: ignore[attr-defined]
    assert seen["other"] is None  # another tab's events never borrow this upload's cookie

    async def after() -> object:
        return await (await tab_state("tab-token")).current_user()

    assert run(after()) is None  # nothing is kept once the upload has been served


def test_an_event_recorded_under_a_closed_socket_finds_the_tabs_reconnected_socket(org_a):
    """An event chained before the tab's socket reconnected still names the old sid; the
    session is then read from the tab's live socket in this process, never from another
    tab's, and a tab with no live socket here is not signed in."""
    from reflex.istate.data import RouterData
    from reflex.state import State as Root

    import pmo_saas.pmo_saas
    from pmo_saas.identity.auth_state import AuthState
    from tests.state_harness import connect_socket

    token = identity.start_session(user_id=org_a.user_id)
    namespace = pmo_saas.pmo_saas.app.event_namespace
    assert namespace is not None

    async def scenario() -> tuple[object, object]:
        live = await connect_socket(f"pmo_session={token}; pmo_bind=test-binding")
        await namespace._token_manager.link_token_to_sid("reconnected-tab", live)

        async def user_of(client_token: str) -> object:
            root = Root(_reflex_internal_init=True)
            root.router = RouterData.from_router_data(
                {"sid": "closed-socket", "token": client_token, "pathname": "/o/org-a"}
            )
            return await (await root.get_state(AuthState)).current_user()

        return await user_of("reconnected-tab"), await user_of("a-tab-with-no-socket-here")

    reconnected, elsewhere = run(scenario())
    assert reconnected is not None and reconnected.user_id == org_a.user_id  # type: ignore[attr-defined]
    assert elsewhere is None
