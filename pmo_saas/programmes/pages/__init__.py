"""The programmes section's page: every programme's roll-up, grouping initiatives."""

from pmo_saas.programmes.pages import programmes  # noqa: F401
