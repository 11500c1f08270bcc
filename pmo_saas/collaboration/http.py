"""Collaboration's HTTP route: the unsubscribe link of notification mail, signed out.

GET shows a one-button form (a mail scanner that opens links changes nothing); its POST,
carrying the same sealed token, switches the mail off. The token is the only credential: it
is sealed by the server (mailing.unsubscribe_token), so it cannot be made up or altered.
"""

from __future__ import annotations

from html import escape

from starlette.requests import Request
from starlette.responses import HTMLResponse, Response
from starlette.routing import Route

from pmo_saas.collaboration.services import mailing
from pmo_saas.db import run_sync
from pmo_saas.kernel.errors import DomainError

_PAGE = """<!doctype html><html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Notification mail</title></head>
<body style="font-family: system-ui, sans-serif; max-width: 36em; margin: 3em auto;">
<main><h1>Notification mail</h1>{content}</main></body></html>"""


def _page(content: str, status: int = 200) -> Response:
    response = HTMLResponse(_PAGE.format(content=content), status_code=status)
    response.headers["Cache-Control"] = "no-store"
    response.headers["Referrer-Policy"] = "no-referrer"
    return response


async def unsubscribe(request: Request) -> Response:
    token = str(request.path_params.get("token", ""))[:400]
    try:
        mailing.read_unsubscribe_token(token)
    except DomainError as error:
        return _page(f"<p role='alert'>{escape(str(error))}</p>", status=400)
    if request.method == "GET":
        return _page(
            "<p>Stop these notification mails? In-app notifications stay.</p>"
            f"<form method='post' action='{escape(mailing.UNSUBSCRIBE_PATH)}/{escape(token)}'>"
            "<button type='submit'>Unsubscribe</button></form>"
        )
    try:
        message = await run_sync(mailing.unsubscribe, token=token)
    except DomainError as error:
        return _page(f"<p role='alert'>{escape(str(error))}</p>", status=400)
    return _page(f"<p role='status'>{escape(message)}</p>")


routes: list[Route] = [
    Route(
        mailing.UNSUBSCRIBE_PATH + "/{token}",
        unsubscribe,
        methods=["GET", "POST"],
        name="unsubscribe_notifications",
    ),
]
