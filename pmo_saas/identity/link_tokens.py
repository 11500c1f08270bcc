"""One-time link tokens (password reset, invitation, e-mail verification, survey links) kept
out of Reflex's state store.

Reflex persists each tab's state tree (pickles under the states dir, or Redis), router data
included: a page that read its token from `/reset/<token>` would leave a usable link there.
The link pages instead swap the token, on load, for a handle sealed with a key derived from
`PMO_SECRET_KEY` (Fernet, expiring after `HANDLE_SECONDS`), kept in a backend var; scrub the
URL, referer, cookies and client address from the root state's router data
(`forget_route`, in every handler of the page, as each event brings the socket's headers
back); and send the browser on to a neutral route, replacing the history entry.

No Reflex import at run time: `forget_route` only touches the state it is handed.
"""

from __future__ import annotations

import base64
from functools import lru_cache
from typing import TYPE_CHECKING

from cryptography.fernet import Fernet, InvalidToken
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from pmo_saas.settings import get_settings

if TYPE_CHECKING:
    from reflex.state import BaseState

HANDLE_SECONDS = 2 * 3600
MAX_TOKEN = 200
EXPIRED = "This page has been open too long. Open the link from your mail again."

RESET = "reset"
INVITE = "invite"
VERIFY = "verify"


class HandleExpired(ValueError):
    """A handle this server did not seal (other key, altered) or sealed too long ago."""

    def __init__(self) -> None:
        super().__init__(EXPIRED)


@lru_cache(maxsize=16)
def _fernet(secret_key: str, purpose: str) -> Fernet:
    key = HKDF(
        algorithm=hashes.SHA256(),
        length=32,
        salt=b"pmo_saas.identity.link_tokens",
        info=b"link page handle v1 " + purpose.encode(),
    ).derive(secret_key.encode())
    return Fernet(base64.urlsafe_b64encode(key))


def seal(token: str, *, purpose: str) -> str:
    """An opaque, expiring stand-in for a link's token ("" for no token or an absurd one)."""
    if not 0 < len(token) <= MAX_TOKEN:
        return ""
    return _fernet(get_settings().secret_key, purpose).encrypt(token.encode()).decode()


def unseal(handle: str, *, purpose: str, seconds: int = HANDLE_SECONDS) -> str:
    """The token behind `handle` ("" for no handle); `HandleExpired` if forged or too old."""
    if not handle:
        return ""
    try:
        plain = _fernet(get_settings().secret_key, purpose).decrypt(handle.encode(), ttl=seconds)
    except (InvalidToken, ValueError, TypeError):
        raise HandleExpired() from None
    return plain.decode()


def token_in_path(path: str, route: str) -> str:
    """The token of `<route>/<token>` ("" on the neutral route itself or elsewhere)."""
    prefix = route.rstrip("/") + "/"
    if not path.startswith(prefix):
        return ""
    return path[len(prefix) :].strip("/")


def forget_route(state: BaseState, route: str, *, keep_ip: bool = False) -> None:
    """Replace the URL (with its token), the referer, cookies and (unless `keep_ip`: the
    sign-in pages count guesses per address) the client address in the state tree's router
    data by neutral values, so the persisted state holds none of them."""
    root = state
    while root.parent_state is not None:
        root = root.parent_state
    data = dict(root.router_data)
    for key in ("pathname", "asPath"):
        if key in data:
            data[key] = route
    data["query"] = {}
    if not keep_ip:
        data["ip"] = ""
    data["headers"] = {
        k: v
        for k, v in dict(data.get("headers", {})).items()
        if k.lower() not in ("cookie", "referer", "x-forwarded-for", "x-real-ip")
    }
    root._update_router_vars(data, root.router_data)
    root.router_data = data
