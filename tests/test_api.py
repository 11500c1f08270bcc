"""The plain HTTP routes: the session cookie is set and cleared only here, HttpOnly."""

from __future__ import annotations

from starlette.testclient import TestClient

from pmo_saas.api import build_api
from pmo_saas.identity import services as identity
from pmo_saas.identity.cookies import SESSION_COOKIE, session_token_from_cookie_header
from pmo_saas.security_headers import BIND_COOKIE, csrf_token
from pmo_saas.settings import get_settings


def _client() -> TestClient:
    return TestClient(build_api(), follow_redirects=False)


def test_ticket_sets_an_httponly_lax_cookie_once(org_a):
    ticket = identity.issue_signin_ticket(
        user_id=org_a.user_id, next_path="/o/org-a", browser_binding="browser-1"
    )
    client = _client()
    client.cookies.set(BIND_COOKIE, "browser-1")
    response = client.get("/auth/complete", params={"ticket": ticket})
    assert response.status_code == 303
    assert response.headers["location"].endswith("/o/org-a")
    cookie = response.headers["set-cookie"]
    assert cookie.startswith(f"{SESSION_COOKIE}=")
    assert "HttpOnly" in cookie and "SameSite=lax" in cookie and "Path=/" in cookie
    token = session_token_from_cookie_header(cookie.split(";")[0])
    assert identity.resolve_session(token=token).user_id == org_a.user_id
    again = client.get("/auth/complete", params={"ticket": ticket})
    assert again.status_code == 303
    assert "/signin?error=" in again.headers["location"]
    assert "set-cookie" not in again.headers


def test_sign_out_revokes_the_session_and_clears_the_cookie(org_a):
    token = identity.start_session(user_id=org_a.user_id)
    client = _client()
    client.cookies.set(SESSION_COOKIE, token)
    client.cookies.set(BIND_COOKIE, "browser-1")
    response = client.post(
        "/auth/signout",
        data={"csrf_token": csrf_token("browser-1")},
        headers={"origin": get_settings().public_url},
    )
    assert response.status_code == 303
    assert f'{SESSION_COOKIE}=""' in response.headers["set-cookie"]
    assert identity.resolve_session(token=token) is None


def test_malformed_cookie_headers_mean_signed_out():
    assert session_token_from_cookie_header('a="unterminated; pmo_session') == ""
    assert session_token_from_cookie_header("") == ""
    assert session_token_from_cookie_header("x=1; pmo_session=abc") == "abc"


def test_health():  # what it checks: tests/ops/test_health.py
    assert _client().get("/healthz").json()["status"] == "ok"
