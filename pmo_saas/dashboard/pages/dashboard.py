"""The executive dashboard: portfolio, transformation, culture and coaching figures, with CSV
downloads. `DashboardView` and `dashboard_body` are shared with the monthly report and the
public share page.
"""

from __future__ import annotations

from typing import Any

import reflex as rx

from pmo_saas.dashboard import services
from pmo_saas.dashboard.pages.pmo_feedback_area import pmo_feedback_body
from pmo_saas.dashboard.schemas import CultureFigure, Dashboard, ResponseRateRow, RiskRow
from pmo_saas.db import cached_in_tenant
from pmo_saas.delivery.plan_schemas import PortfolioDeliveryRow
from pmo_saas.identity.auth_state import AuthState
from pmo_saas.identity.page_state import BusyWork, WorkspacePage, set_changed
from pmo_saas.identity.shell import workspace
from pmo_saas.kernel.context import TenantContext
from pmo_saas.ui.charts import PRIMARY, chart_figure, figures_table, row_cells, series_colour
from pmo_saas.ui.components import card, data_table, error_callout, page_heading
from pmo_saas.ui.dialogs import work_button
from pmo_saas.ui.empty import action_link, empty_state
from pmo_saas.ui.section_nav import dashboard_nav


def _money(amount: int, currency: str) -> str:
    return f"{amount:,} {currency}".strip()


class DashboardView(rx.State, mixin=True):
    """The dashboard's figures as plain values (shared by the workspace, report and share page;
    each brings its own `error`)."""

    loaded: bool = False
    org_name: str = ""
    generated_at: str = ""
    budget_text: str = ""
    funded_text: str = ""
    funded_value: str = ""
    funded_initiatives: int = 0
    budget_used: float = 0.0
    initiatives_total: int = 0
    status_chart: list[dict[str, Any]] = []
    open_risks: int = 0
    risks: list[RiskRow] = []
    maturity_model: str = ""
    maturity_overall: str = ""
    maturity_series: list[dict[str, str]] = []
    maturity_chart: list[dict[str, Any]] = []
    maturity_table: list[dict[str, str]] = []
    teams_total: int = 0
    teams_assessed: int = 0
    teams_percent: float = 0.0
    culture: list[CultureFigure] = []
    pmo_title: str = ""
    pmo_value: str = ""
    pmo_change: str = ""
    pmo_reason: str = ""
    pmo_chart: list[dict[str, Any]] = []
    pmo_table: list[dict[str, str]] = []
    rates: list[ResponseRateRow] = []
    plans_active: int = 0
    plans_on_track: int = 0
    plans_overdue: int = 0
    plans_completed: int = 0
    plans_chart: list[dict[str, Any]] = []
    people: int = 0
    trained: int = 0
    trained_percent: float = 0.0
    delivery_planned: int = 0
    delivery_on_track: int = 0
    delivery_at_risk: int = 0
    delivery_late: int = 0
    delivery_spend_text: str = ""
    delivery_forecast_after: int = 0
    delivery_over_released: int = 0
    delivery_attention: list[PortfolioDeliveryRow] = []

    def _apply(self, d: Dashboard) -> None:
        """Show `d`, setting only what changed (a reload of the same figures sends nothing)."""
        f, m, t, p, tr = d.funding, d.maturity, d.teams_assessed, d.plans, d.training
        dv = d.delivery
        set_changed(
            self,
            loaded=True,
            org_name=d.org_name,
            generated_at=d.generated_at,
            budget_text=_money(f.budget, f.currency),
            funded_text=_money(f.funded_cost, f.currency),
            funded_value=f"{f.funded_value:g}",
            funded_initiatives=f.funded_initiatives,
            budget_used=f.budget_used_percent,
            initiatives_total=d.statuses.total,
            status_chart=[{"status": r.label, "initiatives": r.count} for r in d.statuses.rows],
            open_risks=d.risks.open_risks,
            risks=d.risks.rows,
            maturity_model=m.model,
            maturity_overall="" if m.latest_overall is None else f"{m.latest_overall:.2f}",
            maturity_series=[
                {"name": name, "colour": series_colour(i)} for i, name in enumerate(m.dimensions)
            ],
            maturity_chart=[dict(row) for row in m.chart],
            maturity_table=[
                {
                    "round": point.label,
                    "overall": (
                        f"{sum(point.values.values()) / len(point.values):.2f} ("
                        + ", ".join(f"{k} {v:.2f}" for k, v in point.values.items())
                        + ")"
                        if point.values
                        else "-"
                    ),
                }
                for point in m.points
            ],
            teams_total=t.teams,
            teams_assessed=t.assessed,
            teams_percent=t.percent,
            culture=d.culture.figures,
            pmo_title=d.pmo_feedback.survey_title,
            pmo_value="Hidden" if d.pmo_feedback.value is None else f"{d.pmo_feedback.value:.2f}",
            pmo_change="" if d.pmo_feedback.change is None else f"{d.pmo_feedback.change:+.2f}",
            pmo_reason=d.pmo_feedback.hidden_reason,
            pmo_chart=d.pmo_feedback.chart,
            pmo_table=d.pmo_feedback.table,
            rates=d.response_rates.rows,
            plans_active=p.active,
            plans_on_track=p.on_track,
            plans_overdue=p.overdue,
            plans_completed=p.completed,
            plans_chart=[
                {"plans": "On track", "count": p.on_track},
                {"plans": "Overdue", "count": p.overdue},
                {"plans": "Completed", "count": p.completed},
            ],
            people=tr.people,
            trained=tr.trained,
            trained_percent=tr.percent,
            delivery_planned=dv.planned,
            delivery_on_track=dv.on_track,
            delivery_at_risk=dv.at_risk,
            delivery_late=dv.late,
            delivery_spend_text=(
                f"{_money(dv.spent, f.currency)} of {_money(dv.budget, f.currency)}"
                f" ({dv.spend_percent:g}%)"
            ),
            delivery_forecast_after=dv.forecast_after_plan,
            delivery_over_released=dv.over_released,
            delivery_attention=dv.attention,
        )


class WorkspaceDashboard(WorkspacePage, DashboardView, mixin=True):
    """The figures read for a member of the organisation (the dashboard and the report)."""

    async def _refresh(self, ctx: TenantContext) -> None:
        self._apply(await cached_in_tenant(ctx, services.build_dashboard))

    def _on_failed_load(self) -> None:
        self.loaded = False


class DashboardState(BusyWork, WorkspaceDashboard, rx.State):
    @rx.event
    async def load(self) -> None:
        await self._load()

    @rx.event
    async def download_csv(self, table: str):  # type: ignore[no-untyped-def]
        text = await self._act(services.export_dashboard_csv, refresh=False, table=table)
        if text is None:
            return None
        return rx.download(data=text, filename=f"dashboard-{table}.csv")


# ---------------------------------------------------------------- components


def _stat(label: str, value: Any, detail: Any = "") -> rx.Component:
    return rx.vstack(
        rx.text(label, size="2", color_scheme="gray"),
        rx.text(value, size="6", weight="bold", aria_label=label),
        rx.cond(detail != "", rx.text(detail, size="1", color_scheme="gray")),
        spacing="0",
        align="start",
    )


def _area(title: str, source: str | None, *children: rx.Component) -> rx.Component:
    link = (
        rx.link(
            "Open " + title.lower(),
            href="/o/" + AuthState.org_slug + source,
            size="2",
        )
        if source
        else rx.fragment()
    )
    return rx.el.section(
        card(
            rx.hstack(rx.heading(title, size="5", as_="h2"), rx.spacer(), link, width="100%"),
            *children,
            width="100%",
        ),
        aria_label=title,
        style={"width": "100%"},
    )


def _csv_button(table: str, label: str, with_csv: bool) -> rx.Component:
    if not with_csv:
        return rx.fragment()
    return work_button(
        f"{label[:1].upper()}{label[1:]} (CSV)",
        state=DashboardState,
        work=f"export-{table}",
        run=DashboardState.download_csv(table),
        variant="soft",
        size="1",
        aria_label=f"Download {label} as CSV",
    )


def _portfolio_area(s: type[DashboardView], links: bool) -> rx.Component:
    return _area(
        "Portfolio",
        "/portfolio" if links else None,
        rx.hstack(
            _stat("Budget", s.budget_text),
            _stat("Funded", s.funded_text, s.funded_initiatives.to_string() + " initiatives"),
            _stat("Value funded", s.funded_value, "score points of the published plan"),
            _stat("Budget used", s.budget_used.to_string() + "%"),
            _stat("Initiatives", s.initiatives_total),
            spacing="6",
            wrap="wrap",
        ),
        # Horizontal bars: the status names sit on their own lines and never overlap.
        chart_figure(
            "Initiatives by status",
            rx.recharts.bar_chart(
                rx.recharts.bar(
                    data_key="initiatives",
                    fill=PRIMARY,
                    name="Initiatives",
                    is_animation_active=False,
                ),
                rx.recharts.x_axis(type_="number", allow_decimals=False),
                rx.recharts.y_axis(
                    data_key="status", type_="category", width=120, interval=0, font_size=12
                ),
                rx.recharts.graphing_tooltip(),
                data=s.status_chart,
                layout="vertical",
                width="100%",
                height=rx.cond(s.status_chart.length() > 6, 300, 220),
            ),
            figures_table(
                ["Status", "Initiatives"], s.status_chart, row_cells("status", "initiatives")
            ),
        ),
        rx.hstack(
            rx.heading("Top risks", size="3", as_="h3"),
            rx.text(s.open_risks.to_string() + " open", size="2", color_scheme="gray"),
            rx.spacer(),
            _csv_button("risks", "top risks", links),
            _csv_button("statuses", "initiatives by status", links),
            width="100%",
            align="center",
        ),
        data_table(
            "Top risks",
            ["Risk", "Initiative", "Exposure", "Status", "Owner"],
            s.risks,
            lambda r: rx.table.row(
                rx.table.cell(r.title),
                rx.table.cell(r.initiative),
                rx.table.cell(r.exposure),
                rx.table.cell(r.status),
                rx.table.cell(r.owner),
            ),
            size="1",
        ),
    )


def _transformation_area(s: type[DashboardView], links: bool) -> rx.Component:
    return _area(
        "Transformation",
        "/assessments" if links else None,
        rx.hstack(
            _stat(
                "Teams assessed",
                s.teams_assessed.to_string() + " of " + s.teams_total.to_string(),
                "in the last 12 months",
            ),
            _stat("Latest maturity", s.maturity_overall, s.maturity_model),
            spacing="6",
            wrap="wrap",
        ),
        rx.cond(
            s.maturity_chart.length() > 0,
            chart_figure(
                "Maturity trend by dimension",
                _maturity_chart(s),
                figures_table(
                    ["Round", "Overall (mean of dimensions)"],
                    s.maturity_table,
                    row_cells("round", "overall"),
                ),
            ),
            _area_empty(
                "No maturity round yet",
                "Once a maturity assessment round closes, each dimension's trend shows here.",
                ("Start an assessment round", "/assessments") if links else None,
            ),
        ),
        rx.hstack(rx.spacer(), _csv_button("maturity", "maturity trend", links), width="100%"),
    )


def _maturity_chart(s: type[DashboardView]) -> rx.Component:
    return rx.recharts.line_chart(
        rx.foreach(
            s.maturity_series,
            lambda series: rx.recharts.line(
                data_key=series["name"],
                name=series["name"],
                stroke=series["colour"],
                type_="monotone",
                is_animation_active=False,
            ),
        ),
        rx.recharts.x_axis(data_key="round"),
        rx.recharts.y_axis(domain=[1, 5]),
        rx.recharts.legend(),
        rx.recharts.graphing_tooltip(),
        data=s.maturity_chart,
        width="100%",
        height=260,
    )


def _area_empty(name: str, purpose: str, action: tuple[str, str] | None) -> rx.Component:
    link = action_link(action[0], "/o/" + AuthState.org_slug + action[1]) if action else None
    return empty_state(name, purpose, link, icon="chart-no-axes-column")


def _nothing_yet(s: type[DashboardView], links: bool) -> rx.Component:
    """A new organisation's dashboard: what it will show and where its figures come from."""
    return rx.cond(
        (s.initiatives_total == 0)
        & (s.culture.length() == 0)
        & (s.maturity_chart.length() == 0)
        & (s.plans_active == 0),
        empty_state(
            "Nothing to show yet",
            "This dashboard gathers the portfolio's budget and risks, the teams' maturity, "
            "culture surveys and coaching plans. Its figures appear as you create a portfolio, "
            "run an assessment or launch a survey.",
            (
                action_link("Create a portfolio", "/o/" + AuthState.org_slug + "/portfolio")
                if links
                else None
            ),
            icon="layout-dashboard",
        ),
    )


def _culture_figure(f: rx.Var) -> rx.Component:
    return card(
        rx.text(f.label, size="2", color_scheme="gray"),
        rx.cond(
            f.value,
            rx.text(f.value.to_string(), size="7", weight="bold", aria_label=f.label),
            rx.text("Hidden", size="5", weight="bold", aria_label=f.label),
        ),
        rx.cond(f.hidden_reason != "", rx.text(f.hidden_reason, size="1")),
        rx.cond(
            f.change,
            rx.text("Change since the previous round: ", f.change.to_string(), size="1"),
        ),
        rx.text(f.survey_title, size="1", color_scheme="gray"),
        chart_figure(
            "Round by round: " + f.survey_title,
            rx.recharts.line_chart(
                rx.recharts.line(
                    data_key="value", stroke=PRIMARY, name=f.label, is_animation_active=False
                ),
                rx.recharts.x_axis(data_key="round"),
                # the headline's own scale: Westrum 1-7 (not 8), eNPS -100..100
                rx.recharts.y_axis(
                    domain=rx.cond(f.instrument == "westrum", [1, 7], [-100, 100]),
                    width=40,
                ),
                rx.recharts.graphing_tooltip(),
                data=f.trend,
                width=260,
                height=120,
            ),
            figures_table(["Round", f.label], f.trend, row_cells("round", "value")),
        ),
    )


def response_rates_table(s: type[DashboardView]) -> rx.Component:
    return data_table(
        "Response rates",
        ["Survey", "Invited", "Answered", "Rate"],
        s.rates,
        lambda r: rx.table.row(
            rx.table.cell(r.survey),
            rx.table.cell(r.invited),
            rx.table.cell(r.answered),
            rx.table.cell(r.rate.to_string() + "%"),
        ),
        size="1",
    )


def _culture_area(s: type[DashboardView], links: bool) -> rx.Component:
    return _area(
        "Culture",
        "/surveys" if links else None,
        rx.cond(
            s.culture.length() > 0,
            rx.hstack(rx.foreach(s.culture, _culture_figure), spacing="4", wrap="wrap"),
            _area_empty(
                "No Westrum or eNPS figure yet",
                "The latest Westrum culture score and eNPS, with their trends, show here once "
                "such a survey has closed.",
                ("Launch a survey", "/surveys") if links else None,
            ),
        ),
        rx.hstack(
            rx.heading("Response rates", size="3", as_="h3"),
            rx.spacer(),
            _csv_button("response_rates", "response rates", links),
            width="100%",
        ),
        response_rates_table(s),
    )


def _coaching_area(s: type[DashboardView], links: bool) -> rx.Component:
    return _area(
        "Coaching",
        "/coaching" if links else None,
        rx.hstack(
            _stat("Active plans", s.plans_active),
            _stat("Plans on track", s.plans_on_track),
            _stat("Plans overdue", s.plans_overdue),
            _stat(
                "Training coverage",
                s.trained_percent.to_string() + "%",
                s.trained.to_string() + " of " + s.people.to_string() + " team members",
            ),
            spacing="6",
            wrap="wrap",
        ),
        chart_figure(
            "Coaching plans by state",
            rx.recharts.bar_chart(
                rx.recharts.bar(
                    data_key="count", fill=PRIMARY, name="Plans", is_animation_active=False
                ),
                rx.recharts.x_axis(data_key="plans", interval=0),
                rx.recharts.y_axis(allow_decimals=False),
                rx.recharts.graphing_tooltip(),
                data=s.plans_chart,
                width="100%",
                height=180,
            ),
            figures_table(["Plans", "Count"], s.plans_chart, row_cells("plans", "count")),
        ),
    )


def delivery_attention_table(s: type[DashboardView]) -> rx.Component:
    return data_table(
        "Delivery needing attention",
        ["Initiative", "Delivery", "RAG", "Reason", "Planned end", "Forecast (85%)"],
        s.delivery_attention,
        lambda r: rx.table.row(
            rx.table.cell(r.title),
            rx.table.cell(r.delivery_label),
            rx.table.cell(r.rag),
            rx.table.cell(r.rag_reason),
            rx.table.cell(r.planned_end),
            rx.table.cell(r.forecast_85),
        ),
        size="1",
        empty="Every funded initiative is on track.",
    )


def _delivery_area(s: type[DashboardView], links: bool) -> rx.Component:
    return _area(
        "Delivery",
        "/portfolio" if links else None,
        rx.hstack(
            _stat("Funded initiatives", s.delivery_planned),
            _stat("On track", s.delivery_on_track),
            _stat("At risk", s.delivery_at_risk),
            _stat("Late", s.delivery_late),
            _stat("Spend vs budget", s.delivery_spend_text),
            _stat("Forecast after plan", s.delivery_forecast_after, "agile, 85% forecast"),
            _stat("Spend beyond released", s.delivery_over_released, "initiatives"),
            spacing="6",
            wrap="wrap",
        ),
        delivery_attention_table(s),
        rx.hstack(rx.spacer(), _csv_button("delivery", "delivery figures", links), width="100%"),
    )


def dashboard_body(s: type[DashboardView], *, links: bool) -> rx.Component:
    return rx.vstack(
        error_callout(s.error),
        rx.cond(
            s.loaded,
            rx.vstack(
                rx.text("Figures as of ", s.generated_at, size="1", color_scheme="gray"),
                _nothing_yet(s, links),
                rx.grid(
                    _portfolio_area(s, links),
                    _transformation_area(s, links),
                    _culture_area(s, links),
                    _area(
                        "Feedback on the PMO",
                        "/improvement" if links else None,
                        pmo_feedback_body(s),
                        rx.hstack(rx.spacer(), _csv_button("pmo_feedback", "PMO feedback", links)),
                    ),
                    _coaching_area(s, links),
                    _delivery_area(s, links),
                    columns=rx.breakpoints(initial="1", lg="2"),
                    spacing="4",
                    width="100%",
                ),
                width="100%",
                align="start",
            ),
        ),
        width="100%",
        align="start",
    )


@rx.page(
    route="/o/[slug]/dashboard",
    title="Dashboard",
    on_load=[AuthState.load_workspace, DashboardState.load],
)
@workspace
def dashboard_page() -> rx.Component:
    return rx.vstack(
        page_heading("Executive dashboard", "Portfolio, transformation, culture and coaching."),
        dashboard_nav(),
        dashboard_body(DashboardState, links=True),
        width="100%",
        align="start",
    )
