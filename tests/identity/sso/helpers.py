"""A browser's part of the SSO dance, step by step over real HTTP (no redirects followed)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qs, unquote, urlencode, urlparse, urlunparse

import httpx
from sqlalchemy import func
from sqlmodel import select

from pmo_saas.db import system_session, tenant_session
from pmo_saas.identity import sso
from pmo_saas.identity.cookies import SESSION_COOKIE
from pmo_saas.identity.models import UserSession
from pmo_saas.kernel.context import TenantContext
from tests.factories import prove_sso_domain

STRICT_SECRET = "strict-client-secret-1"


def configure(
    ctx: TenantContext, issuer: str, domains: list[str], *, prove: bool = True, **options: Any
) -> None:
    """Save the connection; with `prove`, each domain is then proven (the mailed link)."""
    options.setdefault("client_id", f"pmo-{ctx.org_slug}")
    options.setdefault("client_secret", f"secret-of-{ctx.org_slug}")
    with tenant_session(ctx) as session:
        sso.save_sso_connection(
            session=session, ctx=ctx, issuer_url=issuer, allowed_domains=domains, **options
        )
    if prove:
        for domain in domains:
            prove_sso_domain(ctx, domain)


def register_strict_client(issuer: str, client_id: str, app_url: str, secret: str) -> None:
    httpx.put(
        f"{issuer}/_peer/clients/{client_id}",
        json={"secret": secret, "redirect_uris": [f"{app_url}/sso/callback"]},
    ).raise_for_status()


def set_user(issuer: str, sub: str, claims: dict[str, Any], *, strict: bool = False) -> None:
    """Claims the IdP will state for `sub` (both peers take them as JSON)."""
    path = "_peer/users" if strict else "users"
    httpx.put(f"{issuer}/{path}/{sub}", json=claims).raise_for_status()


def query(url: str) -> dict[str, str]:
    return {k: v[0] for k, v in parse_qs(urlparse(url).query).items()}


def with_query(url: str, **changes: str | None) -> str:
    parts = urlparse(url)
    params = {k: v[0] for k, v in parse_qs(parts.query).items()}
    for key, value in changes.items():
        if value is None:
            params.pop(key, None)
        else:
            params[key] = value
    return urlunparse(parts._replace(query=urlencode(params)))


@dataclass
class Outcome:
    response: httpx.Response  # the app's last answer
    authorize_url: str = ""
    callback_url: str = ""

    @property
    def location(self) -> str:
        return self.response.headers.get("location", "")

    @property
    def session_cookie(self) -> str:
        for header in self.response.headers.get_list("set-cookie"):
            if header.startswith(f"{SESSION_COOKIE}="):
                return header.split(";", 1)[0].split("=", 1)[1]
        return ""

    @property
    def error(self) -> str:
        return unquote(query(self.location).get("error", "")) if "/signin" in self.location else ""


def start(app_url: str, **params: str) -> httpx.Response:
    return httpx.get(f"{app_url}/sso/start", params=params)


def authorize_at_idp(authorize_url: str, sub: str) -> str:
    """What the user does at the IdP: choose an account. Returns where the IdP sends them."""
    response = httpx.post(authorize_url, data={"sub": sub})
    assert response.status_code in (302, 303), (response.status_code, response.text[:500])
    return response.headers["location"]


def sign_in(
    app_url: str,
    *,
    sub: str,
    email: str = "",
    org: str = "",
    alter_authorize: Callable[[str], str] | None = None,
    alter_callback: Callable[[str], str] | None = None,
) -> Outcome:
    params = {"email": email} if email else {"org": org}
    started = start(app_url, **params)
    if started.status_code != 303 or "/signin" in started.headers.get("location", ""):
        return Outcome(started)
    authorize_url = started.headers["location"]
    sent = alter_authorize(authorize_url) if alter_authorize else authorize_url
    callback = authorize_at_idp(sent, sub)
    if alter_callback:
        callback = alter_callback(callback)
    return Outcome(httpx.get(callback), authorize_url=authorize_url, callback_url=callback)


def session_count() -> int:
    with system_session() as session:
        return session.exec(select(func.count()).select_from(UserSession)).one()
