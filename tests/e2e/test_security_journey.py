"""The penetration test's holes against the production build, in a real browser.

Security headers on every kind of response, CORS and the websocket refusing a foreign
Origin, a sign-in ticket refused in a second browser, no secret anywhere in the state store
(disk pickles, or Redis on a PostgreSQL + Redis run), and sign-out emptying the tab and the
browser's other tabs.
"""

from __future__ import annotations

import os
import re
import socket
import time
from pathlib import Path
from urllib.parse import urlsplit

import httpx
from playwright.sync_api import Browser, Page, Route, WebSocket, expect

from pmo_saas.settings import PROJECT_ROOT
from tests.peers import smtp

PASSWORD = "a-long-secret-pass-42"
FOREIGN = "https://evil.example"
OWNER_EMAIL = "sec@journey.example"
VERIFY_SUBJECT = "Verify your email for pmo_saas"


def _sign_up(page: Page, base_url: str) -> str:
    """Sign up, open the verification link from the mail, sign in: on the workspace home."""
    already = len(smtp.wait_for(0, subject=VERIFY_SUBJECT))  # from earlier tests
    page.goto(f"{base_url}/signup")
    page.get_by_label("Organisation name").fill("Secure Org")
    page.get_by_label("Your name").fill("Sec Owner")
    page.get_by_label("Email").fill(OWNER_EMAIL)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Create organisation").click()
    # Sign-up signs nobody in: it mails a verification link (loopback SMTP peer), and the
    # verified owner then signs in with the password.
    expect(page.get_by_role("status")).to_contain_text("Check your inbox")
    mails = smtp.wait_for(already + 1, subject=VERIFY_SUBJECT)
    assert len(mails) == already + 1 and mails[-1]["To"] == OWNER_EMAIL
    link = re.search(r"https?://\S+/verify/\S+", smtp.body(mails[-1]))
    assert link is not None
    page.goto(link.group(0))
    expect(page.get_by_role("status")).to_contain_text("Your email address is verified")
    page.get_by_role("link", name="Continue to your workspace").click()
    page.wait_for_url(re.compile(r"^[^?]*/signin.*"))
    page.get_by_label("Email").fill(OWNER_EMAIL)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(re.compile(r"^[^?]*/o/secure-org/?$"))
    # The home has rendered (hydrated): a navigation of the sign-in hand-over still under way
    # would otherwise interrupt the caller's next page.goto.
    expect(page.get_by_role("heading", name="Home", exact=True)).to_be_visible()
    return "secure-org"


def _assert_headers(response: httpx.Response, what: str) -> None:
    h = response.headers
    assert h.get("x-frame-options") == "DENY", what
    assert h.get("x-content-type-options") == "nosniff", what
    assert h.get("referrer-policy") == "strict-origin-when-cross-origin", what
    assert "frame-ancestors 'none'" in h.get("content-security-policy", ""), what
    assert "strict-transport-security" not in h, what  # production environment only


def test_every_kind_of_response_carries_the_security_headers(app_url: str):
    with httpx.Client(base_url=app_url, follow_redirects=False, timeout=30) as client:
        page = client.get("/signin/")
        assert page.status_code == 200 and "<html" in page.text.lower()
        script = re.search(r'href="(/assets/[^"]+\.js)"', page.text)
        assert script, "the page loads a script asset"
        responses = {
            "page": page,
            "static asset": client.get(script.group(1)),
            "asset file": client.get("/styles.css"),
            "session script": client.get("/auth/session.js"),
            "api json": client.get("/api/v1/openapi.json"),
            "api error": client.get("/api/v1/portfolios"),
            "404": client.get("/no/such/page/here"),
            "healthz": client.get("/healthz"),
            "auth complete": client.get("/auth/complete", params={"ticket": "x"}),
            "sign-out GET": client.get("/auth/signout"),
        }
    assert responses["static asset"].status_code == 200
    assert responses["api error"].status_code == 401
    assert responses["404"].status_code == 404
    assert responses["auth complete"].status_code == 303
    assert responses["sign-out GET"].status_code == 405
    for what, response in responses.items():
        _assert_headers(response, what)


def test_cors_and_the_websocket_refuse_a_foreign_origin(app_url: str):
    with httpx.Client(base_url=app_url, timeout=30) as client:
        for response in (
            client.get("/healthz", headers={"origin": FOREIGN}),
            client.get("/api/v1/openapi.json", headers={"origin": FOREIGN}),
            client.options(
                "/api/v1/portfolios",
                headers={"origin": FOREIGN, "access-control-request-method": "GET"},
            ),
        ):
            assert "access-control-allow-origin" not in response.headers
            assert "access-control-allow-credentials" not in response.headers
        own = client.get("/healthz", headers={"origin": app_url})
        assert own.headers["access-control-allow-origin"] == app_url
    assert _websocket_handshake_status(app_url, origin=FOREIGN) != 101
    assert _websocket_handshake_status(app_url, origin=app_url) == 101  # the control


def _websocket_handshake_status(app_url: str, *, origin: str) -> int:
    parts = urlsplit(app_url)
    request = (
        "GET /_event/?EIO=4&transport=websocket&token=probe HTTP/1.1\r\n"
        f"Host: {parts.netloc}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
        "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n"
        f"Origin: {origin}\r\n\r\n"
    )
    with socket.create_connection((parts.hostname, parts.port), timeout=10) as sock:
        sock.sendall(request.encode())
        status_line = sock.recv(4096).split(b"\r\n", 1)[0].decode()
    return int(status_line.split()[1])


def test_a_sign_in_ticket_is_refused_in_another_browser(
    page: Page, browser: Browser, base_url: str
):
    slug = _sign_up(page, base_url)
    page.get_by_role("button", name="User menu").click()
    page.get_by_role("menuitem", name="Sign out").click()
    page.wait_for_url(re.compile(r"^[^?]*/$"))

    captured: list[str] = []

    def hold(route: Route) -> None:
        captured.append(route.request.url)
        route.abort()

    page.route("**/auth/complete*", hold)
    page.goto(f"{base_url}/signin")
    page.get_by_label("Email").fill(OWNER_EMAIL)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    deadline = time.monotonic() + 15
    while not captured and time.monotonic() < deadline:
        page.wait_for_timeout(100)
    assert captured and "ticket=" in captured[0]

    other_context = browser.new_context()
    other = other_context.new_page()
    other.goto(captured[0])
    other.wait_for_url(re.compile(r"^[^?]*/signin.*"))
    expect(other.get_by_role("alert")).to_contain_text("belongs to another browser")
    assert "pmo_session" not in {c["name"] for c in other_context.cookies()}
    other_context.close()

    # The sign-in page is left first, while its redirect is still held: still open, its own
    # scripts may move it on while the ticket's redirect is under way (Playwright reports a
    # navigation cut short), or take the redirect again once it is let through, spending the
    # ticket before this browser presents it ("expired", seen once in a fresh-clone run).
    page.goto("about:blank")
    page.unroute("**/auth/complete*")
    page.goto(captured[0])  # the browser that asked for it: signed in
    page.wait_for_url(re.compile(rf"^[^?]*/o/{slug}/?$"))
    assert "pmo_session" in {c["name"] for c in page.context.cookies()}


def _state_store_dump() -> bytes:
    """Every byte the state store holds: the disk pickles, or every Redis key's value."""
    redis_url = os.environ.get("PMO_TEST_REDIS_URL")
    if redis_url:
        import redis

        client = redis.Redis.from_url(redis_url)
        chunks: list[bytes] = []
        for key in client.scan_iter(count=1000):
            kind = client.type(key).decode()
            if kind == "string":
                chunks.append(client.get(key) or b"")
            elif kind == "hash":
                chunks.extend(k + b"=" + v for k, v in client.hgetall(key).items())
            elif kind == "list":
                chunks.extend(client.lrange(key, 0, -1))
            elif kind == "set":
                chunks.extend(client.smembers(key))
            elif kind == "zset":
                chunks.extend(client.zrange(key, 0, -1))
            elif kind == "stream":
                for _, fields in client.xrange(key):
                    chunks.extend(k + b"=" + v for k, v in fields.items())
        return b"\n".join(chunks)
    states = Path(PROJECT_ROOT) / (".states-test" + os.environ.get("PMO_E2E_SUFFIX", ""))
    return b"\n".join(p.read_bytes() for p in states.rglob("*") if p.is_file())


def test_the_state_store_holds_no_session_token_api_key_or_share_token(
    page: Page, browser: Browser, base_url: str
):
    slug = _sign_up(page, base_url)
    dashboard = f"{base_url}/o/{slug}/dashboard"
    page.goto(f"{dashboard}/api-keys")
    page.get_by_label("Key name").fill("Store Probe Key")
    page.get_by_role("button", name="Create key").click()
    expect(page.get_by_label("New API key")).to_contain_text("pmo_")
    raw_key = page.get_by_label("New API key").inner_text()
    page.goto(f"{dashboard}/sharing")
    page.get_by_label("Who is it for").fill("Store Probe Link")
    page.get_by_role("button", name="Create link").click()
    expect(page.get_by_label("New share link")).to_contain_text("/share/")
    share_url = page.get_by_label("New share link").inner_text()
    share_token = share_url.rsplit("/share/", 1)[1]
    # Someone without an account opens it: the dashboard, and the token in no page URL.
    guest_context = browser.new_context()
    guest = guest_context.new_page()
    guest.goto(f"{base_url}/share/{share_token}")
    guest.wait_for_url(re.compile(r"^[^?]*/shared/?$"))
    expect(guest.get_by_role("region", name="Portfolio")).to_be_visible()
    guest_context.close()
    page.goto(f"{base_url}/o/{slug}/members")
    expect(page.get_by_role("region", name="Members")).to_contain_text(OWNER_EMAIL)
    cookies = {c["name"]: c["value"] for c in page.context.cookies()}
    secrets = {
        "session token": cookies["pmo_session"],
        "browser binding": cookies["pmo_bind"],
        "raw API key": raw_key,
        "share token": share_token,
    }
    assert len(raw_key) > 40 and len(share_token) > 30

    deadline = time.monotonic() + 30
    dump = b""
    while time.monotonic() < deadline:  # the store writes after a short debounce
        dump = _state_store_dump()
        if b"Store Probe Link" in dump and OWNER_EMAIL.encode() in dump:
            break
        time.sleep(0.5)
    # The control: the dump is readable and holds this tab's (non-secret) data.
    assert b"Store Probe Key" in dump and b"Store Probe Link" in dump
    assert OWNER_EMAIL.encode() in dump
    for what, secret in secrets.items():
        assert secret.encode() not in dump, f"the state store holds the {what}"


class FrameRecorder:
    def __init__(self, page: Page) -> None:
        self.frames: list[str] = []
        page.on("websocket", self._attach)

    def _attach(self, ws: WebSocket) -> None:
        ws.on("framereceived", lambda payload: self.frames.append(str(payload)))


def test_sign_out_empties_this_tab_and_the_other_tabs(page: Page, base_url: str):
    slug = _sign_up(page, base_url)
    page.goto(f"{base_url}/o/{slug}/dashboard/api-keys")
    page.get_by_label("Key name").fill("Tab Probe Key")
    page.get_by_role("button", name="Create key").click()
    expect(page.get_by_role("region", name="API keys")).to_contain_text("Tab Probe Key")
    other = page.context.new_page()
    other.goto(f"{base_url}/o/{slug}/members")
    expect(other.get_by_role("region", name="Members")).to_contain_text(OWNER_EMAIL)
    other.bring_to_front()
    page.bring_to_front()

    recorder = FrameRecorder(page)
    page.get_by_role("button", name="User menu").click()
    page.get_by_role("menuitem", name="Sign out").click()
    page.wait_for_url(re.compile(r"^[^?]*/$"))
    # The other tab was told: it left for the sign-in page, its members list gone.
    other.wait_for_url(re.compile(r"^[^?]*/signin.*"), timeout=15000)
    expect(other.get_by_role("region", name="Members")).to_have_count(0)

    # This tab's next hydrate (same tab token, same state) carries none of its data.
    page.goto(f"{base_url}/signin")
    expect(page.get_by_role("button", name="Sign in")).to_be_visible()
    page.wait_for_timeout(1000)
    after = "\n".join(recorder.frames)
    assert "is_hydrated" in after or len(after) > 200  # the recorder saw the hydrate
    for leftover in ("Tab Probe Key", OWNER_EMAIL, "Secure Org", slug):
        assert leftover not in after, leftover
    page.goto(f"{base_url}/o/{slug}/dashboard/api-keys")
    page.wait_for_url(re.compile(r"^[^?]*/signin.*"))
