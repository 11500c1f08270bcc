"""The PMO improvement page: feedback on the PMO and its improvement backlog."""

from pmo_saas.improvement.pages import backlog  # noqa: F401
