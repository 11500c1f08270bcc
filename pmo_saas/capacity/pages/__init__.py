"""The capacity page and its skills page."""

from pmo_saas.capacity.pages import capacity, skills  # noqa: F401
