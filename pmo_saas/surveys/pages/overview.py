"""/o/<slug>/surveys: your surveys (everyone); for coaches, launching a survey to teams
(launch_form.py) and the list of surveys with the response rate per team, open links,
reminders, close, re-run as a new round and delete, confirmed first (survey_list.py)."""

from __future__ import annotations

from typing import Any

import reflex as rx
from pydantic import BaseModel
from sqlmodel import Session

from pmo_saas.db import in_tenant
from pmo_saas.identity import services as identity
from pmo_saas.identity.auth_state import AuthState
from pmo_saas.identity.page_state import BusyWork, WorkspacePage
from pmo_saas.identity.shell import workspace
from pmo_saas.kernel.anonymity import DEFAULT_MIN_COMMENTS, DEFAULT_MIN_GROUP
from pmo_saas.kernel.context import TenantContext
from pmo_saas.kernel.roles import Role
from pmo_saas.surveys import instruments as ins
from pmo_saas.surveys import services
from pmo_saas.surveys.pages.common import section_href
from pmo_saas.surveys.pages.launch_form import (
    launch_card,
    parse_custom_questions,
    reminder_days,
    whole_number,
)
from pmo_saas.surveys.pages.survey_list import SurveyItem, delete_dialog, survey_rounds
from pmo_saas.surveys.schemas import MySurveyRow
from pmo_saas.ui.components import error_callout, info_callout, page_heading
from pmo_saas.ui.empty import empty_state


class TeamChoice(BaseModel):
    id: int
    name: str
    member_count: int


def _coach_overview(
    *, session: Session, ctx: TenantContext
) -> tuple[list[SurveyItem], list[TeamChoice]]:
    items = [
        SurveyItem(
            survey=row,
            progress=services.survey_progress(session=session, ctx=ctx, survey_id=row.id),
        )
        for row in services.list_surveys(session=session, ctx=ctx)
    ]
    teams = [
        TeamChoice(id=t.id, name=t.name, member_count=t.member_count)
        for t in identity.list_teams(session=session, ctx=ctx)
    ]
    return items, teams


class SurveysState(BusyWork, WorkspacePage, rx.State):
    mine: list[MySurveyRow] = []
    surveys: list[SurveyItem] = []
    teams: list[TeamChoice] = []
    chosen_team_ids: list[int] = []
    instrument: str = ins.WESTRUM
    # The open link just made (shown once; only its hash is stored).
    open_link: str = ""
    open_link_team: str = ""
    confirm_delete_id: int = 0
    confirm_delete_title: str = ""

    async def _refresh(self, ctx: TenantContext) -> None:
        self.mine = await in_tenant(ctx, services.my_surveys)
        if ctx.has(Role.COACH):
            self.surveys, self.teams = await in_tenant(ctx, _coach_overview)
        else:
            self.surveys, self.teams = [], []

    def _on_failed_load(self) -> None:
        self.mine, self.surveys, self.teams = [], [], []

    def _clear_messages(self) -> None:
        super()._clear_messages()
        self.open_link = self.open_link_team = ""  # shown once: gone with the next action

    @rx.event
    async def load(self) -> None:
        self.chosen_team_ids = []
        self.confirm_delete_id, self.confirm_delete_title = 0, ""
        await self._load()

    @rx.event
    def choose_team(self, team_id: int, chosen: bool) -> None:
        team_id = int(team_id)
        others = [t for t in self.chosen_team_ids if t != team_id]
        self.chosen_team_ids = [*others, team_id] if chosen else others

    @rx.event
    def choose_instrument(self, instrument: str) -> None:
        self.instrument = instrument if instrument in ins.INSTRUMENTS else ins.WESTRUM

    @rx.event
    async def launch(self, form: dict) -> None:
        open_links = str(form.get("distribution", "personal")) == "open"
        custom = self.instrument == ins.CUSTOM

        def sizes_and_questions() -> dict[str, Any]:
            return {
                "questions": parse_custom_questions(str(form.get("questions", "")))
                if custom
                else None,
                "min_group_size": whole_number(form, "min_group_size", DEFAULT_MIN_GROUP),
                "min_comment_group_size": whole_number(
                    form, "min_comment_group_size", DEFAULT_MIN_COMMENTS
                ),
                "days_open": whole_number(form, "days_open", 14),
                "open_link_cap": whole_number(form, "open_link_cap", 0) or None,
                "reminder_days": reminder_days(form),
            }

        if open_links:
            notice = "Survey launched for open links: make each team's link from the list below."
        elif not services.links_deliverable():
            notice = services.UNDELIVERED
        else:
            notice = "Survey launched: everyone in the chosen teams got a personal link by email."
        launched = await self._act(
            services.launch_survey,
            notice=notice,
            minimum=Role.COACH,
            prepare=sizes_and_questions,
            title=str(form.get("title", "")),
            instrument=self.instrument,
            team_ids=list(self.chosen_team_ids),
            personal_links=not open_links,
            open_links=open_links,
        )
        self.busy = ""
        if launched is not None:
            self.chosen_team_ids = []

    @rx.event
    async def close(self, survey_id: int) -> None:
        await self._act(
            services.close_survey,
            notice="Survey closed: no more answers are collected and its results are ready.",
            minimum=Role.COACH,
            survey_id=int(survey_id),
        )

    @rx.event
    async def rerun(self, survey_id: int) -> None:
        await self._act(
            services.rerun_survey,
            notice="A new round was launched to the same teams; everyone got a new link.",
            minimum=Role.COACH,
            survey_id=int(survey_id),
        )

    @rx.event
    async def remind(self, survey_id: int) -> None:
        count = await self._act(
            services.send_reminders, minimum=Role.COACH, survey_id=int(survey_id)
        )
        if count is not None:
            self.notice = f"Reminders sent to {count} people who have not answered yet."

    @rx.event
    async def make_open_link(self, survey_id: int, survey_team_id: int, team_name: str) -> None:
        url = await self._act(
            services.create_open_link,
            minimum=Role.COACH,
            survey_id=int(survey_id),
            team_id=int(survey_team_id),
        )
        if url is not None:
            self.open_link, self.open_link_team = url, team_name
            self.notice = (
                f"Open link for {team_name}: each browser answers once through it, up to the "
                "limit set at launch, so share it only with the team. It is shown only now; "
                "a new one replaces it."
            )

    @rx.event
    def ask_delete(self, survey_id: int, title: str) -> None:
        self.confirm_delete_id, self.confirm_delete_title = int(survey_id), title

    @rx.event
    def cancel_delete(self) -> None:
        self.confirm_delete_id, self.confirm_delete_title = 0, ""

    @rx.event
    async def delete_confirmed(self) -> None:
        survey_id, title = self.confirm_delete_id, self.confirm_delete_title
        self.confirm_delete_id, self.confirm_delete_title = 0, ""
        if survey_id:
            await self._act(
                services.delete_survey,
                notice=f"Survey {title} deleted with all its responses.",
                minimum=Role.COACH,
                survey_id=survey_id,
            )


# ---------------------------------------------------------------- your surveys


def _my_row(s: MySurveyRow) -> rx.Component:
    return rx.table.row(
        rx.table.row_header_cell(
            s.title, rx.cond(s.round_number > 1, " (round " + s.round_number.to_string() + ")", "")
        ),
        rx.table.cell(s.team_name),
        rx.table.cell(rx.badge(s.status, color_scheme=rx.cond(s.status == "open", "blue", "gray"))),
        rx.table.cell(s.closes_at),
        rx.table.cell(
            rx.cond(
                s.results_ready,
                rx.link(
                    "Your team's results",
                    href=section_href("/team/") + s.survey_id.to_string(),
                    aria_label="Your team's results for " + s.title,
                ),
                rx.text("Answer through the link in your email", size="2", color_scheme="gray"),
            )
        ),
    )


def _my_surveys() -> rx.Component:
    return rx.vstack(
        rx.heading("Your surveys", size="4", as_="h2"),
        rx.text(
            "Your answers are stored without your name: only your team is kept. Whether you "
            "answered is known only for reminders.",
            size="2",
            color_scheme="gray",
        ),
        rx.cond(
            SurveysState.mine.length() > 0,
            rx.el.section(
                rx.table.root(
                    rx.table.header(
                        rx.table.row(
                            *[
                                rx.table.column_header_cell(h)
                                for h in ("Survey", "Team", "Status", "Closes", "")
                            ]
                        )
                    ),
                    rx.table.body(rx.foreach(SurveysState.mine, _my_row)),
                    width="100%",
                ),
                aria_label="Your surveys",
                style={"width": "100%"},
            ),
            empty_state(
                "Nothing to answer yet",
                "Pulse and culture surveys you are asked to answer arrive by email, each with a "
                "personal link; once a survey closes, your team's results appear here.",
                icon="mail",
            ),
        ),
        width="100%",
        align="start",
    )


@rx.page(
    route="/o/[slug]/surveys",
    title="Surveys",
    on_load=[AuthState.load_workspace, SurveysState.load],
)
@workspace
def surveys_page() -> rx.Component:
    return rx.vstack(
        page_heading("Surveys", "Culture and engagement, measured without exposing anyone."),
        error_callout(SurveysState.error),
        info_callout(SurveysState.notice),
        rx.cond(
            SurveysState.open_link != "",
            rx.code(
                SurveysState.open_link, aria_label="Open link for " + SurveysState.open_link_team
            ),
        ),
        _my_surveys(),
        rx.cond(
            AuthState.is_coach,
            rx.vstack(
                survey_rounds(SurveysState),
                rx.box(launch_card(SurveysState), id="launch-survey", width="100%"),
                width="100%",
                spacing="5",
            ),
        ),
        delete_dialog(SurveysState),
        width="100%",
        align="start",
        spacing="5",
    )
