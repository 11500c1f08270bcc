"""Delivery: work items under initiatives, their status history, flow metrics and forecasts.

Importing the package registers the status-history recorder for the portfolio's moves.
"""

from pmo_saas.delivery import history  # noqa: F401
