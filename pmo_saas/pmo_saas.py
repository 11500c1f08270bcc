"""The Reflex app: pages are registered by importing their modules (a page never imported is
never compiled: one line per domain's pages); HTTP routes from api.py."""

import reflex as rx

import pmo_saas.models  # noqa: F401  (every table registered before any page runs)
from pmo_saas.api import build_api
from pmo_saas.assessments import pages as assessments_pages  # noqa: F401
from pmo_saas.billing import pages as billing_pages  # noqa: F401
from pmo_saas.coaching import pages as coaching_pages  # noqa: F401
from pmo_saas.dashboard import pages as dashboard_pages  # noqa: F401
from pmo_saas.identity.pages import admin, home, members, public, sso  # noqa: F401
from pmo_saas.portfolio import pages as portfolio_pages  # noqa: F401
from pmo_saas.surveys import pages as surveys_pages  # noqa: F401

app = rx.App(
    api_transformer=build_api(),
    stylesheets=["/styles.css"],
)
