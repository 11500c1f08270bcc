"""Delivery: work items under initiatives, their status history, flow metrics and forecasts;
the plan side: planned vs actual, funding tranches, earned value, value realised.

Importing the package registers the status-history recorder for the portfolio's moves, the
plan tables, and the listener that releases funding tranches at DSDM gates.
"""

from pmo_saas.delivery import history, plan_models  # noqa: F401
from pmo_saas.delivery.services import tranches  # noqa: F401
