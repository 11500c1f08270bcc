"""Plain HTTP routes beside the Reflex app: the session cookie, health, and what domains add.

The session cookie (identity.cookies) is set and cleared only by HTTP responses, so it can be
HttpOnly: page scripts never see it; the Reflex backend reads it from the websocket's headers.
Domains that need HTTP routes (SSO callback, Stripe webhook, the REST API in rest/) expose a
list of Starlette routes named `routes` in `pmo_saas/<domain>/http.py`; they are mounted here.
"""

from __future__ import annotations

import importlib
import logging
from urllib.parse import quote

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, RedirectResponse, Response
from starlette.routing import BaseRoute, Route

from pmo_saas import ops, security_headers
from pmo_saas.identity import services as identity
from pmo_saas.identity.cookies import (
    SESSION_COOKIE,
    clear_session_cookie,
    frontend_url,
    signed_in_redirect,
)
from pmo_saas.kernel.errors import DomainError
from pmo_saas.models import DOMAINS

log = logging.getLogger("pmo_saas.api")


async def complete_sign_in(request: Request) -> Response:
    ticket = request.query_params.get("ticket", "")
    try:
        token, next_path = identity.redeem_signin_ticket(
            ticket=ticket,
            user_agent=request.headers.get("user-agent", ""),
            browser_binding=request.cookies.get(security_headers.BIND_COOKIE, ""),
        )
    except identity.TicketForAnotherBrowser as error:
        return RedirectResponse(frontend_url("/signin?error=" + quote(str(error))), status_code=303)
    except DomainError:
        return RedirectResponse(
            frontend_url("/signin?error=" + quote("That sign-in link has expired; sign in again.")),
            status_code=303,
        )
    return signed_in_redirect(token, next_path)


async def claim_sign_in(request: Request) -> Response:
    """The page claims a ticket issued while its websocket knew no binding (development's
    first visit: the frontend is on another port); same-origin fetch only."""
    origin = request.headers.get("origin", "")
    if origin.lower() not in security_headers.allowed_origins():
        return JSONResponse({"claimed": False}, status_code=403)
    form = await request.form()
    claimed = identity.claim_signin_ticket(
        ticket=str(form.get("ticket", "")),
        browser_binding=security_headers.request_binding(request),
    )
    return JSONResponse({"claimed": claimed}, status_code=200 if claimed else 409)


async def csrf_refusal(request: Request) -> Response | None:
    """None when a state-changing form POST passes the CSRF check, else the 403 to send.

    Same origin (Origin, else Referer, must be PMO_PUBLIC_URL's) and the browser's own token
    (an HMAC of its HttpOnly `pmo_bind` cookie, sent as a form field). Routes authenticated
    otherwise, without cookies (the Stripe webhook's signature, the REST API's bearer key),
    do not use it.
    """
    form = await request.form()
    ok = security_headers.csrf_ok(
        binding=request.cookies.get(security_headers.BIND_COOKIE, ""),
        token=str(form.get(security_headers.CSRF_FIELD, "")),
        origin=request.headers.get("origin", ""),
        referer=request.headers.get("referer", ""),
    )
    if ok:
        return None
    return Response(
        "Refused: this form did not come from this site (CSRF check). Go back and retry.",
        status_code=403,
        media_type="text/plain",
    )


async def sign_out(request: Request) -> Response:
    """POST only, with the CSRF check: a link or a foreign page cannot sign anyone out."""
    if request.method != "POST":  # answered here: the frontend mount would catch a GET
        return Response(
            "Sign out with the button (POST).", status_code=405, headers={"Allow": "POST"}
        )
    refusal = await csrf_refusal(request)
    if refusal is not None:
        return refusal
    token = request.cookies.get(SESSION_COOKIE, "")
    if token:
        identity.revoke_session(token=token)
    hooks = _signout_hooks()
    target = frontend_url("/")
    for hook in hooks:
        target = hook(request, target) or target
    response = RedirectResponse(target, status_code=303)
    clear_session_cookie(response)
    return response


# Every page loads this from the backend in its head (pmo_saas.pmo_saas): its response gives a
# new browser its `pmo_bind` cookie before the websocket connects (see security_headers), and
# it makes the browser's other tabs leave when one signs out (auth_state.sign_out_form).
SESSION_SCRIPT = """(() => {
  if (!("BroadcastChannel" in window)) return;
  const channel = new BroadcastChannel("pmo_session");
  channel.onmessage = (message) => {
    // A channel hears the other channels of its own tab too: the signing-out tab stays put.
    if (message.data === "signed-out" && !window.pmoSigningOut) window.location.assign("/signin");
  };
})();
"""


async def session_script(_request: Request) -> Response:
    return Response(
        SESSION_SCRIPT,
        media_type="text/javascript",
        headers={"Cache-Control": "no-store"},  # a browser without the cookie must reach us
    )


def _domain_http_modules() -> list[object]:
    modules: list[object] = []
    for domain in DOMAINS:
        try:
            modules.append(importlib.import_module(f"pmo_saas.{domain}.http"))
        except ModuleNotFoundError as error:
            if error.name != f"pmo_saas.{domain}.http":
                raise
    return modules


def _signout_hooks() -> list:
    return [m.on_sign_out for m in _domain_http_modules() if hasattr(m, "on_sign_out")]


def build_api() -> Starlette:
    routes: list[BaseRoute] = [
        Route("/auth/complete", complete_sign_in, methods=["GET"]),
        Route("/auth/claim", claim_sign_in, methods=["POST"]),
        Route("/auth/signout", sign_out, methods=["GET", "POST"]),
        *ops.http_routes,  # /healthz, /metrics
        Route("/auth/session.js", session_script, methods=["GET"]),
    ]
    for module in _domain_http_modules():
        routes.extend(getattr(module, "routes", []))
        ops.metrics.register_collectors(getattr(module, "collectors", []))
    return Starlette(routes=routes, middleware=ops.http_middleware)
