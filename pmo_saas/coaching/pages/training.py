"""/o/<slug>/coaching/training: the course catalogue, enrolments and coverage per team."""

from __future__ import annotations

import reflex as rx

from pmo_saas.coaching.models import COURSE_LEVELS
from pmo_saas.coaching.pages.common import Choice, choice_select, progress_bar, section_nav
from pmo_saas.coaching.schemas import CourseRow, EnrolmentRow, TeamCoverage
from pmo_saas.coaching.services.training import (
    complete_enrolment,
    create_course,
    enrol,
    list_courses,
    list_enrolments,
    training_coverage,
)
from pmo_saas.db import in_tenant
from pmo_saas.identity import services as identity
from pmo_saas.identity.auth_state import AuthState
from pmo_saas.identity.page_state import WorkspacePage
from pmo_saas.identity.shell import workspace
from pmo_saas.kernel.context import TenantContext
from pmo_saas.kernel.roles import Role
from pmo_saas.ui.components import (
    card,
    data_table,
    error_callout,
    field,
    info_callout,
    page_heading,
)

LEVEL_CHOICES = [Choice(value=level, label=level.capitalize()) for level in COURSE_LEVELS]


class TrainingState(WorkspacePage, rx.State):
    courses: list[CourseRow] = []
    enrolments: list[EnrolmentRow] = []
    coverage: list[TeamCoverage] = []
    course_choices: list[Choice] = []
    people: list[Choice] = []
    can_manage: bool = False
    me: int = 0

    async def _refresh(self, ctx: TenantContext) -> None:
        self.me = ctx.user_id or 0
        self.can_manage = ctx.has(Role.COACH)
        self.courses = await in_tenant(ctx, list_courses)
        self.course_choices = [Choice(value=str(c.id), label=c.name) for c in self.courses]
        self.enrolments = await in_tenant(ctx, list_enrolments)
        self.coverage = await in_tenant(ctx, training_coverage)
        if self.can_manage:
            members = await in_tenant(ctx, identity.list_members)
            self.people = [Choice(value=str(m.user_id), label=m.name) for m in members]
        else:
            self.people = []

    def _on_failed_load(self) -> None:
        self.courses, self.enrolments, self.coverage = [], [], []

    @rx.event
    async def load(self) -> None:
        await self._load()

    @rx.event
    async def create_course(self, form: dict) -> None:
        try:
            hours = float(str(form.get("course_hours", "")).strip() or "0")
        except ValueError:
            self._refuse("Enter the duration in hours as a number, e.g. 16.")
            return
        row = await self._act(
            create_course,
            name=str(form.get("course_name", "")),
            level=str(form.get("course_level", "beginner")),
            duration_hours=hours,
            provider=str(form.get("course_provider", "")),
        )
        if row is not None:
            self.notice = f"Course “{row.name}” added to the catalogue."

    @rx.event
    async def enrol(self, form: dict) -> None:
        raw_course = str(form.get("enrol_course", "")).strip()
        if not raw_course:
            self._refuse("Choose a course.")
            return
        raw_person = str(form.get("enrol_person", "")).strip()
        if not raw_course.isdigit() or not (raw_person.isdigit() or not raw_person):
            self._refuse("Choose the course and the person from the lists.")
            return
        user_id = int(raw_person) if raw_person else self.me
        row = await self._act(enrol, course_id=int(raw_course), user_id=user_id or 0)
        if row is not None:
            self.notice = f"{row.user_name} is enrolled in “{row.course_name}”."

    @rx.event
    async def complete(self, enrolment_id: int) -> None:
        row = await self._act(complete_enrolment, enrolment_id=int(enrolment_id))
        if row is not None:
            self.notice = f"{row.user_name} completed “{row.course_name}”."


def _course_row(c: CourseRow) -> rx.Component:
    return rx.table.row(
        rx.table.cell(c.name),
        rx.table.cell(c.level),
        rx.table.cell(c.duration_hours.to(str) + " h"),
        rx.table.cell(c.provider),
        rx.table.cell(c.enrolled.to(str)),
        rx.table.cell(c.completed.to(str)),
    )


def _enrolment_row(e: EnrolmentRow) -> rx.Component:
    return rx.table.row(
        rx.table.cell(e.user_name),
        rx.table.cell(e.course_name),
        rx.table.cell(
            rx.cond(
                e.completed_on,
                rx.badge("Completed " + e.completed_on.to(str), color_scheme="green"),
                rx.cond(
                    TrainingState.can_manage | (e.user_id == TrainingState.me),
                    rx.button(
                        "Mark completed",
                        size="1",
                        variant="soft",
                        aria_label="Mark " + e.course_name + " completed for " + e.user_name,
                        on_click=TrainingState.complete(e.id),
                    ),
                    rx.badge("Enrolled"),
                ),
            )
        ),
    )


def _coverage_row(t: TeamCoverage) -> rx.Component:
    return rx.table.row(
        rx.table.cell(t.team_name),
        rx.table.cell(t.members.to(str)),
        rx.table.cell(t.trained.to(str)),
        rx.table.cell(progress_bar(t.coverage_percent, "Training coverage of " + t.team_name)),
    )


def _forms() -> rx.Component:
    return rx.hstack(
        rx.cond(
            TrainingState.can_manage,
            card(
                rx.heading("Add a course", size="4", as_="h2"),
                rx.form(
                    rx.vstack(
                        field("Course name", "course_name"),
                        choice_select("Level", "course_level", LEVEL_CHOICES, default="beginner"),
                        field("Duration (hours)", "course_hours", type="number", step="0.5"),
                        field("Provider", "course_provider", required=False),
                        rx.button("Add course", type="submit"),
                        align="start",
                        width="100%",
                    ),
                    on_submit=TrainingState.create_course,
                    reset_on_submit=True,
                    width="100%",
                ),
                width="100%",
            ),
        ),
        card(
            rx.heading("Enrol", size="4", as_="h2"),
            rx.form(
                rx.vstack(
                    choice_select(
                        "Course", "enrol_course", TrainingState.course_choices, empty="Choose"
                    ),
                    rx.cond(
                        TrainingState.can_manage,
                        choice_select(
                            "Person", "enrol_person", TrainingState.people, empty="Myself"
                        ),
                    ),
                    rx.button("Enrol", type="submit", variant="soft"),
                    align="start",
                    width="100%",
                ),
                on_submit=TrainingState.enrol,
                width="100%",
            ),
            width="100%",
        ),
        width="100%",
        align="stretch",
    )


def _training_body() -> rx.Component:
    return rx.vstack(
        page_heading("Agile training", "The course catalogue, who took what, coverage per team."),
        section_nav(),
        error_callout(TrainingState.error),
        info_callout(TrainingState.notice),
        rx.cond(AuthState.role != "viewer", _forms()),
        rx.heading("Catalogue", size="5", as_="h2"),
        data_table(
            "Course catalogue",
            ["Course", "Level", "Duration", "Provider", "Enrolled", "Completed"],
            TrainingState.courses,
            _course_row,
        ),
        rx.heading("Enrolments", size="5", as_="h2"),
        data_table(
            "Enrolments",
            ["Person", "Course", "Completion"],
            TrainingState.enrolments,
            _enrolment_row,
        ),
        rx.heading("Coverage per team", size="5", as_="h2"),
        data_table(
            "Training coverage",
            ["Team", "Members", "Trained", "Coverage"],
            TrainingState.coverage,
            _coverage_row,
        ),
        width="100%",
        align="start",
        spacing="4",
    )


@rx.page(
    route="/o/[slug]/coaching/training",
    title="Agile training",
    on_load=[AuthState.load_workspace, TrainingState.load],
)
@workspace
def coaching_training_page() -> rx.Component:
    return _training_body()
