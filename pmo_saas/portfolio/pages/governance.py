"""Governance pages: where each initiative stands in its DSDM lifecycle, and one initiative's
stage-gate reviews and decisions log. They sit in the Dashboard section (its routes and
sub-navigation), but governance is portfolio's: services/governance.py."""

from __future__ import annotations

import reflex as rx

from pmo_saas.collaboration.pages.thread import comment_thread
from pmo_saas.db import in_tenant
from pmo_saas.identity.auth_state import AuthState
from pmo_saas.identity.page_state import BusyWork, WorkspacePage
from pmo_saas.identity.shell import workspace
from pmo_saas.kernel.context import TenantContext
from pmo_saas.kernel.roles import Role
from pmo_saas.portfolio.schemas import DecisionRow, GateReviewRow, LifecycleRow, StageStep
from pmo_saas.portfolio.services import governance
from pmo_saas.ui.components import (
    card,
    data_table,
    error_callout,
    field,
    info_callout,
    page_heading,
)
from pmo_saas.ui.dialogs import work_button
from pmo_saas.ui.section_nav import dashboard_nav


class GovernanceIndexState(BusyWork, WorkspacePage, rx.State):
    rows: list[LifecycleRow] = []

    async def _refresh(self, ctx: TenantContext) -> None:
        self.rows = await in_tenant(ctx, governance.governance_overview)

    def _on_failed_load(self) -> None:
        self.rows = []

    @rx.event
    async def download_csv(self):  # type: ignore[no-untyped-def]
        return await self._download(governance.export_governance_csv, "governance.csv")

    @rx.event
    async def load(self) -> None:
        await self._load()


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
        dashboard_nav(),
        error_callout(GovernanceIndexState.error),
        work_button(
            "Download CSV",
            state=GovernanceIndexState,
            work="export",
            run=GovernanceIndexState.download_csv,
            variant="soft",
            size="1",
            aria_label="Download initiative lifecycles as CSV",
        ),
        data_table(
            "Initiative lifecycles",
            ["Initiative", "Portfolio", "Stage", "Status"],
            GovernanceIndexState.rows,
            lambda r: rx.table.row(
                rx.table.cell(rx.link(r.title, href=base + r.initiative_id.to_string())),
                rx.table.cell(r.portfolio),
                rx.table.cell(r.stage_label),
                rx.table.cell(r.status),
            ),
            size="1",
        ),
        width="100%",
        align="start",
    )


DECISION_BY_LABEL = {label: key for key, label in governance.DECISIONS.items()}


class GovernanceState(BusyWork, WorkspacePage, rx.State):
    title: str = ""
    stage_label: str = ""
    status: str = ""
    steps: list[StageStep] = []
    reviews: list[GateReviewRow] = []
    decisions: list[DecisionRow] = []
    decision_options: list[str] = []

    def _initiative_id(self) -> int:
        raw = self.router.url.path.rstrip("/").rsplit("/", 1)[-1]
        return int(raw) if raw.isdigit() and len(raw) < 10 else 0

    async def _refresh(self, ctx: TenantContext) -> None:
        g = await in_tenant(ctx, governance.get_governance, initiative_id=self._initiative_id())
        self.title, self.stage_label, self.status = g.initiative_title, g.stage_label, g.status
        self.steps, self.reviews, self.decisions = g.steps, g.reviews, g.decisions
        self.decision_options = [governance.DECISIONS[k] for k in g.allowed_decisions]

    def _on_failed_load(self) -> None:
        self.title = ""

    @rx.event
    async def load(self) -> None:
        await self._load()

    @rx.event
    async def download_csv(self):  # type: ignore[no-untyped-def]
        return await self._download(
            governance.export_governance_csv,
            "governance-decisions.csv",
            initiative_id=self._initiative_id(),
        )

    @rx.event
    async def record_review(self, form: dict) -> None:
        await self._act(
            governance.record_gate_review,
            notice="Gate review recorded.",
            minimum=Role.COACH,
            initiative_id=self._initiative_id(),
            decision=DECISION_BY_LABEL.get(form.get("decision", ""), ""),
            decided_on=form.get("decided_on", ""),
            approvers=form.get("approvers", ""),
            conditions=form.get("conditions", ""),
        )

    @rx.event
    async def log_decision(self, form: dict) -> None:
        await self._act(
            governance.log_decision,
            notice="Decision logged.",
            minimum=Role.COACH,
            initiative_id=self._initiative_id(),
            title=form.get("title", ""),
            decided_on=form.get("logged_on", ""),
            decided_by=form.get("decided_by", ""),
            rationale=form.get("rationale", ""),
        )


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
        dashboard_nav(),
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
        data_table(
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
            size="1",
        ),
        rx.hstack(
            rx.heading("Decisions log", size="4", as_="h2"),
            rx.spacer(),
            work_button(
                "Download CSV",
                state=s,
                work="export",
                run=s.download_csv,
                variant="soft",
                size="1",
                aria_label="Download gate reviews and decisions as CSV",
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
        data_table(
            "Decisions log",
            ["Date", "Decision", "Decided by", "Rationale"],
            s.decisions,
            lambda d: rx.table.row(
                rx.table.cell(d.decided_on),
                rx.table.cell(d.title),
                rx.table.cell(d.decided_by),
                rx.table.cell(d.rationale),
            ),
            size="1",
        ),
        comment_thread("initiative"),
        width="100%",
        align="start",
    )
