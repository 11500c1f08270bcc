"""/o/<slug>/capacity/skills: where a skill is short. People tag their skills (coaches tag
anyone), coaches say which skills a funded initiative needs, and the page compares, per team
and per value stream and quarter, people with each skill against the allocated demand."""

from __future__ import annotations

import reflex as rx

from pmo_saas.capacity.schemas import InitiativeSkillRow, PersonSkillsRow, SkillGapRow
from pmo_saas.capacity.services import allocations, skills
from pmo_saas.db import in_tenant
from pmo_saas.identity.auth_state import AuthState
from pmo_saas.identity.page_state import BusyWork, WorkspacePage
from pmo_saas.identity.shell import workspace
from pmo_saas.kernel.context import TenantContext
from pmo_saas.kernel.roles import Role
from pmo_saas.ui.components import (
    Choice,
    card,
    data_table,
    error_callout,
    field,
    info_callout,
    labelled_select,
    page_heading,
)
from pmo_saas.ui.dialogs import work_button


class SkillsState(BusyWork, WorkspacePage, rx.State):
    team_gaps: list[SkillGapRow] = []
    stream_gaps: list[SkillGapRow] = []
    people: list[PersonSkillsRow] = []
    needs: list[InitiativeSkillRow] = []
    person_choices: list[Choice] = []
    initiatives: list[Choice] = []
    my_skills: str = ""
    short_count: int = 0
    can_manage: bool = False

    async def _refresh(self, ctx: TenantContext) -> None:
        self.can_manage = ctx.has(Role.COACH)
        found = await in_tenant(ctx, skills.skills_view)
        self.team_gaps, self.stream_gaps = found.teams, found.streams
        self.people, self.needs = found.people, found.needs
        self.short_count = sum(1 for r in found.teams if r.short)
        self.person_choices = [Choice(value=str(p.user_id), label=p.name) for p in found.people]
        self.my_skills = ", ".join(
            next((p.skills for p in found.people if p.user_id == ctx.user_id), [])
        )
        self.initiatives = (
            await in_tenant(ctx, allocations.funded_choices) if self.can_manage else []
        )

    def _on_failed_load(self) -> None:
        self.team_gaps, self.stream_gaps, self.people, self.needs = [], [], [], []

    @rx.event
    async def load(self) -> None:
        await self._load()

    @rx.event
    async def save_my_skills(self, form: dict) -> None:
        ctx = await self._checked_context(Role.MEMBER)
        if ctx is None:
            return
        await self._act(
            skills.set_member_skills,
            notice="Your skills are saved.",
            minimum=Role.MEMBER,
            user_id=ctx.user_id or 0,
            skills=str(form.get("my_skills", "")),
        )

    @rx.event
    async def save_person_skills(self, form: dict) -> None:
        person = str(form.get("skills_owner", "")).strip()
        await self._act(
            skills.set_member_skills,
            notice="Skills saved.",
            minimum=Role.COACH,
            prepare=lambda: {"user_id": int(person)},
            skills=str(form.get("person_skills", "")),
        )

    @rx.event
    async def save_needs(self, form: dict) -> None:
        initiative = str(form.get("needs_initiative", "")).strip()
        await self._act(
            skills.set_initiative_skills,
            notice="Needed skills saved.",
            minimum=Role.COACH,
            prepare=lambda: {"initiative_id": int(initiative)},
            needs=skills.parse_needs(str(form.get("needs_skills", ""))),
        )

    @rx.event
    async def export_skills(self):
        return await self._download(skills.export_skills_csv, "skills.csv")


def _gap_row(r: SkillGapRow) -> rx.Component:
    return rx.table.row(
        rx.table.row_header_cell(r.name),
        rx.table.cell(r.quarter),
        rx.table.cell(r.skill),
        rx.table.cell(r.have.to(str)),
        rx.table.cell(r.need.to(str)),
        rx.table.cell(
            rx.cond(
                r.short > 0,
                rx.badge(r.short.to(str) + " short", color_scheme="red"),
                rx.text("covered", size="2"),
            )
        ),
    )


GAP_HEADERS = ["Quarter", "Skill", "People with it", "Needed", "Short"]


def _forms() -> rx.Component:
    s = SkillsState
    mine = card(
        rx.heading("My skills", size="4", as_="h2"),
        rx.form(
            rx.hstack(
                field("Skills (comma-separated)", "my_skills", required=False,
                      default_value=s.my_skills, key=s.my_skills),
                rx.button("Save my skills", type="submit"),
                align="end",
                width="100%",
            ),
            on_submit=s.save_my_skills,
            width="100%",
        ),
        width="100%",
    )  # fmt: skip
    coach = rx.cond(
        s.can_manage,
        rx.grid(
            card(
                rx.heading("A person's skills", size="4", as_="h2"),
                rx.form(
                    rx.vstack(
                        labelled_select("Person", "skills_owner", s.person_choices),
                        field("Their skills (comma-separated)", "person_skills", required=False),
                        rx.button("Save skills", type="submit"),
                        align="start",
                    ),
                    on_submit=s.save_person_skills,
                    reset_on_submit=True,
                ),
            ),
            card(
                rx.heading("Skills an initiative needs", size="4", as_="h2"),
                rx.form(
                    rx.vstack(
                        labelled_select("Initiative", "needs_initiative", s.initiatives),
                        field("Needed skills", "needs_skills", required=False,
                              hint="Comma-separated; “python x2” for two people with it."),
                        rx.button("Save needed skills", type="submit"),
                        align="start",
                    ),
                    on_submit=s.save_needs,
                    reset_on_submit=True,
                ),
            ),
            columns=rx.breakpoints(initial="1", md="2"),
            spacing="4",
            width="100%",
        ),
    )  # fmt: skip
    return rx.vstack(mine, coach, width="100%", spacing="4")


def _body() -> rx.Component:
    s = SkillsState
    return rx.vstack(
        page_heading(
            "Skills",
            "Who has which skill, what the funded initiatives need, and where a skill is short.",
        ),
        rx.link("Back to capacity", href="/o/" + AuthState.org_slug + "/capacity", size="2"),
        error_callout(s.error),
        info_callout(s.notice),
        _forms(),
        rx.hstack(
            rx.heading("Where a skill is short", size="5", as_="h2"),
            work_button(
                "Export CSV", state=s, work="export", run=s.export_skills, size="1", variant="soft"
            ),
            align="center",
        ),
        rx.text(
            "Per team and quarter: its people with each skill against the people with it that "
            "the initiatives allocated to it need. ",
            s.short_count.to(str),
            " team skill(s) short.",
            size="2",
        ),
        data_table("Skills per team", ["Team", *GAP_HEADERS], s.team_gaps, _gap_row,
                   empty="No allocated initiative names a needed skill yet.", size="1"),
        data_table("Skills per value stream", ["Value stream", *GAP_HEADERS], s.stream_gaps,
                   _gap_row, size="1"),
        data_table(
            "Skills initiatives need",
            ["Initiative", "Skill", "People"],
            s.needs,
            lambda r: rx.table.row(
                rx.table.row_header_cell(r.title),
                rx.table.cell(r.skill),
                rx.table.cell(r.people.to(str)),
            ),
            size="1",
        ),
        data_table(
            "People and their skills",
            ["Person", "Teams", "Skills"],
            s.people,
            lambda p: rx.table.row(
                rx.table.row_header_cell(p.name),
                rx.table.cell(p.teams),
                rx.table.cell(p.skills.join(", ")),
            ),
            size="1",
        ),
        width="100%",
        align="start",
        spacing="4",
    )  # fmt: skip


@rx.page(
    route="/o/[slug]/capacity/skills",
    title="Skills",
    on_load=[AuthState.load_workspace, SkillsState.load],
)
@workspace
def skills_page() -> rx.Component:
    return _body()
