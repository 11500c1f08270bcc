"""Value realised for a portfolio: promised vs realised value per funded initiative, their key
results with what was measured, forms to name a key result and record a result, and how well
each scorer's value scores matched what arrived (calibration)."""

from __future__ import annotations

from typing import Any

import reflex as rx

from pmo_saas.db import in_tenant
from pmo_saas.delivery.pages.plan import CAN_WRITE, FormPage, field
from pmo_saas.delivery.plan_schemas import CalibrationRow
from pmo_saas.delivery.services import value as value_services
from pmo_saas.identity.auth_state import AuthState
from pmo_saas.identity.page_state import BusyWork
from pmo_saas.identity.shell import workspace
from pmo_saas.kernel.context import TenantContext
from pmo_saas.portfolio.pages.common import id_after, portfolio_nav
from pmo_saas.ui.components import (
    card,
    data_table,
    error_callout,
    info_callout,
    labelled,
    page_heading,
)
from pmo_saas.ui.dialogs import work_button

RESULT_KEYS = ("initiative", "title", "target", "due", "measured", "achievement")


def _num(value: float | None, pattern: str = "{:g}") -> str:
    return "-" if value is None else pattern.format(value)


class ValueState(BusyWork, FormPage, rx.State):
    portfolio_id: int = 0
    value_key: str = ""
    rows: list[dict[str, str]] = []
    results: list[dict[str, str]] = []
    calibration: list[CalibrationRow] = []

    async def _refresh(self, ctx: TenantContext) -> None:
        self.portfolio_id = id_after(self.router.url.path, "p")
        view = await in_tenant(ctx, value_services.value_view, portfolio_id=self.portfolio_id)
        self.value_key, self.calibration = view.value_key, view.calibration
        self.rows = [
            {
                "id": str(r.initiative_id),
                "title": r.title,
                "promised": _num(r.promised_value),
                "achievement": _num(
                    None if r.achievement is None else 100 * r.achievement, "{:.0f}%"
                ),
                "realised": _num(r.realised_value),
            }
            for r in view.rows
        ]
        self.results = [
            {
                "id": str(k.id),
                "initiative": r.title,
                "title": k.title,
                "target": f"{k.target:g} {k.unit}".strip(),
                "due": k.due_on,
                "measured": "-" if k.measured is None else f"{k.measured:g} ({k.measured_on})",
                "achievement": _num(
                    None if k.achievement is None else 100 * k.achievement, "{:.0f}%"
                ),
            }
            for r in view.rows
            for k in r.key_results
        ]

    def _on_failed_load(self) -> None:
        self.rows, self.results, self.calibration = [], [], []

    @rx.event
    async def load(self) -> None:
        await self._load()

    @rx.event
    async def add_key_result(self, form: dict) -> None:
        await self._form_act(
            value_services.add_key_result,
            "Key result added.",
            initiative_id=str(form.get("initiative", "")),
            title=str(form.get("title", "")),
            target=str(form.get("target", "")),
            unit=str(form.get("unit", "")),
            due_on=str(form.get("due_on", "")),
        )

    @rx.event
    async def record_result(self, form: dict) -> None:
        await self._form_act(
            value_services.record_result,
            "Result recorded.",
            key_result_id=str(form.get("key_result", "")),
            value=str(form.get("value", "")),
            measured_on=str(form.get("measured_on", "")),
        )

    @rx.event
    async def download_csv(self):  # type: ignore[no-untyped-def]
        return await self._download(
            value_services.export_value_csv, "value-realised.csv", portfolio_id=self.portfolio_id
        )


def _select(label: str, name: str, items: Any, text_key: str) -> rx.Component:
    return labelled(
        label,
        f"field-{name}",
        rx.el.select(
            rx.foreach(items, lambda i: rx.el.option(i[text_key], value=i["id"])),
            id=f"field-{name}",
            name=name,
            class_name="pmo-select",
        ),
    )


def _forms() -> rx.Component:
    s = ValueState
    return card(
        rx.heading("Expected outcomes and measured results", size="4", as_="h2"),
        rx.form(
            rx.hstack(
                _select("Initiative", "initiative", s.rows, "title"),
                field("Key result", "title"),
                field("Target", "target", width="7em"),
                field("Unit", "unit", width="7em"),
                field("Due", "due_on", type="date"),
                rx.button("Add key result", type="submit"),
                align="end",
                wrap="wrap",
            ),
            on_submit=s.add_key_result,
            key="kr-" + s.form_version.to_string(),
        ),
        rx.form(
            rx.hstack(
                _select("Key result to measure", "key_result", s.results, "title"),
                field("Measured value", "value", width="8em"),
                field("Measured on", "measured_on", type="date"),
                rx.button("Record result", type="submit"),
                align="end",
                wrap="wrap",
            ),
            on_submit=s.record_result,
            key="m-" + s.form_version.to_string(),
        ),
        width="100%",
    )


def _cells(row: Any, keys: tuple[str, ...]) -> rx.Component:
    return rx.table.row(*[rx.table.cell(row[k]) for k in keys])


@rx.page(
    route="/o/[slug]/portfolio/p/[portfolio_id]/value",
    title="Value realised",
    on_load=[AuthState.load_workspace, ValueState.load],
)
@workspace
def value_page() -> rx.Component:
    s = ValueState
    return rx.vstack(
        page_heading("Value realised", "What was promised at funding time, and what arrived."),
        portfolio_nav(s.portfolio_id),
        error_callout(s.error),
        info_callout(s.notice),
        data_table(
            "Promised vs realised value",
            ["Initiative", "Value promised", "Key results achieved", "Value realised"],
            s.rows,
            lambda r: _cells(r, ("title", "promised", "achievement", "realised")),
            empty="No funded initiatives: adopt a published plan on the delivery plan page.",
        ),
        data_table(
            "Key results",
            ["Initiative", "Key result", "Target", "Due", "Latest measurement", "Achieved"],
            s.results,
            lambda r: _cells(
                r, ("initiative", "title", "target", "due", "measured", "achievement")
            ),
            empty="No key results yet.",
        ),
        rx.cond(CAN_WRITE, _forms()),
        rx.heading("Scorers' calibration", size="4", as_="h2"),
        rx.text(
            "Each scorer's own score of the value input beside what arrived (the settled score "
            "times the share of key results achieved). Bias above 0: promised more than arrived.",
            size="2",
            color_scheme="gray",
        ),
        data_table(
            "Scorers' calibration",
            ["Scorer", "Initiatives", "Bias (points)", "Mean absolute error (points)"],
            s.calibration,
            lambda c: rx.table.row(
                rx.table.cell(c.name),
                rx.table.cell(c.initiatives),
                rx.table.cell(c.bias),
                rx.table.cell(c.mean_abs_error),
            ),
            empty="No measured results for scored initiatives yet.",
        ),
        work_button(
            "Value realised (CSV)",
            state=s,
            work="export",
            run=s.download_csv,
            variant="soft",
            size="1",
        ),
        width="100%",
        align="start",
        spacing="4",
    )
