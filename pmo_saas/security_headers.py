"""One ASGI middleware around the whole backend: security headers, the browser binding, and
the websocket handshake's credentials kept out of Reflex's state.

- **Headers.** Every HTTP response (pages, static assets, HTTP routes, the REST API, errors,
  404s) gets the Content-Security-Policy (`frame-ancestors 'none'`), `X-Frame-Options: DENY`,
  `X-Content-Type-Options: nosniff`, `Referrer-Policy` and, in production only, HSTS. Five
  constant headers do not need a library (the `secure` package would add a dependency for
  a dict of strings); this middleware exists anyway for the two jobs below.
- **Browser binding.** A random `pmo_bind` cookie (HttpOnly, SameSite=Lax) is set on any
  HTTP response to a browser that has none. Every page loads `/auth/session.js` from the
  backend in its head (a blocking script, before the websocket connects), so the cookie
  exists before the handshake also when the development frontend is served from another
  port (cookies are per host, not per port; granian drops headers on `websocket.accept`).
  Sign-in tickets are bound to it, and it keys the CSRF token of state-changing forms.
- **Handshake credentials.** On a websocket handshake the `Cookie` and `Authorization`
  headers are moved out of the ASGI scope's header list into `scope[HANDSHAKE_KEY]`. Reflex
  copies the scope's headers into `router_data` / `router.headers`, which the state store
  (disk pickles, Redis) persists; with them gone, no session token reaches the store. The
  values stay in the socket's environ, in this process only, for as long as the socket is
  open (see `pmo_saas.identity.auth_state.handshake_cookie_header`).
- **Upload credentials.** A file upload is an HTTP POST to `/_upload` whose event Reflex runs
  in the process that received the POST, which need not hold the tab's websocket (several
  workers) or may hold it under a newer sid (a reconnect). While such a request is served,
  its `Cookie` header is kept here, keyed by the tab's client token (a per-tab secret the
  request carries), and `auth_state` falls back to it (`upload_cookie_header`).
"""

from __future__ import annotations

import functools
import hashlib
import hmac
import secrets
from http.cookies import SimpleCookie
from typing import Any
from urllib.parse import urlsplit

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from pmo_saas.settings import get_settings

BIND_COOKIE = "pmo_bind"
HANDSHAKE_KEY = "pmo_saas.handshake"
CSRF_FIELD = "csrf_token"
_SCRUBBED = (b"cookie", b"authorization")
_UPLOAD_SUFFIX = "/_upload"
# client token -> the Cookie headers of its uploads being served now (this process only).
_upload_cookies: dict[str, list[str]] = {}
_BIND_MAX_AGE = 400 * 86400  # the longest lifetime browsers accept


def origin_of(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}".lower()


def public_origin() -> str:
    return origin_of(get_settings().public_url)


def allowed_origins() -> list[str]:
    """Origins trusted for CORS, the websocket and CSRF checks: the public URL's only."""
    return [public_origin()]


def _websocket_origin(url: str) -> str:
    parts = urlsplit(url)
    scheme = "wss" if parts.scheme == "https" else "ws"
    return f"{scheme}://{parts.netloc}"


def content_security_policy() -> str:
    """What Reflex's built frontend needs, and nothing more than it must.

    Reflex's pages carry inline bootstrap scripts and its event loop runs `rx.call_script`
    through `eval`, so scripts need 'unsafe-inline' and 'unsafe-eval'; Radix and Emotion
    inject inline styles; charts and icons use data: images. The websocket goes to the
    backend (another port in development).
    """
    import reflex as rx  # the config knows the backend URL; imported late (rxconfig imports us)

    backend = rx.config.get_config().api_url or get_settings().public_url
    connect = sorted(
        {
            "'self'",
            origin_of(backend),
            _websocket_origin(backend),
            _websocket_origin(get_settings().public_url),
        }
    )
    return "; ".join(
        [
            "default-src 'self'",
            f"script-src 'self' {origin_of(backend)} 'unsafe-inline' 'unsafe-eval'",
            "style-src 'self' 'unsafe-inline'",
            "img-src 'self' data: blob:",
            "font-src 'self' data:",
            "connect-src " + " ".join(connect),
            "object-src 'none'",
            "base-uri 'self'",
            # No form-action: sign-out's form may be redirected on to the IdP's end_session.
            "frame-ancestors 'none'",
        ]
    )


def security_headers() -> list[tuple[bytes, bytes]]:
    headers = [
        (b"content-security-policy", content_security_policy().encode()),
        (b"x-frame-options", b"DENY"),
        (b"x-content-type-options", b"nosniff"),
        (b"referrer-policy", b"strict-origin-when-cross-origin"),
    ]
    if get_settings().environment == "production":
        headers.append((b"strict-transport-security", b"max-age=63072000; includeSubDomains"))
    return headers


@functools.lru_cache(maxsize=1024)  # every event reads its socket's one header again
def cookie_value(cookie_header: str, name: str) -> str:
    jar: SimpleCookie = SimpleCookie()
    try:
        jar.load(cookie_header or "")
    except Exception:  # a malformed header from a client: no such cookie
        return ""
    morsel = jar.get(name)
    return morsel.value if morsel else ""


def bind_cookie_header(value: str) -> bytes:
    secure = "; Secure" if get_settings().cookie_secure else ""
    return (
        f"{BIND_COOKIE}={value}; Max-Age={_BIND_MAX_AGE}; Path=/; HttpOnly; SameSite=Lax{secure}"
    ).encode()


def request_binding(request: Any) -> str:
    """A request's binding: its cookie, or the one the middleware sets on this response."""
    return str(
        request.cookies.get(BIND_COOKIE, "") or getattr(request.state, "new_binding", "") or ""
    )


def csrf_token(binding: str) -> str:
    """The CSRF token of a browser: an HMAC of its binding cookie (nothing stored)."""
    if not binding:
        return ""
    key = get_settings().secret_key.encode()
    return hmac.new(key, ("csrf|" + binding).encode(), hashlib.sha256).hexdigest()


def csrf_ok(*, binding: str, token: str, origin: str, referer: str) -> bool:
    """A state-changing form: sent from our own origin, with the browser's own token."""
    source = origin or (origin_of(referer) if referer else "")
    if not source or source.lower() not in allowed_origins():
        return False
    expected = csrf_token(binding)
    return bool(expected) and hmac.compare_digest(expected, token or "")


def upload_cookie_header(client_token: str) -> str:
    """The Cookie header of an upload request of tab `client_token` being served now."""
    served = _upload_cookies.get(client_token) if client_token else None
    return served[-1] if served else ""


def _header(scope: Scope, name: bytes) -> str:
    for key, value in scope.get("headers", []):
        if key.lower() == name:
            return str(value.decode("latin-1"))
    return ""


class SecurityMiddleware:
    """Wraps the whole backend (`pmo_saas.pmo_saas.App`): see the module docstring."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            await self._http(scope, receive, send)
        elif scope["type"] == "websocket":
            await self._websocket(scope, receive, send)
        else:
            await self.app(scope, receive, send)

    async def _http(self, scope: Scope, receive: Receive, send: Send) -> None:
        has_binding = bool(cookie_value(_header(scope, b"cookie"), BIND_COOKIE))
        new_binding = "" if has_binding else secrets.token_urlsafe(32)
        if new_binding:  # routes see the value this response sets (request.state.new_binding)
            scope.setdefault("state", {})["new_binding"] = new_binding
        extra = security_headers()

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                present = {k.lower() for k, _ in headers}
                if b"access-control-allow-origin" not in present:  # a refused origin: no CORS
                    headers = [
                        (k, v)
                        for k, v in headers
                        if k.lower() != b"access-control-allow-credentials"
                    ]
                headers.extend((k, v) for k, v in extra if k not in present)
                if new_binding:
                    headers.append((b"set-cookie", bind_cookie_header(new_binding)))
                message = {**message, "headers": headers}
            await send(message)

        upload_token = _header(scope, b"reflex-client-token")
        if not (
            upload_token
            and scope.get("method") == "POST"
            and str(scope.get("path", "")).endswith(_UPLOAD_SUFFIX)
        ):
            await self.app(scope, receive, send_with_headers)
            return
        served = _upload_cookies.setdefault(upload_token, [])
        served.append(_header(scope, b"cookie"))
        try:
            await self.app(scope, receive, send_with_headers)
        finally:
            served.pop()
            if not served:
                _upload_cookies.pop(upload_token, None)

    async def _websocket(self, scope: Scope, receive: Receive, send: Send) -> None:
        origin = _header(scope, b"origin")
        if origin and origin.lower() not in allowed_origins():
            await send({"type": "websocket.close", "code": 1008})  # before accept: HTTP 403
            return
        credentials: dict[str, Any] = {}
        kept = []
        for key, value in scope.get("headers", []):
            if key.lower() in _SCRUBBED:
                credentials[key.lower().decode()] = value.decode("latin-1")
            else:
                kept.append((key, value))
        inner = {**scope, "headers": kept, HANDSHAKE_KEY: credentials}
        await self.app(inner, receive, send)
