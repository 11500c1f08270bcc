"""Reflex configuration: every field can be overridden as REFLEX_<FIELD> in the environment."""

import reflex as rx

from pmo_saas.security_headers import allowed_origins
from pmo_saas.settings import get_settings

_settings = get_settings()

config = rx.Config(
    app_name="pmo_saas",
    redis_url=_settings.redis_url or None,
    telemetry_enabled=False,
    # CORS (Reflex's middlewares, with credentials) and the websocket's Origin check (socket.io)
    # both read this: only the public URL's origin, never "*".
    cors_allowed_origins=allowed_origins(),
    show_built_with_reflex=False,
    plugins=[rx.plugins.RadixThemesPlugin(theme=rx.theme(accent_color="indigo", radius="medium"))],
    disable_plugins=[rx.plugins.SitemapPlugin],
)
