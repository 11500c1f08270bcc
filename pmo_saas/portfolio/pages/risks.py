"""The risk register of a portfolio and its initiatives: probability x impact (1 to 5), owner,
mitigation, status; a heat map of the open risks."""

from __future__ import annotations

import reflex as rx

from pmo_saas.db import in_tenant
from pmo_saas.identity.auth_state import AuthState
from pmo_saas.identity.page_state import WorkspacePage
from pmo_saas.identity.shell import workspace
from pmo_saas.kernel.context import TenantContext
from pmo_saas.kernel.roles import Role
from pmo_saas.portfolio import views
from pmo_saas.portfolio.pages.common import RISK_STATUS_CHOICES, id_after, portfolio_nav
from pmo_saas.portfolio.schemas import RiskRow
from pmo_saas.portfolio.services import risks as risk_services
from pmo_saas.portfolio.views import HeatSquare
from pmo_saas.ui.components import (
    Choice,
    data_table,
    error_callout,
    field,
    info_callout,
    labelled_select,
    page_heading,
    region,
)
from pmo_saas.ui.dialogs import dialog_actions, form_dialog, open_button

LEVELS = [(str(n), str(n)) for n in range(1, 6)]


class RisksState(WorkspacePage, rx.State):
    portfolio_id: int = 0
    portfolio_name: str = ""
    risks: list[RiskRow] = []
    heat: list[list[HeatSquare]] = []
    initiatives: list[Choice] = []
    recording: bool = False  # the Record a risk dialog is open

    def _pid(self) -> int:
        return id_after(self.router.url.path, "p")

    async def _refresh(self, ctx: TenantContext) -> None:
        view = await in_tenant(ctx, views.risk_view, portfolio_id=self._pid())
        self.portfolio_id, self.portfolio_name = view.portfolio.id, view.portfolio.name
        self.risks = view.risks
        self.heat = view.heat
        self.initiatives = [Choice(value=str(i), label=t) for i, t in view.initiatives]

    def _on_failed_load(self) -> None:
        self.risks, self.heat, self.initiatives, self.portfolio_name = [], [], [], ""

    @rx.event
    async def load(self) -> None:
        self.recording = False
        await self._load()

    @rx.event
    def set_recording(self, open_it: bool) -> None:
        self._clear_messages()
        self.recording = bool(open_it)

    @rx.event
    async def create(self, form: dict) -> None:
        data = {
            k: form.get(k, "")
            for k in ("title", "probability", "impact", "owner", "mitigation", "initiative_id")
        }
        data["status"] = form.get("status", "open") or "open"
        await self._act(
            risk_services.create_risk,
            notice="Risk recorded.",
            minimum=Role.COACH,
            portfolio_id=self._pid(),
            data=data,
        )
        if not self.error:
            self.recording = False

    @rx.event
    async def set_status(self, risk_id: int, status: str) -> None:
        await self._act(
            risk_services.update_risk,
            minimum=Role.COACH,
            prepare=lambda: {"risk_id": int(risk_id)},
            data={"status": status},
        )


def _risk_row(r: RiskRow) -> rx.Component:
    return rx.table.row(
        rx.table.cell(r.title),
        rx.table.cell(r.initiative_title),
        rx.table.cell(r.probability),
        rx.table.cell(r.impact),
        rx.table.cell(r.exposure),
        rx.table.cell(r.owner),
        rx.table.cell(rx.text(r.mitigation, size="1")),
        rx.table.cell(
            rx.cond(
                AuthState.is_coach,
                rx.el.select(
                    *[rx.el.option(label, value=value) for value, label in RISK_STATUS_CHOICES],
                    value=r.status,
                    on_change=lambda value: RisksState.set_status(r.id, value),
                    aria_label="Status of " + r.title,
                    class_name="pmo-select",
                ),
                rx.badge(r.status),
            )
        ),
    )


def _square(sq: HeatSquare) -> rx.Component:
    return rx.el.td(
        rx.cond(sq.count > 0, sq.count.to_string(), ""),
        title=sq.label,
        aria_label=sq.label,
        style={
            "background": sq.colour,
            "width": "3em",
            "height": "3em",
            "textAlign": "center",
            "border": "1px solid #fff",
        },
    )


def _heat_map() -> rx.Component:
    return region(
        "Risk heat map",
        rx.el.table(
            rx.el.tbody(
                rx.foreach(
                    RisksState.heat,
                    lambda row: rx.el.tr(
                        rx.el.th(
                            "P" + row[0].probability.to_string(), style={"paddingRight": "0.5em"}
                        ),
                        rx.foreach(row, _square),
                    ),
                ),
                rx.el.tr(rx.el.th(""), *[rx.el.th(f"I{n}") for n in range(1, 6)]),
            ),
        ),
        rx.text("P: probability, I: impact (open risks only)", size="1", color_scheme="gray"),
    )


def _record_dialog() -> rx.Component:
    s = RisksState
    return form_dialog(
        "Record a risk",
        rx.form(
            rx.grid(
                field("Risk", "title"),
                field("Risk owner", "owner", required=False),
                labelled_select("Probability", "probability", LEVELS, default="3"),
                labelled_select("Impact", "impact", LEVELS, default="3"),
                labelled_select(
                    "Initiative", "initiative_id", s.initiatives, empty="Whole portfolio"
                ),
                labelled_select("Risk status", "status", RISK_STATUS_CHOICES, default="open"),
                columns=rx.breakpoints(initial="1", sm="2"),
                spacing="3",
                width="100%",
            ),
            field("Mitigation", "mitigation", required=False),
            dialog_actions("Record risk"),
            on_submit=s.create,
            width="100%",
        ),
        open=s.recording,
        on_open_change=s.set_recording,
        trigger=open_button("Record a risk"),
        error=s.error,
    )


def _body() -> rx.Component:
    s = RisksState
    return rx.vstack(
        page_heading("Risks"),
        rx.heading(s.portfolio_name, size="5", as_="h2"),
        portfolio_nav(s.portfolio_id),
        error_callout(s.error),
        info_callout(s.notice),
        rx.cond(AuthState.is_coach, _record_dialog()),
        rx.hstack(
            _heat_map(),
            data_table(
                "Risk register",
                [
                    "Risk",
                    "Initiative",
                    "Probability",
                    "Impact",
                    "Exposure",
                    "Owner",
                    "Mitigation",
                    "Status",
                ],
                s.risks,
                _risk_row,
            ),
            align="start",
            width="100%",
            wrap="wrap",
        ),
        width="100%",
        align="start",
        spacing="4",
    )


@rx.page(
    route="/o/[slug]/portfolio/p/[portfolio_id]/risks",
    title="Risks",
    on_load=[AuthState.load_workspace, RisksState.load],
)
@workspace
def risks_page() -> rx.Component:
    return _body()
