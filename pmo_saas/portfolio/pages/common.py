"""Pieces shared by the portfolio pages: choice lists, route helpers, section navigation."""

from __future__ import annotations

import reflex as rx

from pmo_saas.identity.auth_state import AuthState
from pmo_saas.kernel.paths import id_after  # noqa: F401  (the pages import it from here)
from pmo_saas.portfolio import fields, scoring

STATUS_CHOICES = list(fields.STATUSES.items())
MOSCOW_CHOICES = [("", "Not set"), *scoring.MOSCOW_LABELS.items()]
MODEL_CHOICES = list(scoring.MODELS.items())
RISK_STATUS_CHOICES = [(s, s.capitalize()) for s in fields.RISK_STATUSES]


def portfolio_href(portfolio_id: rx.Var | int, suffix: str = "") -> rx.Var:
    return (
        "/o/" + AuthState.org_slug + "/portfolio/p/" + rx.Var.create(portfolio_id).to(str) + suffix
    )


def portfolio_nav(portfolio_id: rx.Var) -> rx.Component:
    return rx.el.nav(
        rx.hstack(
            rx.link("All portfolios", href="/o/" + AuthState.org_slug + "/portfolio"),
            rx.link("Initiatives", href=portfolio_href(portfolio_id)),
            rx.link("Scoring & ranking", href=portfolio_href(portfolio_id, "/ranking")),
            rx.link("Scoring rounds", href=portfolio_href(portfolio_id, "/rounds")),
            rx.link("Budgeting", href=portfolio_href(portfolio_id, "/budgeting")),
            rx.link("Funding & scenarios", href=portfolio_href(portfolio_id, "/funding")),
            rx.link("Risks", href=portfolio_href(portfolio_id, "/risks")),
            rx.link("Delivery", href=portfolio_href(portfolio_id, "/delivery")),
            rx.link("Delivery plan", href=portfolio_href(portfolio_id, "/plan")),
            rx.link("Value realised", href=portfolio_href(portfolio_id, "/value")),
            spacing="4",
            wrap="wrap",
        ),
        aria_label="Portfolio",
    )
