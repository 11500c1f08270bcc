"""The Reflex app: pages are registered by importing their modules; HTTP routes from api.py."""

import importlib

import reflex as rx

import pmo_saas.models  # noqa: F401  (every table registered before any page runs)
from pmo_saas import event_guard
from pmo_saas.api import build_api
from pmo_saas.identity.pages import admin, home, members, public, sso  # noqa: F401
from pmo_saas.identity.pages.sections import SECTIONS, register_section_pages


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

app = rx.App(
    api_transformer=build_api(),
    stylesheets=["/styles.css"],
)
event_guard.install(app)  # event arguments checked against the handler's hints
