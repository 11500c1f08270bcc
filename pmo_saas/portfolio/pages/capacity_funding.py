"""The funding page's "Within team capacity" card: the exact best set on budget alone beside
the exact best set that also fits every team's capacity per quarter (services/
capacity_funding.py). Self-contained: its own state, read when the button is pressed."""

from __future__ import annotations

import reflex as rx
from pydantic import BaseModel

from pmo_saas.db import in_tenant
from pmo_saas.identity.page_state import WorkspacePage
from pmo_saas.kernel import formatting
from pmo_saas.kernel.context import TenantContext
from pmo_saas.portfolio.pages.common import id_after
from pmo_saas.portfolio.services import capacity_funding
from pmo_saas.portfolio.services.capacity_funding import CapacityFundingComparison, FundingSide
from pmo_saas.ui.components import card, error_callout, region
from pmo_saas.ui.dialogs import busy_button, progress_bar


class SideCard(BaseModel):
    heading: str
    value: str
    cost: str
    count: int
    funded: str
    warnings: list[str]
    error: str


class ComparisonCards(BaseModel):
    sides: list[SideCard]
    dropped: str
    added: str
    note: str


def _side(heading: str, side: FundingSide) -> SideCard:
    return SideCard(
        heading=heading,
        value=formatting.number(side.total_value),
        cost=formatting.money(side.total_cost),
        count=side.count,
        funded=", ".join(side.funded) or "none",
        warnings=side.warnings,
        error=side.error,
    )


def _cards(result: CapacityFundingComparison) -> ComparisonCards:
    note = (
        f"Team capacity limits {result.teams_constrained} team-quarter(s) this portfolio's "
        "allocations ask of."
        if result.teams_constrained
        else "No initiative of this portfolio has allocations yet: capacity limits nothing."
    )
    return ComparisonCards(
        sides=[
            _side("Budget only", result.budget_only),
            _side("Within team capacity", result.within_capacity),
        ],
        dropped=", ".join(result.dropped),
        added=", ".join(result.added),
        note=note,
    )


class CapacityFundingState(WorkspacePage, rx.State):
    comparison: ComparisonCards | None = None
    comparing: bool = False  # the two solver runs are under way (up to 20 s each)

    async def _refresh(self, ctx: TenantContext) -> None:
        result = await in_tenant(
            ctx,
            capacity_funding.compare_capacity_funding,
            portfolio_id=id_after(self.router.url.path, "p"),
        )
        self.comparison = _cards(result)

    def _on_failed_load(self) -> None:
        self.comparison = None

    @rx.event
    def start_compare(self) -> None:
        """Chained before `compare`: its button spins from the click (this delta goes first)."""
        self.comparing = True

    @rx.event
    async def compare(self) -> None:
        await self._load()
        self.comparing = False


def _side_card(side: rx.Var) -> rx.Component:
    return card(
        rx.heading(side.heading, size="3", as_="h3"),
        rx.cond(
            side.error != "",
            rx.text(side.error, color_scheme="red", size="2"),
            rx.vstack(
                rx.text("Total value: " + side.value),
                rx.text("Cost: " + side.cost),
                rx.text(side.count.to_string() + " initiative(s) funded: " + side.funded),
                rx.foreach(side.warnings, lambda w: rx.text(w, size="1", color_scheme="orange")),
                align="start",
            ),
        ),
        aria_label=side.heading,
    )


def capacity_funding_card() -> rx.Component:
    """The button and, once pressed, the two best sets side by side."""
    s = CapacityFundingState
    return region(
        "Funding within team capacity",
        rx.vstack(
            rx.hstack(
                rx.heading("Within team capacity", size="4", as_="h2"),
                busy_button(
                    "Compare with team capacity",
                    busy=s.comparing,
                    on_click=[s.start_compare, s.compare],
                    variant="soft",
                ),
                align="center",
            ),
            progress_bar("Finding both best sets…", None, shown=s.comparing),
            error_callout(s.error),
            rx.cond(
                s.comparison,
                rx.vstack(
                    rx.text(s.comparison.to(ComparisonCards).note, size="2"),
                    rx.flex(
                        rx.foreach(s.comparison.to(ComparisonCards).sides, _side_card),
                        wrap="wrap",
                        gap="1em",
                    ),
                    rx.cond(
                        s.comparison.to(ComparisonCards).dropped != "",
                        rx.text(
                            "Dropped for lack of capacity: "
                            + s.comparison.to(ComparisonCards).dropped
                        ),
                    ),
                    rx.cond(
                        s.comparison.to(ComparisonCards).added != "",
                        rx.text("Funded instead: " + s.comparison.to(ComparisonCards).added),
                    ),
                    align="start",
                    width="100%",
                ),
            ),
            width="100%",
            align="start",
        ),
    )
