"""A local Stripe-compatible server for tests: localstripe 1.15.10 plus what it lacks.

    python -m tests.billing.peers.stripe_peer --port 8420

Adds, test-only: Prices (stored as localstripe Plans, so subscriptions can use them),
Checkout Sessions with a hosted page whose "Pay" creates a trialing subscription and redirects
to success_url, Billing Portal sessions with a hosted page, customer.subscription.updated
events, and a `/_peer/subscriptions/{id}/fail_payment` switch (past_due + invoice.payment_failed).

Unlike plain localstripe it listens on loopback only and keeps its state in memory (no shared
pickle file), so several can run at once.
"""

from __future__ import annotations

import argparse
import html
import secrets
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from aiohttp import web
from localstripe import resources, server
from localstripe.errors import UserError
from localstripe.resources import Customer, Event, Plan, Subscription, store

resources.Store.dump_to_disk = lambda self: None  # type: ignore[method-assign]
resources.Store.try_load_from_disk = lambda self: None  # type: ignore[method-assign]

HOSTED_PREFIXES = ("/checkout/", "/billing_portal/", "/_peer/")
_checkout_sessions: dict[str, dict[str, Any]] = {}
_portal_sessions: dict[str, dict[str, Any]] = {}
_original_auth = server.auth_middleware


@web.middleware
async def auth_middleware(request: web.Request, handler: Any) -> web.StreamResponse:
    """Hosted pages are opened by a browser, which has no API key."""
    if request.path.startswith(HOSTED_PREFIXES):
        return await handler(request)
    return await _original_auth(request, handler)


class _Plain:
    """Lets a plain dict travel as an Event's data."""

    def __init__(self, data: dict[str, Any]) -> None:
        self.data = data

    def _export(self, expand: Any = None) -> dict[str, Any]:
        return dict(self.data)


def _new_id(prefix: str) -> str:
    return prefix + secrets.token_hex(8)


def _base(request: web.Request) -> str:
    return f"{request.scheme}://{request.host}"


@contextmanager
def _held_webhooks() -> Iterator[list[Any]]:
    """Events raised inside are not sent (their objects are not final yet)."""
    held: list[Any] = []
    original = resources.schedule_webhook
    resources.schedule_webhook = held.append
    try:
        yield held
    finally:
        resources.schedule_webhook = original
        for event in held:
            store.pop("event:" + event.id, None)


def _emit(event_type: str, obj: Any) -> None:
    resources.schedule_webhook(Event(event_type, obj))


# ------------------------------------------------------------------ prices


def _price_json(plan: Any) -> dict[str, Any]:
    data = plan._export()
    data.update(
        object="price",
        unit_amount=plan.amount,
        recurring={"interval": plan.interval, "interval_count": plan.interval_count},
        type="recurring",
    )
    return data


async def create_price(request: web.Request) -> web.Response:
    data = await server.get_post_data(request) or {}
    recurring = data.get("recurring") or {}
    product = data.get("product")
    if not product:
        product_data = data.get("product_data") or {}
        product = resources.Product(name=product_data.get("name") or "Plan").id
    plan = Plan(
        id=data.get("id") or _new_id("price_"),
        product=product,
        amount=resources.try_convert_to_int(data.get("unit_amount") or 0),
        currency=data.get("currency") or "usd",
        interval=recurring.get("interval") or "month",
        nickname=data.get("nickname"),
    )
    return server.json_response(_price_json(plan))


async def retrieve_price(request: web.Request) -> web.Response:
    return server.json_response(_price_json(Plan._api_retrieve(request.match_info["id"])))


# ------------------------------------------------------------------ checkout


async def create_checkout_session(request: web.Request) -> web.Response:
    data = await server.get_post_data(request) or {}
    items = data.get("line_items") or []
    if data.get("mode") != "subscription" or len(items) != 1 or not data.get("success_url"):
        raise UserError(400, "Only mode=subscription with one line item is supported")
    Plan._api_retrieve(items[0]["price"])
    if data.get("customer"):
        Customer._api_retrieve(data["customer"])
    session_id = _new_id("cs_test_")
    checkout = {
        "id": session_id,
        "object": "checkout.session",
        "mode": "subscription",
        "status": "open",
        "payment_status": "unpaid",
        "customer": data.get("customer"),
        "client_reference_id": data.get("client_reference_id"),
        "metadata": data.get("metadata") or {},
        "line_items": items,
        "subscription_data": data.get("subscription_data") or {},
        "success_url": data["success_url"],
        "cancel_url": data.get("cancel_url"),
        "subscription": None,
        "url": f"{_base(request)}/checkout/{session_id}",
        "created": int(time.time()),
    }
    _checkout_sessions[session_id] = checkout
    return server.json_response(checkout)


def _checkout(request: web.Request) -> dict[str, Any]:
    checkout = _checkout_sessions.get(request.match_info["id"])
    if checkout is None:
        raise UserError(404, "Not Found")
    return checkout


async def retrieve_checkout_session(request: web.Request) -> web.Response:
    return server.json_response(_checkout(request))


async def hosted_checkout_page(request: web.Request) -> web.Response:
    checkout = _checkout(request)
    item = checkout["line_items"][0]
    plan = Plan._api_retrieve(item["price"])
    trial = (checkout["subscription_data"] or {}).get("trial_period_days")
    page = f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Checkout (local test peer)</title></head>
<body><main>
<h1>Subscribe</h1>
<p>{int(item.get("quantity") or 1)} seat(s) of {html.escape(str(plan.nickname or plan.id))},
{plan.amount / 100:.2f} {html.escape(plan.currency.upper())} per seat per {plan.interval}.</p>
{f"<p>{int(trial)}-day free trial.</p>" if trial else ""}
<form method="post" action="/checkout/{html.escape(checkout["id"])}/pay">
  <label>Card number <input name="card" value="4242 4242 4242 4242"></label>
  <button type="submit">Pay</button>
</form>
<p><a href="{html.escape(checkout["cancel_url"] or "/")}">Cancel</a></p>
</main></body></html>"""
    return web.Response(text=page, content_type="text/html")


async def pay_checkout(request: web.Request) -> web.Response:
    checkout = _checkout(request)
    if checkout["status"] != "open":
        raise UserError(400, "This checkout session is no longer open")
    item = checkout["line_items"][0]
    subscription_data = checkout["subscription_data"] or {}
    trial_days = resources.try_convert_to_int(subscription_data.get("trial_period_days"))
    customer = checkout["customer"] or Customer(metadata=checkout["metadata"]).id
    with _held_webhooks():
        subscription = Subscription(
            customer=customer,
            items=[{"plan": item["price"], "quantity": item.get("quantity") or 1}],
            metadata=subscription_data.get("metadata") or {},
            trial_period_days=trial_days,
        )
    if trial_days:
        now = int(time.time())
        subscription.status = "trialing"
        subscription.trial_start = now
        subscription.trial_end = now + int(trial_days) * 86400
    else:
        subscription.status = "active"
    checkout.update(
        status="complete",
        payment_status="paid" if not trial_days else "no_payment_required",
        customer=customer,
        subscription=subscription.id,
    )
    _emit("customer.subscription.created", subscription)
    _emit("checkout.session.completed", _Plain(checkout))
    target = checkout["success_url"].replace("{CHECKOUT_SESSION_ID}", checkout["id"])
    raise web.HTTPSeeOther(target)


# ------------------------------------------------------------------ billing portal


async def create_portal_session(request: web.Request) -> web.Response:
    data = await server.get_post_data(request) or {}
    Customer._api_retrieve(data.get("customer") or "")
    portal_id = _new_id("bps_")
    portal = {
        "id": portal_id,
        "object": "billing_portal.session",
        "customer": data["customer"],
        "return_url": data.get("return_url"),
        "url": f"{_base(request)}/billing_portal/{portal_id}",
        "created": int(time.time()),
    }
    _portal_sessions[portal_id] = portal
    return server.json_response(portal)


async def hosted_portal_page(request: web.Request) -> web.Response:
    portal = _portal_sessions.get(request.match_info["id"])
    if portal is None:
        raise UserError(404, "Not Found")
    page = f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Billing portal (local test peer)</title></head>
<body><main><h1>Billing portal</h1><p>Customer {html.escape(portal["customer"])}</p>
<p><a href="{html.escape(portal["return_url"] or "/")}">Return</a></p></main></body></html>"""
    return web.Response(text=page, content_type="text/html")


# ------------------------------------------------------------------ subscription events


_original_update = Subscription._api_update.__func__  # type: ignore[attr-defined]


def _update_and_emit(cls: Any, id: str, **data: Any) -> Any:
    status_before = Subscription._api_retrieve(id).status
    subscription = _original_update(cls, id, **data)
    if status_before == "trialing" and subscription.status != "trialing":
        subscription.status = status_before  # localstripe knows no trials
    _emit("customer.subscription.updated", subscription)
    return subscription


Subscription._api_update = classmethod(_update_and_emit)  # type: ignore[method-assign,assignment]


async def fail_payment(request: web.Request) -> web.Response:
    subscription = Subscription._api_retrieve(request.match_info["id"])
    subscription.status = "past_due"
    invoice = {
        "id": _new_id("in_"),
        "object": "invoice",
        "customer": subscription.customer,
        "subscription": subscription.id,
        "status": "open",
        "amount_due": subscription.plan.amount * subscription.quantity,
        "amount_paid": 0,
        "currency": subscription.plan.currency,
        "created": int(time.time()),
    }
    _emit("invoice.payment_failed", _Plain(invoice))
    _emit("customer.subscription.updated", subscription)
    return server.json_response(invoice)


def build_app() -> web.Application:
    app = server.app
    index = list(app.middlewares).index(server.auth_middleware)
    app.middlewares[index] = auth_middleware  # type: ignore[index]
    app.router.add_post("/v1/prices", create_price)
    app.router.add_get("/v1/prices/{id}", retrieve_price)
    app.router.add_post("/v1/checkout/sessions", create_checkout_session)
    app.router.add_get("/v1/checkout/sessions/{id}", retrieve_checkout_session)
    app.router.add_post("/v1/billing_portal/sessions", create_portal_session)
    app.router.add_get("/checkout/{id}", hosted_checkout_page)
    app.router.add_post("/checkout/{id}/pay", pay_checkout)
    app.router.add_get("/billing_portal/{id}", hosted_portal_page)
    app.router.add_post("/_peer/subscriptions/{id}/fail_payment", fail_payment)
    return app


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, required=True)
    args = parser.parse_args()
    web.run_app(build_app(), host="127.0.0.1", port=args.port, print=None, access_log=None)


if __name__ == "__main__":
    main()
