"""The capacity page."""

from pmo_saas.capacity.pages import capacity  # noqa: F401
