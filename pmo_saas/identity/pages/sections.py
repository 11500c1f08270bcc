"""Workspace sections whose features are still being built: each says what it will hold."""

from __future__ import annotations

import reflex as rx

from pmo_saas.identity.auth_state import AuthState
from pmo_saas.ui.components import coming_soon, page_heading
from pmo_saas.ui.layout import workspace

SECTIONS = {
    "portfolio": (
        "Portfolio",
        [
            "Initiatives on a portfolio kanban, imported from CSV or entered by hand",
            "WSJF, RICE, MoSCoW and weighted-criteria scoring, by several scorers at once",
            "Funding the best set of initiatives within the budget; what-if scenarios",
            "A risk register with a heat map",
        ],
    ),
    "assessments": (
        "Assessments",
        [
            "Dimension-based maturity models and team health checks",
            "Rounds run by coaches for teams; radar charts, trends and heat maps",
        ],
    ),
    "coaching": (
        "Coaching",
        [
            "Growth plans built from assessment results: goals, actions, owners, due dates",
            "Coaching session notes and training records",
        ],
    ),
    "surveys": (
        "Surveys",
        [
            "Westrum, eNPS, team health and custom surveys, anonymous by design",
            "Heat maps by team and trends across rounds",
        ],
    ),
    "billing": (
        "Billing",
        [
            "Your plan, seats and invoices",
        ],
    ),
}


def _section_page(key: str, title: str, items: list[str]):  # type: ignore[no-untyped-def]
    def body() -> rx.Component:
        return rx.vstack(page_heading(title), coming_soon(items), width="100%", align="start")

    body.__name__ = f"{key}_section"
    return workspace(body)


def register_section_pages(keys: list[str]) -> None:
    for key in keys:
        title, items = SECTIONS[key]
        rx.page(route=f"/o/[slug]/{key}", title=title, on_load=AuthState.load_workspace)(
            _section_page(key, title, items)
        )
