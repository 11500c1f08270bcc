"""/o/<slug>/coaching: the plan list (filters, progress, overdue) and starting a new plan."""

from __future__ import annotations

import reflex as rx
from sqlmodel import Session

from pmo_saas.assessments.services import rounds as assessment_rounds
from pmo_saas.coaching.pages.common import (
    PLAN_STATUS_LABELS,
    Choice,
    choice_select,
    optional_int,
    plan_href,
    progress_bar,
    section_nav,
)
from pmo_saas.coaching.schemas import PlanDetail, PlanRow
from pmo_saas.coaching.services.plans import create_plan, create_plan_from_round, list_plans
from pmo_saas.db import in_tenant
from pmo_saas.identity import services as identity
from pmo_saas.identity.auth_state import AuthState
from pmo_saas.identity.page_state import WorkspacePage
from pmo_saas.identity.shell import workspace
from pmo_saas.kernel.context import TenantContext
from pmo_saas.kernel.errors import ValidationFailed
from pmo_saas.kernel.roles import Role, at_least
from pmo_saas.ui.components import (
    card,
    data_table,
    error_callout,
    field,
    info_callout,
    page_heading,
)

STATUS_CHOICES = [Choice(value=k, label=v) for k, v in PLAN_STATUS_LABELS.items()]


def _round_choices(session, ctx: TenantContext) -> list[Choice]:  # type: ignore[no-untyped-def]
    """One choice per (closed round, team in it), newest round first."""
    teams = {t.id: t.name for t in identity.list_teams(session=session, ctx=ctx)}
    choices = []
    for rnd in assessment_rounds.list_rounds(session=session, ctx=ctx):
        if rnd.status != "closed":
            continue
        for team_id in rnd.team_ids:
            if team_id in teams:
                choices.append(
                    Choice(value=f"{rnd.id}:{team_id}", label=f"{rnd.title} — {teams[team_id]}")
                )
    return choices


def _choices(*, session: Session, ctx: TenantContext) -> tuple[list[Choice], ...]:
    """Teams, people, coaches and (for coaches) the closed rounds a plan can start from."""
    teams = identity.list_teams(session=session, ctx=ctx)
    members = identity.list_members(session=session, ctx=ctx)
    return (
        [Choice(value=str(t.id), label=t.name) for t in teams],
        [Choice(value=str(m.user_id), label=m.name) for m in members],
        [
            Choice(value=str(m.user_id), label=m.name)
            for m in members
            if at_least(m.role, Role.COACH)
        ],
        _round_choices(session, ctx) if ctx.has(Role.COACH) else [],
    )


def _ids(raw: object) -> int | None:
    """`optional_int`, with a bad value as a clear refusal rather than a ValueError."""
    try:
        return optional_int(raw)
    except ValueError:
        raise ValidationFailed("Choose from the lists.") from None


def _create_empty_plan(
    *, session: Session, ctx: TenantContext, title: str, team: object, person: object
) -> PlanDetail:
    return create_plan(
        session=session, ctx=ctx, title=title, team_id=_ids(team), person_user_id=_ids(person)
    )


class PlansState(WorkspacePage, rx.State):
    plans: list[PlanRow] = []
    teams: list[Choice] = []
    coaches: list[Choice] = []
    people: list[Choice] = []
    rounds: list[Choice] = []
    filter_team: str = ""
    filter_coach: str = ""
    filter_status: str = ""
    filter_overdue: bool = False

    async def _refresh(self, ctx: TenantContext) -> None:
        self.teams, self.people, self.coaches, self.rounds = await in_tenant(ctx, _choices)
        self.plans = await in_tenant(
            ctx,
            list_plans,
            team_id=_ids(self.filter_team),
            coach_user_id=_ids(self.filter_coach),
            status=self.filter_status or None,
            overdue_only=self.filter_overdue,
        )

    def _on_failed_load(self) -> None:
        self.plans, self.rounds = [], []

    @rx.event
    async def load(self) -> None:
        await self._load()

    @rx.event
    async def apply_filters(self, form: dict) -> None:
        self.filter_team = str(form.get("team", ""))
        self.filter_coach = str(form.get("coach", ""))
        self.filter_status = str(form.get("status", ""))
        self.filter_overdue = bool(form.get("overdue"))
        await self._load()

    @rx.event
    async def create_from_round(self, form: dict):
        choice = str(form.get("round_team", ""))
        round_id, _, team_id = choice.partition(":")
        if not (round_id.isdigit() and team_id.isdigit()):
            self._refuse("Choose the closed round and team the plan starts from.")
            return None
        plan = await self._act(
            create_plan_from_round,
            refresh=False,
            round_id=int(round_id),
            team_id=int(team_id),
            title=str(form.get("title", "")).strip(),
            goal_due_date=str(form.get("goal_due", "")) or None,
        )
        if plan is None:
            return None
        return rx.redirect(self._org_path(f"/coaching/plans/{plan.id}"))

    @rx.event
    async def create_empty(self, form: dict):
        plan = await self._act(
            _create_empty_plan,
            refresh=False,
            title=str(form.get("plan_title", "")),
            team=form.get("plan_team"),
            person=form.get("plan_person"),
        )
        if plan is None:
            return None
        return rx.redirect(self._org_path(f"/coaching/plans/{plan.id}"))


def _plan_row(p: PlanRow) -> rx.Component:
    return rx.table.row(
        rx.table.cell(rx.link(p.title, href=plan_href(p.id))),
        rx.table.cell(rx.cond(p.team_name != "", p.team_name, p.person_name)),
        rx.table.cell(p.coach_name),
        rx.table.cell(
            rx.match(
                p.status,
                *[(k, v) for k, v in PLAN_STATUS_LABELS.items()],
                p.status,
            )
        ),
        rx.table.cell(
            rx.vstack(
                progress_bar(p.progress_percent, "Progress of " + p.title),
                rx.text(
                    p.actions_done.to(str) + " of " + p.actions_total.to(str) + " actions done",
                    size="1",
                    color_scheme="gray",
                ),
                spacing="1",
            )
        ),
        rx.table.cell(
            rx.cond(
                p.overdue_actions > 0,
                rx.badge(
                    p.overdue_actions.to(str) + " overdue", color_scheme="red", variant="solid"
                ),
                rx.text("—", color_scheme="gray"),
            )
        ),
        background=rx.cond(p.overdue_actions > 0, "var(--red-a2)", "transparent"),
    )


def _filters() -> rx.Component:
    return rx.form(
        rx.hstack(
            choice_select("Team", "team", PlansState.teams, empty="All teams"),
            choice_select("Coach", "coach", PlansState.coaches, empty="All coaches"),
            choice_select("Status", "status", STATUS_CHOICES, empty="Any status"),
            rx.el.label(
                rx.el.input(type="checkbox", name="overdue", id="field-overdue"),
                " Only plans with overdue actions",
                class_name="pmo-label",
            ),
            rx.button("Apply filters", type="submit", variant="soft"),
            align="end",
            wrap="wrap",
            spacing="3",
        ),
        on_submit=PlansState.apply_filters,
        width="100%",
    )


def _new_plan_forms() -> rx.Component:
    return rx.cond(
        AuthState.is_coach,
        rx.hstack(
            card(
                rx.heading("New plan from an assessment", size="4", as_="h2"),
                rx.text(
                    "The team's focus dimensions in a closed round become goals, prefilled with "
                    "the current score and a suggested target.",
                    size="2",
                    color_scheme="gray",
                ),
                rx.form(
                    rx.vstack(
                        choice_select(
                            "Closed round and team",
                            "round_team",
                            PlansState.rounds,
                            empty="Choose a round",
                        ),
                        field("Plan title (optional)", "title", required=False),
                        field("Goals due by (optional)", "goal_due", type="date", required=False),
                        rx.button("Create plan from round", type="submit"),
                        align="start",
                        width="100%",
                    ),
                    on_submit=PlansState.create_from_round,
                    width="100%",
                ),
                width="100%",
            ),
            card(
                rx.heading("New empty plan", size="4", as_="h2"),
                rx.text(
                    "For a team, or for one person (for example a leader).",
                    size="2",
                    color_scheme="gray",
                ),
                rx.form(
                    rx.vstack(
                        field("Plan title", "plan_title"),
                        choice_select("For team", "plan_team", PlansState.teams, empty="—"),
                        choice_select("Or for person", "plan_person", PlansState.people, empty="—"),
                        rx.button("Create empty plan", type="submit", variant="soft"),
                        align="start",
                        width="100%",
                    ),
                    on_submit=PlansState.create_empty,
                    width="100%",
                ),
                width="100%",
            ),
            width="100%",
            align="stretch",
        ),
    )


def _plans_body() -> rx.Component:
    return rx.vstack(
        page_heading("Coaching", "Growth plans from assessment results, and whether they work."),
        section_nav(),
        error_callout(PlansState.error),
        info_callout(PlansState.notice),
        _new_plan_forms(),
        _filters(),
        data_table(
            "Coaching plans",
            ["Plan", "For", "Coach", "Status", "Progress", "Overdue"],
            PlansState.plans,
            _plan_row,
            empty="No coaching plans match.",
        ),
        width="100%",
        align="start",
        spacing="4",
    )


@rx.page(
    route="/o/[slug]/coaching",
    title="Coaching",
    on_load=[AuthState.load_workspace, PlansState.load],
)
@workspace
def coaching_page() -> rx.Component:
    return _plans_body()
