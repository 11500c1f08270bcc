"""The delivery pages: a portfolio's (or value stream's) flow and one initiative's; the plan
side: planned vs actual for the portfolio and one initiative, and value realised."""

from pmo_saas.delivery.pages import connections, delivery, plan, plan_initiative, value  # noqa: F401
