"""The Stripe webhook: a plain HTTP POST, outside the Reflex app (Stripe cannot speak websocket)."""

from __future__ import annotations

import logging

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from pmo_saas.billing import gateway
from pmo_saas.billing.webhooks import process_webhook
from pmo_saas.db import run_sync

log = logging.getLogger("pmo_saas.billing.http")

WEBHOOK_PATH = "/stripe/webhook"
MAX_BODY_BYTES = 512 * 1024


async def stripe_webhook(request: Request) -> Response:
    payload = await request.body()
    if len(payload) > MAX_BODY_BYTES:
        return JSONResponse({"error": "payload too large"}, status_code=413)
    signature = request.headers.get("stripe-signature", "")
    try:
        outcome = await run_sync(process_webhook, payload, signature)
    except gateway.InvalidSignature as error:
        log.warning("stripe webhook refused: %s", error)
        return JSONResponse({"error": "invalid signature"}, status_code=400)
    return JSONResponse({"received": True, "outcome": outcome})


routes = [Route(WEBHOOK_PATH, stripe_webhook, methods=["POST"])]
