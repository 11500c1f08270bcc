"""HTTP routes of single sign-on: start at the organisation's IdP, come back, get a session;
or, signed in, link one's own account to the IdP identity (`/sso/link`).

All routes are plain redirects; every failure goes back to the sign-in page (or, when
linking, to the account page) with a message and no cookie. The blocking work (database, IdP
calls) runs off the event loop.
"""

from __future__ import annotations

import logging
from urllib.parse import quote

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from pmo_saas.db import run_sync
from pmo_saas.identity import cookies, sso, sso_link, sso_signin, sso_social
from pmo_saas.kernel.errors import DomainError
from pmo_saas.settings import get_settings

log = logging.getLogger("pmo_saas.identity.sso")


def _refused(message: str, path: str = "/signin") -> Response:
    return RedirectResponse(
        cookies.frontend_url(f"{path}?error=" + quote(message)), status_code=303
    )


def redirect_uri_for(request: Request) -> str:
    """The callback URL registered at the IdP: settings override, else this server's URL."""
    base = get_settings().sso_callback_base_url or str(request.base_url)
    return sso.callback_url(base)


async def sso_start(request: Request) -> Response:
    params = request.query_params
    email, org_slug = params.get("email", "").strip(), params.get("org", "").strip()
    if not email and not org_slug:
        return _refused("Enter your work email or your organisation's address to use SSO.")
    try:
        url = await run_sync(
            sso_signin.begin_sign_in,
            redirect_uri=redirect_uri_for(request),
            email=email,
            org_slug=org_slug,
            next_path=params.get("next", ""),
        )
    except DomainError as error:
        return _refused(str(error))
    return RedirectResponse(url, status_code=303)


async def social_start(request: Request) -> Response:
    """Operator-level Google / Microsoft sign-in for existing accounts."""
    try:
        url = await run_sync(
            sso_social.begin_social_sign_in,
            provider=request.path_params["provider"],
            redirect_uri=redirect_uri_for(request),
            next_path=request.query_params.get("next", ""),
        )
    except DomainError as error:
        return _refused(str(error))
    return RedirectResponse(url, status_code=303)


async def sso_link_start(request: Request) -> Response:
    """A signed-in member links their account to the organisation's IdP (see sso_link)."""
    org_slug = request.query_params.get("org", "").strip()
    if request.headers.get("sec-fetch-site", "") == "cross-site":
        # Only this app's own account page starts linking, never another site.
        return _refused(
            "Start linking from your account page.", sso_signin.link_page_path(org_slug)
        )
    try:
        url = await run_sync(
            sso_link.begin_link,
            session_token=request.cookies.get(cookies.SESSION_COOKIE, ""),
            org_slug=org_slug,
            redirect_uri=redirect_uri_for(request),
        )
    except DomainError as error:
        if org_slug and request.cookies.get(cookies.SESSION_COOKIE):
            return _refused(str(error), sso_signin.link_page_path(org_slug))
        return _refused(str(error))
    return RedirectResponse(url, status_code=303)


async def sso_callback(request: Request) -> Response:
    params = request.query_params
    try:
        result = await run_sync(
            sso_signin.finish_sign_in,
            state=params.get("state", ""),
            code=params.get("code", ""),
            error=params.get("error", ""),
            error_description=params.get("error_description", ""),
            user_agent=request.headers.get("user-agent", ""),
            session_token=request.cookies.get(cookies.SESSION_COOKIE, ""),
        )
    except DomainError as error:
        log.info("SSO sign-in refused: %s", error)
        return _refused(str(error), getattr(error, "back_to", "/signin"))
    if result.linked:
        return RedirectResponse(cookies.frontend_url(result.next_path), status_code=303)
    return cookies.signed_in_redirect(result.session_token, result.next_path)


def on_sign_out(request: Request, default_target: str) -> str | None:
    """After the local session is revoked: end the IdP session too, when it advertises how."""
    token = request.cookies.get(cookies.SESSION_COOKIE, "")
    if not token:
        return None
    try:
        return sso_social.end_session_url(
            session_token=token, post_logout_redirect_uri=default_target
        )
    except DomainError:
        return None


routes = [
    Route("/sso/start", sso_start, methods=["GET"], name="sso_start"),
    Route("/sso/social/{provider}", social_start, methods=["GET"], name="sso_social_start"),
    Route("/sso/link", sso_link_start, methods=["GET"], name="sso_link_start"),
    Route(sso.CALLBACK_PATH, sso_callback, methods=["GET"], name="sso_callback"),
]
