"""The image test drives the container with the browser set-up the e2e journeys use."""

from tests.e2e.conftest import browser_type_launch_args  # noqa: F401  (Debian Chromium)
