"""The dashboard's HTTP route: `/share/<token>` opens a share link (the REST API is
pmo_saas.rest)."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from pmo_saas.identity.cookies import frontend_url
from pmo_saas.settings import get_settings

SHARE_COOKIE = "pmo_share"
SHARED_PAGE = "/shared"


async def open_share_link(request: Request) -> Response:
    """`/share/<token>`: the token goes into an HttpOnly cookie and the browser on to the
    page without it, so the token is in no page URL (Reflex's router data, which the state
    store persists, nor history or Referer); the page reads it from the websocket handshake.
    """
    token = str(request.path_params.get("token", ""))[:100]
    response = RedirectResponse(frontend_url(SHARED_PAGE), status_code=303)
    response.set_cookie(
        SHARE_COOKIE,
        token,
        max_age=86400,
        path="/",
        httponly=True,
        samesite="lax",
        secure=get_settings().cookie_secure,
    )
    response.headers["Cache-Control"] = "no-store"
    return response


routes: list[Route] = [
    Route("/share/{token}", open_share_link, methods=["GET"], name="open_share_link"),
]
