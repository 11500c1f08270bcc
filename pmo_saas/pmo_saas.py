"""The Reflex app: pages are registered by importing their modules; HTTP routes from api.py."""

import importlib

import reflex as rx

import pmo_saas.models  # noqa: F401  (every table registered before any page runs)
from pmo_saas import event_guard, ops
from pmo_saas.api import build_api
from pmo_saas.identity.auth_state import backend_url
from pmo_saas.identity.pages import admin, home, members, public, sso  # noqa: F401
from pmo_saas.identity.pages.sections import SECTIONS, register_section_pages
from pmo_saas.security_headers import SecurityMiddleware


def _import_domain_pages() -> list[str]:
    """Import `pmo_saas/<domain>/pages.py` where it exists; the rest show what they will hold."""
    placeholders = []
    for key in SECTIONS:
        try:
            importlib.import_module(f"pmo_saas.{key}.pages")
        except ModuleNotFoundError as error:
            if error.name != f"pmo_saas.{key}.pages":
                raise
            placeholders.append(key)
    return placeholders


register_section_pages(_import_domain_pages())
importlib.import_module("pmo_saas.dashboard.pages")
importlib.import_module("pmo_saas.jobs.pages")


class App(rx.App):
    """rx.App inside SecurityMiddleware, outermost: pages, assets, HTTP routes, errors, 404s,
    CORS answers and the websocket handshake all pass through it."""

    def __call__(self):  # type: ignore[no-untyped-def]
        return SecurityMiddleware(super().__call__())


app = App(
    api_transformer=build_api(),
    stylesheets=["/styles.css"],
    # From the backend (another port in development): binds the browser, syncs sign-out.
    head_components=[rx.script(src=backend_url("/auth/session.js"))],
)
ops.install(app)  # JSON logs, event metrics, connected-sessions gauge
event_guard.install(app)  # event arguments checked against the handler's hints
