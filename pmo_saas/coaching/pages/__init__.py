"""The coaching section's pages: plan list, plan, leadership board, training, my actions."""

from pmo_saas.coaching.pages import board, mine, plan, plans, training  # noqa: F401
