"""The session cookie: its name, reading it from a Cookie header, setting and clearing it on an
HTTP response, and the redirect every way of signing in ends with.

The cookie is set and cleared only by HTTP responses (pmo_saas.api, identity.http), so it can be
HttpOnly: page scripts never see it; the Reflex backend reads it from the websocket's request
headers (auth_state). One home for both sides, so neither imports the other.
"""

from __future__ import annotations

from starlette.responses import RedirectResponse, Response

from pmo_saas.identity import services as identity
from pmo_saas.security_headers import cookie_value
from pmo_saas.settings import get_settings

SESSION_COOKIE = "pmo_session"


def session_token_from_cookie_header(cookie_header: str) -> str:
    """The session token in a Cookie header ("" when absent or the header is malformed)."""
    return cookie_value(cookie_header, SESSION_COOKIE)


def frontend_url(path: str) -> str:
    """Where the browser goes after an HTTP route (the frontend may be on another port)."""
    base = get_settings().public_url.rstrip("/")
    return f"{base}{identity.safe_next_path(path)}"


def set_session_cookie(response: Response, token: str) -> None:
    settings = get_settings()
    response.set_cookie(
        SESSION_COOKIE,
        token,
        max_age=settings.session_days * 86400,
        path="/",
        httponly=True,
        samesite="lax",
        secure=settings.cookie_secure,
    )


def clear_session_cookie(response: Response) -> None:
    settings = get_settings()
    response.delete_cookie(
        SESSION_COOKIE, path="/", httponly=True, samesite="lax", secure=settings.cookie_secure
    )


def signed_in_redirect(token: str, next_path: str) -> Response:
    """Used by every way of signing in (password, invitation, SSO): cookie + redirect."""
    response = RedirectResponse(frontend_url(next_path), status_code=303)
    set_session_cookie(response, token)
    return response
