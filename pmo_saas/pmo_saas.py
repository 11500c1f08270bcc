"""The Reflex app: pages are registered by importing their modules (a page never imported is
never compiled: one line per domain's pages); HTTP routes from api.py."""

import reflex as rx

import pmo_saas.models  # noqa: F401  (every table registered before any page runs)
from pmo_saas import event_guard, ops
from pmo_saas.api import build_api
from pmo_saas.assessments import pages as assessments_pages  # noqa: F401
from pmo_saas.billing import pages as billing_pages  # noqa: F401
from pmo_saas.capacity import pages as capacity_pages  # noqa: F401
from pmo_saas.coaching import pages as coaching_pages  # noqa: F401
from pmo_saas.collaboration import pages as collaboration_pages  # noqa: F401
from pmo_saas.dashboard import pages as dashboard_pages  # noqa: F401
from pmo_saas.delivery import pages as delivery_pages  # noqa: F401
from pmo_saas.home import pages as home_pages  # noqa: F401
from pmo_saas.identity.auth_state import backend_url
from pmo_saas.identity.pages import admin, members, public, sso  # noqa: F401
from pmo_saas.improvement import pages as improvement_pages  # noqa: F401
from pmo_saas.jobs import pages as jobs_pages  # noqa: F401
from pmo_saas.ops import failover, state_store
from pmo_saas.portfolio import pages as portfolio_pages  # noqa: F401
from pmo_saas.practices import pages as practices_pages  # noqa: F401
from pmo_saas.programmes import pages as programmes_pages  # noqa: F401
from pmo_saas.rest import pages as rest_pages  # noqa: F401
from pmo_saas.rollout import pages as rollout_pages  # noqa: F401
from pmo_saas.security_headers import SecurityMiddleware
from pmo_saas.surveys import pages as surveys_pages  # noqa: F401


class App(rx.App):
    """rx.App inside SecurityMiddleware, outermost: pages, assets, HTTP routes, errors, 404s,
    CORS answers and the websocket handshake all pass through it."""

    def __call__(self):  # type: ignore[no-untyped-def]
        return SecurityMiddleware(super().__call__())


app = App(
    api_transformer=build_api(),
    stylesheets=["/styles.css"],
    # Plain (not "rich") colours: sonner's rich error text on its pale red is under 4.5:1.
    toaster=rx.toast.provider(rich_colors=False, close_button=True),
    # From the backend (another port in development): binds the browser, syncs sign-out.
    head_components=[
        rx.script(src=backend_url("/auth/session.js")),
        rx.script(src="/a11y.js", defer=True),  # scrollable tables take keyboard focus
        rx.script(src="/pickers.js", defer=True),  # the pickers' search filters in the browser
        rx.script(src="/survey_draft.js", defer=True),  # unsent survey answers kept in the tab
    ],
)
ops.install(app)  # JSON logs, event metrics, connected-sessions gauge
failover.install(app)  # a tab of a replica that died keeps its token (and state)
state_store.install()  # the embedded state store looks for expired tabs once a minute
event_guard.install(app)  # event arguments checked against the handler's hints
