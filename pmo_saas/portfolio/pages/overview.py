"""The portfolios of the organisation: list and create."""

from __future__ import annotations

import reflex as rx

from pmo_saas.db import in_tenant
from pmo_saas.identity.auth_state import AuthState
from pmo_saas.identity.page_state import WorkspacePage
from pmo_saas.identity.shell import workspace
from pmo_saas.kernel.context import TenantContext
from pmo_saas.kernel.roles import Role
from pmo_saas.portfolio import views
from pmo_saas.portfolio.pages.common import MODEL_CHOICES, portfolio_href
from pmo_saas.portfolio.schemas import PortfolioRow
from pmo_saas.portfolio.services import portfolios as portfolio_services
from pmo_saas.portfolio.views import ScoringInvite
from pmo_saas.ui.components import (
    card,
    data_table,
    error_callout,
    field,
    info_callout,
    labelled_select,
    page_heading,
    region,
)
from pmo_saas.ui.dialogs import (
    confirm_button,
    dialog_actions,
    form_dialog,
    open_button,
)


class PortfoliosState(WorkspacePage, rx.State):
    portfolios: list[PortfolioRow] = []
    invites: list[ScoringInvite] = []
    show_archived: bool = False
    creating: bool = False  # the New portfolio dialog is open
    busy: bool = False

    async def _refresh(self, ctx: TenantContext) -> None:
        self.portfolios = await in_tenant(
            ctx, portfolio_services.list_portfolios, include_archived=self.show_archived
        )
        self.invites = await in_tenant(ctx, views.my_open_rounds)

    def _on_failed_load(self) -> None:
        self.portfolios, self.invites = [], []

    @rx.event
    async def load(self) -> None:
        self.creating = self.busy = False
        await self._load()

    @rx.event
    def set_creating(self, open_it: bool) -> None:
        self._clear_messages()
        self.creating = bool(open_it)

    @rx.event
    async def toggle_archived(self, checked: bool) -> None:
        self.show_archived = bool(checked)
        await self.load()

    @rx.event
    async def archive(self, portfolio_id: int, archived: bool) -> None:
        await self._act(
            portfolio_services.archive_portfolio,
            notice="Portfolio archived." if archived else "Portfolio restored.",
            minimum=Role.COACH,
            prepare=lambda: {"portfolio_id": int(portfolio_id)},
            archived=bool(archived),
        )

    @rx.event
    def mark_busy(self) -> None:
        """Chained before `create`: its button spins from the click."""
        self.busy = True

    @rx.event
    async def create(self, form: dict):
        portfolio_id = await self._act(
            portfolio_services.create_portfolio,
            minimum=Role.COACH,
            refresh=False,
            name=form.get("name", ""),
            description=form.get("description", ""),
            scoring_model=form.get("scoring_model", "wsjf"),
            currency=form.get("currency", "EUR") or "EUR",
        )
        self.busy = False
        if portfolio_id is None:
            return None
        self.creating = False
        return rx.redirect(self._org_path(f"/portfolio/p/{portfolio_id}"))


def _row(p: PortfolioRow) -> rx.Component:
    return rx.table.row(
        rx.table.cell(rx.link(p.name, href=portfolio_href(p.id))),
        rx.table.cell(p.scoring_model_label),
        rx.table.cell(p.initiative_count),
        rx.table.cell(rx.cond(p.budget, p.currency + " " + p.budget.to_string(), "No budget")),
        rx.table.cell(
            rx.cond(
                AuthState.is_coach,
                rx.cond(
                    p.archived,
                    rx.button(
                        "Restore",
                        size="1",
                        variant="soft",
                        aria_label="Restore " + p.name,
                        on_click=PortfoliosState.archive(p.id, False),
                    ),
                    confirm_button(
                        "Archive",
                        name="Archive " + p.name,
                        title="Archive " + p.name + "?",
                        description="It leaves the list (with its initiatives, rounds and "
                        "scenarios); “Show archived portfolios” lists it and Restore brings it "
                        "back.",
                        confirm_label="Archive portfolio",
                        on_confirm=PortfoliosState.archive(p.id, True),
                    ),
                ),
            )
        ),
    )


def _new_portfolio_dialog() -> rx.Component:
    s = PortfoliosState
    return form_dialog(
        "New portfolio",
        rx.form(
            rx.vstack(
                field("Portfolio name", "name"),
                labelled_select("Scoring model", "scoring_model", MODEL_CHOICES, default="wsjf"),
                field("Currency", "currency", required=False, default_value="EUR"),
                dialog_actions("Create portfolio", busy=s.busy),
                spacing="3",
                width="100%",
            ),
            on_submit=[s.mark_busy, s.create],
            width="100%",
        ),
        open=s.creating,
        on_open_change=s.set_creating,
        trigger=open_button("New portfolio"),
        error=s.error,
        width="30em",
    )


def _body() -> rx.Component:
    return rx.vstack(
        page_heading(
            "Portfolio",
            "Rank the initiatives and fund the best set within the budget, with the reasons shown.",
        ),
        error_callout(PortfoliosState.error),
        info_callout(PortfoliosState.notice),
        rx.cond(
            PortfoliosState.invites.length() > 0,
            card(
                rx.heading("Waiting for your scores", size="4", as_="h2"),
                region(
                    "Waiting for your scores",
                    rx.unordered_list(
                        rx.foreach(
                            PortfoliosState.invites,
                            lambda i: rx.list_item(
                                rx.link(
                                    i.round_name + " (" + i.portfolio_name + ")",
                                    href=portfolio_href(i.portfolio_id, "/rounds/")
                                    + i.round_id.to_string(),
                                )
                            ),
                        )
                    ),
                ),
                width="100%",
            ),
        ),
        rx.cond(AuthState.is_coach, _new_portfolio_dialog()),
        rx.checkbox(
            "Show archived portfolios",
            checked=PortfoliosState.show_archived,
            on_change=PortfoliosState.toggle_archived,
        ),
        data_table(
            "Portfolios",
            ["Name", "Scoring model", "Initiatives", "Budget", ""],
            PortfoliosState.portfolios,
            _row,
            empty="No portfolio yet.",
        ),
        width="100%",
        align="start",
        spacing="4",
    )


@rx.page(
    route="/o/[slug]/portfolio",
    title="Portfolio",
    on_load=[AuthState.load_workspace, PortfoliosState.load],
)
@workspace
def portfolios_page() -> rx.Component:
    return _body()
