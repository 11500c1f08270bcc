"""Dashboard pages: the executive dashboard, its monthly report, governance, sharing, API keys,
and the public `/shared` view opened by a `/share/<token>` link (the dashboard alone, for
people without an account).
"""

from __future__ import annotations

import json
from typing import Any

import reflex as rx
from reflex.event import EventSpec

from pmo_saas.dashboard import apikeys, governance, services, share
from pmo_saas.dashboard.http import SHARE_COOKIE, SHARED_PAGE
from pmo_saas.dashboard.schemas import (
    ApiKeyRow,
    CultureFigure,
    Dashboard,
    DecisionRow,
    GateReviewRow,
    LifecycleRow,
    ResponseRateRow,
    RiskRow,
    ShareLinkRow,
    StageStep,
)
from pmo_saas.db import in_tenant, run_sync
from pmo_saas.identity.auth_state import (
    AuthState,
    backend_url,
    handshake_cookie_header,
    tenant_context,
)
from pmo_saas.identity.shell import workspace
from pmo_saas.kernel.errors import DomainError
from pmo_saas.kernel.roles import Role
from pmo_saas.security_headers import cookie_value
from pmo_saas.ui.components import card, error_callout, field, info_callout, page_heading

NEW_KEY_ID = "new-api-key"
NEW_LINK_ID = "new-share-link"


def reveal_once(element_id: str, secret: str) -> EventSpec:
    """Show a new secret once without a state var: it travels in this event only.

    Vars are persisted by the state store (disk, Redis); an event's script is sent to the
    browser and kept nowhere. The script writes the value into the element (which the
    state's flag mounts) once React has rendered it.
    """
    return rx.call_script(
        "(() => { let n = 0; const put = () => {"
        f"const el = document.getElementById({json.dumps(element_id)});"
        f"if (el) {{ el.textContent = {json.dumps(secret)}; }}"
        "else if (n++ < 250) { setTimeout(put, 20); } }; put(); })()"
    )


PALETTE = ["#3e63dd", "#e5484d", "#30a46c", "#f76b15", "#8e4ec6", "#12a594", "#ffc53d", "#d6409f"]


def _money(amount: int, currency: str) -> str:
    return f"{amount:,} {currency}".strip()


class DashboardView(rx.State, mixin=True):
    """The dashboard's figures as plain values (shared by the workspace and the share page)."""

    loaded: bool = False
    error: str = ""
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
    teams_total: int = 0
    teams_assessed: int = 0
    teams_percent: float = 0.0
    culture: list[CultureFigure] = []
    rates: list[ResponseRateRow] = []
    plans_active: int = 0
    plans_on_track: int = 0
    plans_overdue: int = 0
    plans_completed: int = 0
    plans_chart: list[dict[str, Any]] = []
    people: int = 0
    trained: int = 0
    trained_percent: float = 0.0

    def _apply(self, d: Dashboard) -> None:
        self.loaded = True
        self.org_name, self.generated_at = d.org_name, d.generated_at
        f = d.funding
        self.budget_text = _money(f.budget, f.currency)
        self.funded_text = _money(f.funded_cost, f.currency)
        self.funded_value = f"{f.funded_value:g}"
        self.funded_initiatives = f.funded_initiatives
        self.budget_used = f.budget_used_percent
        self.initiatives_total = d.statuses.total
        self.status_chart = [{"status": r.label, "initiatives": r.count} for r in d.statuses.rows]
        self.open_risks, self.risks = d.risks.open_risks, d.risks.rows
        m = d.maturity
        self.maturity_model = m.model
        self.maturity_overall = "" if m.latest_overall is None else f"{m.latest_overall:.2f}"
        self.maturity_series = [
            {"name": name, "colour": PALETTE[i % len(PALETTE)]}
            for i, name in enumerate(m.dimensions)
        ]
        self.maturity_chart = [dict(row) for row in m.chart]
        t = d.teams_assessed
        self.teams_total, self.teams_assessed, self.teams_percent = t.teams, t.assessed, t.percent
        self.culture, self.rates = d.culture.figures, d.response_rates.rows
        p = d.plans
        self.plans_active, self.plans_on_track = p.active, p.on_track
        self.plans_overdue, self.plans_completed = p.overdue, p.completed
        self.plans_chart = [
            {"plans": "On track", "count": p.on_track},
            {"plans": "Overdue", "count": p.overdue},
            {"plans": "Completed", "count": p.completed},
        ]
        tr = d.training
        self.people, self.trained, self.trained_percent = tr.people, tr.trained, tr.percent


class DashboardState(DashboardView, rx.State):
    @rx.event
    async def load(self) -> None:
        self.error = ""
        try:
            ctx = await tenant_context(self)
            self._apply(await in_tenant(ctx, services.build_dashboard))
        except DomainError as error:
            self.loaded = False
            self.error = str(error)

    @rx.event
    async def download_csv(self, table: str):  # type: ignore[no-untyped-def]
        self.error = ""
        try:
            ctx = await tenant_context(self)
            text = await in_tenant(ctx, services.export_dashboard_csv, table=table)
        except DomainError as error:
            self.error = str(error)
            return None
        return rx.download(data=text, filename=f"dashboard-{table}.csv")


class SharedDashboardState(DashboardView, rx.State):
    """The public view: nothing but the figures is loaded. The token comes from the
    HttpOnly cookie `/share/<token>` set (dashboard.http), read from the websocket handshake
    like the session: never from the URL, never in a var."""

    @rx.event
    async def load(self) -> None:
        self.error = ""
        token = cookie_value(handshake_cookie_header(self.router.session.session_id), SHARE_COOKIE)
        try:
            self._apply(await run_sync(share.shared_dashboard, token=token))
        except DomainError:
            self.loaded = False
            self.error = "This dashboard link is not valid: it may have expired or been revoked."


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
    return rx.button(
        rx.icon("download", size=14),
        f"{label[:1].upper()}{label[1:]} (CSV)",
        variant="soft",
        size="1",
        aria_label=f"Download {label} as CSV",
        on_click=DashboardState.download_csv(table),
    )


def _table(label: str, headers: list[str], rows: rx.Var, row: Any) -> rx.Component:
    return rx.el.section(
        rx.table.root(
            rx.table.header(
                rx.table.row(*[rx.table.column_header_cell(h) for h in headers]),
            ),
            rx.table.body(rx.foreach(rows, row)),
            width="100%",
            size="1",
        ),
        aria_label=label,
        style={"width": "100%"},
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
        rx.recharts.bar_chart(
            rx.recharts.bar(
                data_key="initiatives",
                fill="#3e63dd",
                name="Initiatives",
                is_animation_active=False,
            ),
            rx.recharts.x_axis(data_key="status", interval=0, font_size=11),
            rx.recharts.y_axis(allow_decimals=False),
            rx.recharts.graphing_tooltip(),
            data=s.status_chart,
            width="100%",
            height=220,
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
        _table(
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
            rx.recharts.line_chart(
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
            ),
            rx.text("No closed maturity round yet.", color_scheme="gray"),
        ),
        rx.hstack(rx.spacer(), _csv_button("maturity", "maturity trend", links), width="100%"),
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
        rx.recharts.line_chart(
            rx.recharts.line(
                data_key="value", stroke="#30a46c", name=f.label, is_animation_active=False
            ),
            rx.recharts.x_axis(data_key="round"),
            rx.recharts.y_axis(),
            rx.recharts.graphing_tooltip(),
            data=f.trend,
            width=260,
            height=120,
        ),
    )


def _culture_area(s: type[DashboardView], links: bool) -> rx.Component:
    return _area(
        "Culture",
        "/surveys" if links else None,
        rx.cond(
            s.culture.length() > 0,
            rx.hstack(rx.foreach(s.culture, _culture_figure), spacing="4", wrap="wrap"),
            rx.text("No Westrum or eNPS survey yet.", color_scheme="gray"),
        ),
        rx.hstack(
            rx.heading("Response rates", size="3", as_="h3"),
            rx.spacer(),
            _csv_button("response_rates", "response rates", links),
            width="100%",
        ),
        _table(
            "Response rates",
            ["Survey", "Invited", "Answered", "Rate"],
            s.rates,
            lambda r: rx.table.row(
                rx.table.cell(r.survey),
                rx.table.cell(r.invited),
                rx.table.cell(r.answered),
                rx.table.cell(r.rate.to_string() + "%"),
            ),
        ),
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
        rx.recharts.bar_chart(
            rx.recharts.bar(
                data_key="count", fill="#8e4ec6", name="Plans", is_animation_active=False
            ),
            rx.recharts.x_axis(data_key="plans"),
            rx.recharts.y_axis(allow_decimals=False),
            rx.recharts.graphing_tooltip(),
            data=s.plans_chart,
            width="100%",
            height=180,
        ),
    )


def dashboard_body(s: type[DashboardView], *, links: bool) -> rx.Component:
    return rx.vstack(
        error_callout(s.error),
        rx.cond(
            s.loaded,
            rx.vstack(
                rx.text("Figures as of ", s.generated_at, size="1", color_scheme="gray"),
                rx.grid(
                    _portfolio_area(s, links),
                    _transformation_area(s, links),
                    _culture_area(s, links),
                    _coaching_area(s, links),
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


def _subnav() -> rx.Component:
    base = "/o/" + AuthState.org_slug + "/dashboard"
    return rx.el.nav(
        rx.hstack(
            rx.link("Dashboard", href=base),
            rx.link("Monthly report", href=base + "/report"),
            rx.link("Governance", href=base + "/governance"),
            rx.cond(
                AuthState.is_admin,
                rx.hstack(
                    rx.link("Share links", href=base + "/sharing"),
                    rx.link("API keys", href=base + "/api-keys"),
                    spacing="4",
                ),
            ),
            spacing="4",
        ),
        aria_label="Dashboard pages",
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
        _subnav(),
        dashboard_body(DashboardState, links=True),
        width="100%",
        align="start",
    )


# ---------------------------------------------------------------- monthly report


class ReportState(DashboardView, rx.State):
    month: str = ""

    @rx.event
    async def load(self) -> None:
        self.error = ""
        self.month = services.month_label()
        try:
            ctx = await tenant_context(self)
            self._apply(await in_tenant(ctx, services.build_dashboard))
        except DomainError as error:
            self.loaded = False
            self.error = str(error)


def _report_row(label: str, value: Any) -> rx.Component:
    return rx.table.row(rx.table.row_header_cell(label), rx.table.cell(value))


@rx.page(
    route="/o/[slug]/dashboard/report",
    title="Monthly report",
    on_load=[AuthState.load_workspace, ReportState.load],
)
def report_page() -> rx.Component:
    s = ReportState
    return rx.box(
        rx.vstack(
            rx.hstack(
                rx.heading("Monthly report: ", s.org_name, size="7", as_="h1"),
                rx.spacer(),
                rx.button(
                    "Print", on_click=rx.call_script("window.print()"), class_name="no-print"
                ),
                width="100%",
            ),
            rx.text(s.month, " · figures as of ", s.generated_at, color_scheme="gray"),
            error_callout(s.error),
            rx.el.section(
                rx.table.root(
                    rx.table.body(
                        _report_row("Budget", s.budget_text),
                        _report_row("Funded (published plan)", s.funded_text),
                        _report_row("Budget used", s.budget_used.to_string() + "%"),
                        _report_row("Initiatives", s.initiatives_total),
                        _report_row("Open risks", s.open_risks),
                        _report_row(
                            "Teams assessed",
                            s.teams_assessed.to_string() + " of " + s.teams_total.to_string(),
                        ),
                        _report_row("Latest maturity", s.maturity_overall),
                        _report_row("Active coaching plans", s.plans_active),
                        _report_row("Plans overdue", s.plans_overdue),
                        _report_row("Training coverage", s.trained_percent.to_string() + "%"),
                    ),
                    width="100%",
                ),
                aria_label="Key figures",
                style={"width": "100%"},
            ),
            rx.heading("Culture", size="4", as_="h2"),
            rx.foreach(
                s.culture,
                lambda f: rx.text(
                    f.label,
                    ": ",
                    rx.cond(f.value, f.value.to_string(), "hidden"),
                    " (",
                    f.survey_title,
                    ")",
                ),
            ),
            rx.heading("Top risks", size="4", as_="h2"),
            _table(
                "Top risks",
                ["Risk", "Initiative", "Exposure", "Status"],
                s.risks,
                lambda r: rx.table.row(
                    rx.table.cell(r.title),
                    rx.table.cell(r.initiative),
                    rx.table.cell(r.exposure),
                    rx.table.cell(r.status),
                ),
            ),
            rx.heading("Response rates", size="4", as_="h2"),
            _table(
                "Response rates",
                ["Survey", "Invited", "Answered", "Rate"],
                s.rates,
                lambda r: rx.table.row(
                    rx.table.cell(r.survey),
                    rx.table.cell(r.invited),
                    rx.table.cell(r.answered),
                    rx.table.cell(r.rate.to_string() + "%"),
                ),
            ),
            rx.el.style("@media print { .no-print { display: none !important; } }"),
            width="100%",
            max_width="900px",
            align="start",
            spacing="3",
        ),
        padding="2em",
    )


# ---------------------------------------------------------------- share page (public)


@rx.page(route=SHARED_PAGE, title="Dashboard", on_load=SharedDashboardState.load)
def shared_dashboard_page() -> rx.Component:
    s = SharedDashboardState
    return rx.box(
        rx.vstack(
            rx.heading(
                rx.cond(s.loaded, s.org_name + ": dashboard", "Shared dashboard"),
                size="7",
                as_="h1",
            ),
            rx.cond(s.loaded, rx.text("A read-only view shared with you.", color_scheme="gray")),
            dashboard_body(s, links=False),
            width="100%",
            align="start",
        ),
        padding="2em",
    )


# ---------------------------------------------------------------- share-link management


class SharingState(rx.State):
    rows: list[ShareLinkRow] = []
    # The label of the link just created (its URL is revealed by an event, never kept).
    new_link_label: str = ""
    error: str = ""
    notice: str = ""

    async def _refresh(self) -> None:
        ctx = await tenant_context(self, Role.ADMIN)
        self.rows = await in_tenant(ctx, share.list_share_links)

    @rx.event
    async def load(self) -> None:
        self.error = self.notice = self.new_link_label = ""
        try:
            await self._refresh()
        except DomainError as error:
            self.rows = []
            self.error = str(error)

    @rx.event
    async def create(self, form: dict):  # type: ignore[no-untyped-def]
        self.error = self.notice = self.new_link_label = ""
        try:
            ctx = await tenant_context(self, Role.ADMIN)
            created = await in_tenant(
                ctx,
                share.create_share_link,
                label=form.get("label", ""),
                days=form.get("days", "30") or "30",
            )
            self.new_link_label = created.row.label
            self.notice = "Link created. Copy it now: it is shown only once."
            await self._refresh()
        except DomainError as error:
            self.error = str(error)
            return None
        return reveal_once(NEW_LINK_ID, backend_url(created.path))  # dashboard.http opens it

    @rx.event
    async def revoke(self, link_id: int) -> None:
        self.error = self.notice = self.new_link_label = ""
        try:
            ctx = await tenant_context(self, Role.ADMIN)
            await in_tenant(ctx, share.revoke_share_link, link_id=int(link_id))
            self.notice = "Link revoked: it no longer opens the dashboard."
            await self._refresh()
        except DomainError as error:
            self.error = str(error)


@rx.page(
    route="/o/[slug]/dashboard/sharing",
    title="Share links",
    on_load=[AuthState.load_workspace, SharingState.load],
)
@workspace
def sharing_page() -> rx.Component:
    return rx.vstack(
        page_heading(
            "Share links", "Read-only links to the dashboard for people without an account."
        ),
        _subnav(),
        error_callout(SharingState.error),
        info_callout(SharingState.notice),
        rx.cond(
            SharingState.new_link_label != "",
            card(
                rx.text("The new link (shown once):", weight="bold"),
                rx.code(id=NEW_LINK_ID, aria_label="New share link"),
                width="100%",
            ),
        ),
        card(
            rx.form(
                rx.hstack(
                    field("Who is it for", "label", placeholder="Board, December"),
                    field("Days valid", "days", type="number", default_value="30"),
                    rx.button("Create link", type="submit"),
                    align="end",
                    width="100%",
                ),
                on_submit=SharingState.create,
                reset_on_submit=True,
                width="100%",
            ),
            width="100%",
        ),
        _table(
            "Share links",
            ["For", "Link starts", "Created", "Expires", "Status", "Views", ""],
            SharingState.rows,
            lambda r: rx.table.row(
                rx.table.cell(r.label),
                rx.table.cell(r.prefix + "…"),
                rx.table.cell(r.created_at),
                rx.table.cell(r.expires_at),
                rx.table.cell(r.status),
                rx.table.cell(r.views),
                rx.table.cell(
                    rx.cond(
                        r.status == "active",
                        rx.button(
                            "Revoke",
                            size="1",
                            color_scheme="red",
                            variant="soft",
                            aria_label="Revoke link for " + r.label,
                            on_click=SharingState.revoke(r.id),
                        ),
                    )
                ),
            ),
        ),
        width="100%",
        align="start",
    )


# ---------------------------------------------------------------- API keys


class ApiKeysState(rx.State):
    rows: list[ApiKeyRow] = []
    # The name of the key just created (the key itself is revealed by an event, never kept).
    new_key_name: str = ""
    error: str = ""
    notice: str = ""

    async def _refresh(self) -> None:
        ctx = await tenant_context(self, Role.ADMIN)
        self.rows = await in_tenant(ctx, apikeys.list_api_keys)

    @rx.event
    async def load(self) -> None:
        self.error = self.notice = self.new_key_name = ""
        try:
            await self._refresh()
        except DomainError as error:
            self.rows = []
            self.error = str(error)

    @rx.event
    async def create(self, form: dict):  # type: ignore[no-untyped-def]
        self.error = self.notice = self.new_key_name = ""
        scope = "read_write" if form.get("scope") == "Read and write" else "read"
        try:
            ctx = await tenant_context(self, Role.ADMIN)
            created = await in_tenant(
                ctx, apikeys.create_api_key, name=form.get("name", ""), scope=scope
            )
            self.new_key_name = created.row.name
            self.notice = "Key created. Copy it now: it will not be shown again."
            await self._refresh()
        except DomainError as error:
            self.error = str(error)
            return None
        return reveal_once(NEW_KEY_ID, created.key)  # only its hash is stored

    @rx.event
    async def revoke(self, key_id: int) -> None:
        self.error = self.notice = self.new_key_name = ""
        try:
            ctx = await tenant_context(self, Role.ADMIN)
            await in_tenant(ctx, apikeys.revoke_api_key, key_id=int(key_id))
            self.notice = "Key revoked: requests with it are refused from now on."
            await self._refresh()
        except DomainError as error:
            self.error = str(error)


@rx.page(
    route="/o/[slug]/dashboard/api-keys",
    title="API keys",
    on_load=[AuthState.load_workspace, ApiKeysState.load],
)
@workspace
def api_keys_page() -> rx.Component:
    return rx.vstack(
        page_heading(
            "API keys",
            "Keys for other tools to read (or write) this organisation's data through /api/v1.",
        ),
        _subnav(),
        error_callout(ApiKeysState.error),
        info_callout(ApiKeysState.notice),
        rx.cond(
            ApiKeysState.new_key_name != "",
            card(
                rx.text("The new key (shown once):", weight="bold"),
                rx.code(id=NEW_KEY_ID, aria_label="New API key"),
                rx.text(
                    "Send it as the header Authorization: Bearer <key>. "
                    "The API is described at /api/v1/openapi.json.",
                    size="1",
                ),
                width="100%",
            ),
        ),
        card(
            rx.form(
                rx.hstack(
                    field("Key name", "name", placeholder="Power BI"),
                    rx.vstack(
                        rx.el.label("Access", html_for="field-scope", class_name="pmo-label"),
                        rx.el.select(
                            rx.el.option("Read only", value="Read only"),
                            rx.el.option("Read and write", value="Read and write"),
                            id="field-scope",
                            name="scope",
                            class_name="pmo-select",
                        ),
                        spacing="1",
                        align="start",
                    ),
                    rx.button("Create key", type="submit"),
                    align="end",
                    width="100%",
                ),
                on_submit=ApiKeysState.create,
                reset_on_submit=True,
                width="100%",
            ),
            width="100%",
        ),
        _table(
            "API keys",
            ["Name", "Key starts", "Access", "Created by", "Created", "Last used", ""],
            ApiKeysState.rows,
            lambda r: rx.table.row(
                rx.table.cell(r.name),
                rx.table.cell(r.prefix + "…"),
                rx.table.cell(rx.cond(r.scope == "read", "Read only", "Read and write")),
                rx.table.cell(r.created_by),
                rx.table.cell(r.created_at),
                rx.table.cell(r.last_used_at),
                rx.table.cell(
                    rx.cond(
                        r.revoked,
                        rx.text("Revoked", color_scheme="gray"),
                        rx.button(
                            "Revoke",
                            size="1",
                            color_scheme="red",
                            variant="soft",
                            aria_label="Revoke key " + r.name,
                            on_click=ApiKeysState.revoke(r.id),
                        ),
                    )
                ),
            ),
        ),
        width="100%",
        align="start",
    )


# ---------------------------------------------------------------- governance


class GovernanceIndexState(rx.State):
    rows: list[LifecycleRow] = []
    error: str = ""

    @rx.event
    async def download_csv(self):  # type: ignore[no-untyped-def]
        try:
            ctx = await tenant_context(self)
            text = await in_tenant(ctx, governance.export_governance_csv)
        except DomainError as error:
            self.error = str(error)
            return None
        return rx.download(data=text, filename="governance.csv")

    @rx.event
    async def load(self) -> None:
        self.error = ""
        try:
            ctx = await tenant_context(self)
            self.rows = await in_tenant(ctx, governance.governance_overview)
        except DomainError as error:
            self.rows = []
            self.error = str(error)


@rx.page(
    route="/o/[slug]/dashboard/governance",
    title="Governance",
    on_load=[AuthState.load_workspace, GovernanceIndexState.load],
)
@workspace
def governance_index_page() -> rx.Component:
    base = "/o/" + AuthState.org_slug + "/dashboard/governance/"
    return rx.vstack(
        page_heading("Governance", "Where each initiative stands in its DSDM lifecycle."),
        _subnav(),
        error_callout(GovernanceIndexState.error),
        rx.button(
            "Download CSV",
            variant="soft",
            size="1",
            aria_label="Download initiative lifecycles as CSV",
            on_click=GovernanceIndexState.download_csv,
        ),
        _table(
            "Initiative lifecycles",
            ["Initiative", "Portfolio", "Stage", "Status"],
            GovernanceIndexState.rows,
            lambda r: rx.table.row(
                rx.table.cell(rx.link(r.title, href=base + r.initiative_id.to_string())),
                rx.table.cell(r.portfolio),
                rx.table.cell(r.stage_label),
                rx.table.cell(r.status),
            ),
        ),
        width="100%",
        align="start",
    )


DECISION_BY_LABEL = {label: key for key, label in governance.DECISIONS.items()}


class GovernanceState(rx.State):
    title: str = ""
    stage_label: str = ""
    status: str = ""
    steps: list[StageStep] = []
    reviews: list[GateReviewRow] = []
    decisions: list[DecisionRow] = []
    decision_options: list[str] = []
    error: str = ""
    notice: str = ""

    def _initiative_id(self) -> int:
        raw = self.router.url.path.rstrip("/").rsplit("/", 1)[-1]
        return int(raw) if raw.isdigit() and len(raw) < 10 else 0

    async def _refresh(self) -> None:
        ctx = await tenant_context(self)
        g = await in_tenant(ctx, governance.get_governance, initiative_id=self._initiative_id())
        self.title, self.stage_label, self.status = g.initiative_title, g.stage_label, g.status
        self.steps, self.reviews, self.decisions = g.steps, g.reviews, g.decisions
        self.decision_options = [governance.DECISIONS[k] for k in g.allowed_decisions]

    @rx.event
    async def load(self) -> None:
        self.error = self.notice = ""
        try:
            await self._refresh()
        except DomainError as error:
            self.title = ""
            self.error = str(error)

    @rx.event
    async def download_csv(self):  # type: ignore[no-untyped-def]
        try:
            ctx = await tenant_context(self)
            text = await in_tenant(
                ctx, governance.export_governance_csv, initiative_id=self._initiative_id()
            )
        except DomainError as error:
            self.error = str(error)
            return None
        return rx.download(data=text, filename="governance-decisions.csv")

    @rx.event
    async def record_review(self, form: dict) -> None:
        self.error = self.notice = ""
        try:
            ctx = await tenant_context(self, Role.COACH)
            await in_tenant(
                ctx,
                governance.record_gate_review,
                initiative_id=self._initiative_id(),
                decision=DECISION_BY_LABEL.get(form.get("decision", ""), ""),
                decided_on=form.get("decided_on", ""),
                approvers=form.get("approvers", ""),
                conditions=form.get("conditions", ""),
            )
            self.notice = "Gate review recorded."
            await self._refresh()
        except DomainError as error:
            self.error = str(error)

    @rx.event
    async def log_decision(self, form: dict) -> None:
        self.error = self.notice = ""
        try:
            ctx = await tenant_context(self, Role.COACH)
            await in_tenant(
                ctx,
                governance.log_decision,
                initiative_id=self._initiative_id(),
                title=form.get("title", ""),
                decided_on=form.get("logged_on", ""),
                decided_by=form.get("decided_by", ""),
                rationale=form.get("rationale", ""),
            )
            self.notice = "Decision logged."
            await self._refresh()
        except DomainError as error:
            self.error = str(error)


def _step(step: rx.Var) -> rx.Component:
    return rx.badge(
        step.label,
        color_scheme=rx.match(step.state, ("done", "green"), ("current", "blue"), "gray"),
        variant=rx.cond(step.state == "current", "solid", "soft"),
        size="2",
    )


@rx.page(
    route="/o/[slug]/dashboard/governance/[initiative_id]",
    title="Initiative governance",
    on_load=[AuthState.load_workspace, GovernanceState.load],
)
@workspace
def governance_page() -> rx.Component:
    s = GovernanceState
    return rx.vstack(
        page_heading("Governance"),
        _subnav(),
        rx.heading(s.title, size="5", as_="h2"),
        error_callout(s.error),
        info_callout(s.notice),
        rx.el.section(
            rx.hstack(rx.foreach(s.steps, _step), spacing="2", wrap="wrap"),
            aria_label="Lifecycle",
        ),
        rx.text("Stage: ", s.stage_label, " · status: ", s.status),
        rx.cond(
            AuthState.is_coach & (s.decision_options.length() > 0),
            card(
                rx.heading("Gate review of the current stage", size="3", as_="h3"),
                rx.form(
                    rx.vstack(
                        rx.vstack(
                            rx.el.label(
                                "Gate decision", html_for="field-decision", class_name="pmo-label"
                            ),
                            rx.el.select(
                                rx.foreach(s.decision_options, lambda o: rx.el.option(o, value=o)),
                                id="field-decision",
                                name="decision",
                                class_name="pmo-select",
                            ),
                            spacing="1",
                            align="start",
                        ),
                        field("Decision date", "decided_on", type="date"),
                        field("Approvers", "approvers", hint="Names, separated by commas"),
                        field("Conditions", "conditions", required=False),
                        rx.button("Record gate review", type="submit"),
                        align="start",
                        width="100%",
                    ),
                    on_submit=s.record_review,
                    reset_on_submit=True,
                    width="100%",
                ),
                width="100%",
            ),
        ),
        rx.heading("Gate reviews", size="4", as_="h2"),
        _table(
            "Gate reviews",
            ["Date", "Gate", "Decision", "Next", "Approvers", "Conditions"],
            s.reviews,
            lambda r: rx.table.row(
                rx.table.cell(r.decided_on),
                rx.table.cell(r.stage_label),
                rx.table.cell(r.decision_label),
                rx.table.cell(r.next_stage_label),
                rx.table.cell(r.approvers_text),
                rx.table.cell(r.conditions),
            ),
        ),
        rx.hstack(
            rx.heading("Decisions log", size="4", as_="h2"),
            rx.spacer(),
            rx.button(
                "Download CSV",
                variant="soft",
                size="1",
                aria_label="Download gate reviews and decisions as CSV",
                on_click=s.download_csv,
            ),
            width="100%",
        ),
        rx.cond(
            AuthState.is_coach,
            card(
                rx.form(
                    rx.hstack(
                        field("Decision taken", "title"),
                        field("Date", "logged_on", type="date"),
                        field("Decided by", "decided_by", required=False),
                        field("Rationale", "rationale", required=False),
                        rx.button("Log decision", type="submit"),
                        align="end",
                        wrap="wrap",
                        width="100%",
                    ),
                    on_submit=s.log_decision,
                    reset_on_submit=True,
                    width="100%",
                ),
                width="100%",
            ),
        ),
        _table(
            "Decisions log",
            ["Date", "Decision", "Decided by", "Rationale"],
            s.decisions,
            lambda d: rx.table.row(
                rx.table.cell(d.decided_on),
                rx.table.cell(d.title),
                rx.table.cell(d.decided_by),
                rx.table.cell(d.rationale),
            ),
        ),
        width="100%",
        align="start",
    )
